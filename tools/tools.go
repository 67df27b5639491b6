package tools

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ClientFunc returns a GitHub client authenticated as the caller of this
// tool request. The caller is read from req.Extra.TokenInfo (never from ctx,
// which on a stateful session still carries the first request's token); the
// function loads that grant's upstream token and refreshes it when it has
// expired. It returns an error wrapping upstream.ErrRevoked when the grant's
// upstream access is gone and the person has to sign in again.
type ClientFunc func(ctx context.Context, req *mcp.CallToolRequest) (*github.Client, error)

// Deps are the named dependencies of the tools.
type Deps struct {
	// GitHub builds the per-request client. Required by Register.
	GitHub ClientFunc
	// Whoami describes the caller, for the whoami tool. Required by
	// Register and RegisterIdentity.
	Whoami WhoamiFunc
	// Now is the clock used to phrase rate-limit reset times. Nil means
	// time.Now.
	Now func() time.Time
	// LogClient downloads job logs from the short-lived URL GitHub
	// redirects to (blob storage that needs no GitHub token, so the token
	// must not be sent there). Nil means a client with a 30-second timeout.
	LogClient *http.Client
}

// Register adds every tool to s with the default Options: the GitHub tools
// and whoami, for callers who signed in with GitHub (RegisterIdentity
// serves the others). It panics when d.GitHub or d.Whoami is nil, so that
// a wiring mistake stops the server at start-up rather than on the first
// tool call.
func Register(s *mcp.Server, d Deps) {
	if err := RegisterWith(s, d, Options{}); err != nil {
		panic("tools.Register: " + err.Error())
	}
}

// RegisterWith adds to s the tools that o selects (Options.Toolsets,
// ReadOnly, Allow, Deny), the hidden aliases of their retired names, the
// repository resource templates and the prompts. Every tool result stays
// within o.MaxResultChars. It returns an error for options that name an
// unknown toolset or tool, and panics when d.GitHub or d.Whoami is nil.
func RegisterWith(s *mcp.Server, d Deps, o Options) error {
	if d.GitHub == nil {
		panic("tools.RegisterWith: Deps.GitHub is nil")
	}
	if d.Whoami == nil {
		panic("tools.RegisterWith: Deps.Whoami is nil")
	}
	if err := o.Validate(); err != nil {
		return err
	}
	ts := newToolset(d, o)
	var served []string
	for _, t := range ts.all() {
		if o.selects(t) {
			t.add(s)
			served = append(served, t.name)
		}
	}
	s.AddReceivingMiddleware(rewriteAliases(served))
	if !o.NoResources {
		ts.addResources(s)
	}
	if !o.NoPrompts {
		ts.addPrompts(s, served)
	}
	return nil
}

