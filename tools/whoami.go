package tools

import (
	"context"
	"errors"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/upstream"
)

// Identity is who a connection is signed in as at mcpgate, as whoami
// returns it.
type Identity struct {
	Provider      string   `json:"provider" jsonschema:"The identity provider this connection signed in with, by its name at this server (github, google, oidc or a configured name)."`
	ProviderName  string   `json:"provider_name,omitempty" jsonschema:"The identity provider's name for people, such as GitHub or Google."`
	UserID        string   `json:"user_id" jsonschema:"Stable user identifier at this server: provider:subject."`
	Subject       string   `json:"subject" jsonschema:"The provider's stable identifier of the account (GitHub's numeric user ID, the OpenID Connect sub)."`
	Login         string   `json:"login,omitempty" jsonschema:"Login (GitHub) or preferred username at the provider; it can change."`
	Email         string   `json:"email,omitempty" jsonschema:"E-mail address the provider gave for the account, when it gave one."`
	EmailVerified bool     `json:"email_verified" jsonschema:"Whether the provider verified the e-mail address."`
	Name          string   `json:"name,omitempty" jsonschema:"Display name, when the provider gave one."`
	Scopes        []string `json:"scopes" jsonschema:"Scopes of the access token this request used."`
	ClientID      string   `json:"client_id" jsonschema:"The MCP client (OAuth client ID) this connection belongs to."`
	GrantCreated  string   `json:"grant_created,omitempty" jsonschema:"When the person authorized this client (RFC 3339, UTC)."`
	GitHubTools   bool     `json:"github_tools" jsonschema:"Whether the GitHub tools work for this sign-in (they need a GitHub account)."`
}

// WhoamiFunc returns the identity of the caller of req, read (like
// ClientFunc's caller) from req.Extra.TokenInfo and the caller's grant.
// It returns an error wrapping upstream.ErrRevoked when the grant is gone.
type WhoamiFunc func(ctx context.Context, req *mcp.CallToolRequest) (Identity, error)

// whoamiInput takes no arguments.
type whoamiInput struct{}

func (ts *toolset) whoami() serverTool {
	return newTool(ts, toolsetIdentity, &mcp.Tool{
		Name:  "whoami",
		Title: "Who am I signed in as",
		Description: "Tell who this connection is signed in as: the identity provider (GitHub, Google or another OpenID Connect issuer), " +
			"the account (subject, login, e-mail, name), the scopes of this access and the MCP client it belongs to. " +
			"It works for every sign-in; the GitHub tools work only when github_tools is true.",
		Annotations: &mcp.ToolAnnotations{
			Title:          "Who am I signed in as",
			ReadOnlyHint:   true,
			IdempotentHint: true,
			OpenWorldHint:  new(false),
		},
		InputSchema:  inputSchema[whoamiInput](),
		OutputSchema: outputSchema[Identity](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, _ whoamiInput) (*mcp.CallToolResult, Identity, error) {
		id, err := ts.deps.Whoami(ctx, req)
		if err != nil {
			if errors.Is(err, upstream.ErrRevoked) {
				return nil, Identity{}, &toolError{msg: "this connection's sign-in has ended; reconnect (sign in again) to continue", cause: err}
			}
			return nil, Identity{}, &toolError{msg: "could not read who you are signed in as: " + err.Error(), cause: err}
		}
		if id.Scopes == nil {
			id.Scopes = []string{}
		}
		return nil, id, nil
	})
}

// identityTools are the tools that work for every sign-in, whatever the
// identity provider: they need no GitHub account.
func (ts *toolset) identityTools() []serverTool {
	return []serverTool{ts.whoami()}
}

// ErrNotGitHub is what a ClientFunc returns for a caller who signed in
// with an identity provider other than GitHub: the GitHub tools have no
// account to act on. The tools answer it with a tool error that says to
// sign in with GitHub.
var ErrNotGitHub = errors.New("this connection did not sign in with GitHub")

// notGitHubMessage is the tool error for a GitHub tool called by a caller
// without a GitHub sign-in.
const notGitHubMessage = "this tool works on a GitHub account, and this connection signed in with another identity provider; " +
	"sign in with GitHub (connect again and choose GitHub) to use this tool"

// RegisterIdentity adds to s the tools for callers who signed in with an
// identity provider other than GitHub: whoami only. tools/list on s
// therefore shows no GitHub tool; a tools/call that names one anyway (a
// model that remembers it from another connection) gets a tool error that
// says to sign in with GitHub, rather than the SDK's "unknown tool"
// protocol error. It panics when d.Whoami is nil.
func RegisterIdentity(s *mcp.Server, d Deps) {
	if d.Whoami == nil {
		panic("tools.RegisterIdentity: Deps.Whoami is nil")
	}
	ts := newToolset(d, Options{})
	for _, t := range ts.identityTools() {
		t.add(s)
	}
	var github []string
	for _, t := range ts.githubTools() {
		github = append(github, t.name)
	}
	github = append(github, aliasNames()...)
	s.AddReceivingMiddleware(refuseGitHubTools(github))
}

// refuseGitHubTools answers a tools/call of any of names with the
// sign-in-with-GitHub tool error.
func refuseGitHubTools(names []string) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			call, ok := req.(*mcp.CallToolRequest)
			if method != methodToolsCall || !ok || call.Params == nil || !slices.Contains(names, call.Params.Name) {
				return next(ctx, method, req)
			}
			res := &mcp.CallToolResult{}
			res.SetError(&toolError{msg: call.Params.Name + ": " + notGitHubMessage, cause: ErrNotGitHub})
			return res, nil
		}
	}
}
