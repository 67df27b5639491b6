package main

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream/allow"
)

// toolChoice is one choice of built-in tools: the deployment's (name "")
// or a tool group's (YAML tools.groups).
type toolChoice struct {
	// name is the group's name, "" for the deployment's default choice.
	name string
	// who describes the group's members on the consent page.
	who string
	// members decides who belongs to the group; nil for the default.
	members *allow.Policy
	opts    tools.Options
}

// toolChoices are the tool groups of cfg in order, then the deployment's
// default choice (always last, name "").
func toolChoices(cfg *config.Config) ([]toolChoice, error) {
	var out []toolChoice
	for _, g := range cfg.Tools.Groups {
		members, err := allow.New(g.Members.Rules())
		if err != nil {
			return nil, fmt.Errorf("tools.groups %s: %w", g.Name, err)
		}
		out = append(out, toolChoice{name: g.Name, who: g.Who(), members: members, opts: g.Options(cfg.Tools.MaxResultChars)})
	}
	return append(out, toolChoice{opts: cfg.Tools.Options()}), nil
}

// handlerToolGroups are the groups of choices for handlers.Config.ToolGroups.
func handlerToolGroups(choices []toolChoice) []handlers.ToolGroup {
	var out []handlers.ToolGroup
	for _, c := range choices {
		if c.name != "" {
			out = append(out, handlers.ToolGroup{Name: c.name, Members: c.members})
		}
	}
	return out
}

// choicesReadOnly reports whether no choice serves a tool that writes.
func choicesReadOnly(choices []toolChoice) bool {
	reads := tools.ReadOnlyNames()
	return !slices.ContainsFunc(choices, func(c toolChoice) bool {
		return slices.ContainsFunc(tools.Selected(c.opts), func(name string) bool { return !slices.Contains(reads, name) })
	})
}

// mcpServers are the MCP servers of /mcp and /sse: for grants of a GitHub
// provider, one per tool group and one for everyone else; whoami only for
// the others.
type mcpServers struct {
	// gitHub serves the deployment's default choice of tools.
	gitHub *mcp.Server
	// groups serve the tool groups' choices, by group name.
	groups    map[string]*mcp.Server
	identity  *mcp.Server
	providers *identityProviders
}

// serverFor picks the server of a caller by its grant's provider and tool
// group (tokens.Grant.ToolGroup, decided at sign-in and again at every
// refresh; the handlers' MCPServerFor). The grant is the bearer check's
// snapshot (tokens.Caller.Grant); a caller without one, or whose grant
// names a group the configuration no longer has, gets the default choice
// (a refresh then finds the group changed and revokes the grant).
func (s *mcpServers) serverFor(c *tokens.Caller) *mcp.Server {
	if _, ok := s.providers.gitHub[c.Provider]; !ok {
		return s.identity
	}
	if c.Grant != nil && c.Grant.ID == c.GrantID && c.Grant.ToolGroup != "" {
		if g, ok := s.groups[c.Grant.ToolGroup]; ok {
			return g
		}
	}
	return s.gitHub
}

// all lists every server, for middleware added to each.
func (s *mcpServers) all() []*mcp.Server {
	out := []*mcp.Server{s.gitHub, s.identity}
	for _, g := range s.groups {
		out = append(out, g)
	}
	return out
}