func newToolset(d Deps, o Options) *toolset {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.LogClient == nil {
		d.LogClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &toolset{deps: d, opts: o.withDefaults()}
}

// Names returns the tool names in registration order, every toolset
// included (aliases are not tools; see Aliases).
func Names() []string {
	all := (&toolset{}).all()
	names := make([]string, 0, len(all))
	for _, t := range all {
		names = append(names, t.name)
	}
	return names
}

// ReadOnlyNames returns the names of the tools that only read
// (readOnlyHint), in registration order: those Options.ReadOnly keeps.
func ReadOnlyNames() []string {
	var names []string
	for _, t := range (&toolset{}).all() {
		if t.readOnly {
			names = append(names, t.name)
		}
	}
	return names
}

// Selected returns the names of the tools a server registered with o
// serves, in registration order (for the consent page and the start-up
// log). It assumes o is valid; unknown names select nothing.
func Selected(o Options) []string {
	var names []string
	for _, t := range (&toolset{}).all() {
		if o.selects(t) {
			names = append(names, t.name)
		}
	}
	return names
}

// toolset holds the dependencies every handler needs; its methods build the
// tool definitions.
type toolset struct {
	deps Deps
	opts Options
}

// all is the list of tools, in registration order: the GitHub tools, then
// the tools that work for every sign-in.
func (ts *toolset) all() []serverTool {
	return append(ts.githubTools(), ts.identityTools()...)
}

// githubTools are the tools that act on the caller's GitHub account.
func (ts *toolset) githubTools() []serverTool {
	return []serverTool{
		ts.getMe(),
		ts.searchRepositories(),
		ts.getFileContents(),
		ts.listCommits(),
		ts.getCommit(),
		ts.listBranches(),
		ts.compareRefs(),
		ts.createBranch(),
		ts.createOrUpdateFile(),
		ts.listIssues(),
		ts.issueRead(),
		ts.issueWrite(),
		ts.addIssueComment(),
		ts.listPullRequests(),
		ts.pullRequestRead(),
		ts.createPullRequest(),
		ts.actionsList(),
		ts.actionsGet(),
		ts.getJobLogs(),
		ts.searchIssues(),
		ts.searchPullRequests(),
		ts.searchCode(),
	}
}

// serverTool is one tool definition with its typed handler bound, so that
// a heterogeneous list of typed tools can be registered in one loop.
type serverTool struct {
	name string
	// toolset is the group the tool belongs to (Options.Toolsets).
	toolset string
	// scope is the OAuth scope a call needs (see RequiredScope).
	scope    string
	readOnly bool
	add      func(s *mcp.Server)
}

// newTool binds a typed handler to its definition. The input and output
// schemas are built from In and Out (see schema.go) and refined by the
// caller before this point. Every result passes through ts.fit, the
// result budget's last line: a result the handler could not bring under
// Options.MaxResultChars becomes a tool error that says how to ask for less.
func newTool[In, Out any](ts *toolset, set string, t *mcp.Tool, h mcp.ToolHandlerFor[In, Out]) serverTool {
	return serverTool{
		name:     t.Name,
		toolset:  set,
		scope:    scopeFor(t.Annotations),
		readOnly: t.Annotations != nil && t.Annotations.ReadOnlyHint,
		add: func(s *mcp.Server) {
			mcp.AddTool(s, t, func(ctx context.Context, req *mcp.CallToolRequest, in In) (res *mcp.CallToolResult, out Out, err error) {
				// A panic in a handler (GitHub answering an empty 200
				// where a handler expected an object) would end the whole
				// process, every user's calls with it; it becomes this
				// call's tool error instead.
				defer func() {
					if p := recover(); p != nil {
						var zero Out
						res, out, err = nil, zero, &toolError{msg: "the " + t.Name + " tool failed on an unexpected answer from GitHub; retry, and report it if it persists"}
					}
				}()
				res, out, err = h(ctx, req, in)
				if err != nil {
					return res, out, err
				}
				if err := ts.fit(t.Name, res, out); err != nil {
					var zero Out
					return nil, zero, err
				}
				return res, out, nil
			})
		},
	}
}

// client returns the caller's GitHub client, or a tool error a person can
// act on.
func (ts *toolset) client(ctx context.Context, req *mcp.CallToolRequest) (*github.Client, error) {
	gh, err := ts.deps.GitHub(ctx, req)
	if err != nil {
		return nil, clientError(err)
	}
	if gh == nil {
		return nil, &toolError{msg: "could not reach GitHub for your account: no client available"}
	}
	return gh, nil
}

// readOnly returns the annotations of a tool that only reads from GitHub:
// reading twice has no further effect, so it is idempotent too.
func readOnly(title string) *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{
		Title:          title,
		ReadOnlyHint:   true,
		IdempotentHint: true,
		OpenWorldHint:  new(true),
	}
}

// additive returns the annotations of a tool that writes to GitHub without
// destroying anything: it creates (an issue, a comment, a branch, a pull
// request) or changes something whose earlier versions GitHub keeps (an
// issue's edit history, a file's git history). Calling twice writes twice,
// so it is not idempotent.
func additive(title string) *mcp.ToolAnnotations {
	return &mcp.ToolAnnotations{
		Title:           title,
		ReadOnlyHint:    false,
		DestructiveHint: new(false),
		IdempotentHint:  false,
		OpenWorldHint:   new(true),
	}
}

// Pagination defaults and limits, as in the GitHub REST API.
const (
	defaultPerPage = 30
	maxPerPage     = 100
)

// pagination are the paging inputs shared by the list tools.
type pagination struct {
	Page    int `json:"page,omitempty" jsonschema:"Page number for pagination (min 1, default 1)."`
	PerPage int `json:"perPage,omitempty" jsonschema:"Results per page for pagination (min 1, max 100, default 30)."`
}

// listOptions validates the paging inputs and converts them.
func (p pagination) listOptions() (github.ListOptions, error) {
	page, perPage := p.Page, p.PerPage
	if page == 0 {
		page = 1
	}
	if perPage == 0 {
		perPage = defaultPerPage
	}
	if page < 1 {
		return github.ListOptions{}, invalidInput("page must be 1 or more")
	}
	if perPage < 1 || perPage > maxPerPage {
		return github.ListOptions{}, invalidInput("perPage must be between 1 and %d", maxPerPage)
	}
	return github.ListOptions{Page: page, PerPage: perPage}, nil
}

// repoRef names a repository; it is embedded in the inputs of every tool
// that works on one repository.
type repoRef struct {
	Owner string `json:"owner" jsonschema:"Repository owner: a user or organization login."`
	Repo  string `json:"repo" jsonschema:"Repository name, without the owner."`
}

// namePatternSource is what GitHub allows in logins and repository names.
// It also keeps "/" out, so a name cannot reach another API path. The input
// schemas carry it; validate checks it again.
const namePatternSource = `^[A-Za-z0-9_.-]+$`

var namePattern = regexp.MustCompile(namePatternSource)

// validate checks owner and repo.
func (r repoRef) validate() error {
	for _, f := range []struct{ field, value string }{{"owner", r.Owner}, {"repo", r.Repo}} {
		switch {
		case strings.TrimSpace(f.value) == "":
			return invalidInput("%s must not be empty", f.field)
		case f.value == "." || f.value == ".." || !namePattern.MatchString(f.value):
			return invalidInput("%s %q is not a valid GitHub name (letters, digits, '-', '_' and '.')", f.field, f.value)
		}
	}
	return nil
}

// String is owner/repo.
func (r repoRef) String() string { return r.Owner + "/" + r.Repo }

// oneOf checks that value is one of allowed or empty.
func oneOf(field, value string, allowed ...string) error {
	if value == "" {
		return nil
	}
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return invalidInput("%s must be one of %s", field, strings.Join(allowed, ", "))
}

// positive checks an issue or pull request number.
func positive(field string, n int) error {
	if n < 1 {
		return invalidInput("%s must be 1 or more", field)
	}
	return nil
}

// invalidInput is a tool error for arguments the schema could not rule out.
func invalidInput(format string, args ...any) error {
	return &toolError{msg: "invalid arguments: " + fmt.Sprintf(format, args...)}
}

// timestamp formats a GitHub timestamp as RFC 3339 in UTC, or "" when absent.
func timestamp(t *github.Timestamp) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// labelNames returns the names of labels, never nil.
func labelNames(labels []*github.Label) []string {
	names := make([]string, 0, len(labels))
	for _, l := range labels {
		if l.GetName() != "" {
			names = append(names, l.GetName())
		}
	}
	return names
}

// logins returns the logins of users, never nil.
func logins(users []*github.User) []string {
	out := make([]string, 0, len(users))
	for _, u := range users {
		if u.GetLogin() != "" {
			out = append(out, u.GetLogin())
		}
	}
	return out
}

// pageEnd ends every list tool's output: where the next page starts, and
// whether items of this one were left out to fit the result budget.
type pageEnd struct {
	NextPage  int    `json:"next_page" jsonschema:"Page to request next; 0 when this is the last page."`
	Truncated bool   `json:"truncated,omitempty" jsonschema:"True when items of this page were left out to fit the result size limit (see note)."`
	Note      string `json:"note,omitempty" jsonschema:"What was left out and how to get it."`
}