// newMCPServers builds the servers. Each tool's scope is enforced twice on
// each: /mcp answers 403 insufficient_scope before the SDK reads the call
// (handlers.Config.ToolScopes), and tools.RequireScopes refuses the call
// where the tool would run. A GitHub server serves the tools, resources
// and prompts its choice selects (configuration key tools, or one of
// tools.groups) and completes their arguments; a tool outside the choice
// is unknown to that server, so calling it gets the SDK's unknown-tool
// error, as for a denied tool. The SDK advertises each capability only
// when it is served (resources and prompts once one is added, completions
// once the handler is set). The identity server serves whoami alone, so it
// advertises tools only. limit bounds every person's tools/call requests
// on all of them (a zero CallLimit bounds nothing), after the scope check.
func newMCPServers(deps tools.Deps, providers *identityProviders, opts *mcp.ServerOptions, choices []toolChoice, limit tools.CallLimit) (*mcpServers, error) {
	gitHubOpts, identityOpts := *opts, *opts
	gitHubOpts.Instructions = "Tools that act on the signed-in person's GitHub account: repositories, files, commits and branches, issues, " +
		"pull requests, Actions runs and job logs, and search, under the names of GitHub's own MCP server. " +
		"Repository files are also resources (repo://owner/repo/contents/path). whoami tells who the connection is signed in as."
	gitHubOpts.CompletionHandler = tools.CompletionHandler(deps)
	identityOpts.Instructions = "This connection signed in with an identity provider other than GitHub, so only whoami is available: " +
		"it tells who the connection is signed in as. To use the GitHub tools, connect again and sign in with GitHub."
	s := &mcpServers{
		groups:    map[string]*mcp.Server{},
		identity:  mcp.NewServer(&mcp.Implementation{Name: "mcpgate", Title: "mcpgate", Version: version}, &identityOpts),
		providers: providers,
	}
	for _, c := range choices {
		o := gitHubOpts
		server := mcp.NewServer(&mcp.Implementation{Name: "mcpgate", Title: "GitHub (via mcpgate)", Version: version}, &o)
		if err := tools.RegisterWith(server, deps, c.opts); err != nil {
			if c.name != "" {
				return nil, fmt.Errorf("tool group %s: %w", c.name, err)
			}
			return nil, err
		}
		server.AddReceivingMiddleware(tools.RequireScopes, protected.CacheToolList, protected.CancelWithClient, limit.Middleware)
		if c.name == "" {
			s.gitHub = server
		} else {
			s.groups[c.name] = server
		}
	}
	if s.gitHub == nil {
		return nil, fmt.Errorf("tools: no default choice of tools")
	}
	tools.RegisterIdentity(s.identity, deps)
	s.identity.AddReceivingMiddleware(tools.RequireScopes, protected.CacheToolList, protected.CancelWithClient, limit.Middleware)
	return s, nil
}

// toolCallLimit is the per-person tools/call limit of cfg (tools.rate_limit)
// counted in store, shared by the replicas; zero when it is 0.
func toolCallLimit(cfg *config.Config, store tokens.Store, logger *slog.Logger, now func() time.Time) (tools.CallLimit, error) {
	if cfg.Tools.RateLimit == 0 {
		return tools.CallLimit{}, nil
	}
	rl, ok := store.(tokens.RateLimiter)
	if !ok {
		return tools.CallLimit{}, fmt.Errorf("tools.rate_limit: the store %T cannot count requests", store)
	}
	return tools.CallLimit{Limiter: rl, PerMinute: cfg.Tools.RateLimit, Caller: callLimitCaller, Logger: logger, Now: now}, nil
}

// callLimitCaller is the verified caller of a tool call, for CallLimit.
func callLimitCaller(req *mcp.CallToolRequest) (tools.CallerIDs, bool) {
	c, ok := protected.CallerFromRequest(req)
	if !ok {
		return tools.CallerIDs{}, false
	}
	return tools.CallerIDs{UserID: c.UserID, ClientID: c.ClientID, GrantID: c.GrantID}, true
}

// consentTools is what the consent page lists: the tools of each choice,
// reads and writes apart, for the first GitHub provider in the chooser's
// order (several GitHub providers serve the same tools). None without a
// GitHub provider, whose sign-ins only ever get whoami. The person's group
// is decided only after they sign in upstream, so every group is listed
// with who belongs to it (handlers.ConsentTools.Groups).
func consentTools(providers *identityProviders, choices []toolChoice) handlers.ConsentTools {
	var out handlers.ConsentTools
	for _, p := range providers.list {
		if _, ok := providers.gitHub[p.Name()]; ok {
			out.Provider = p.DisplayName()
			break
		}
	}
	if out.Provider == "" {
		return out
	}
	reads := tools.ReadOnlyNames()
	split := func(o tools.Options) (read, write []string) {
		for _, name := range tools.Selected(o) {
			if slices.Contains(reads, name) {
				read = append(read, name)
			} else {
				write = append(write, name)
			}
		}
		return read, write
	}
	for _, c := range choices {
		read, write := split(c.opts)
		if c.name == "" {
			out.Read, out.Write = read, write
			continue
		}
		out.Groups = append(out.Groups, handlers.ConsentToolGroup{Name: c.name, Who: c.who, Read: read, Write: write})
	}
	return out
}
