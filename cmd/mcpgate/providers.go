package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
	"github.com/mcpgate/mcpgate/upstream/github"
	"github.com/mcpgate/mcpgate/upstream/google"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

// discoveryTimeout bounds the OpenID Connect discovery of each provider at
// start-up.
const discoveryTimeout = 20 * time.Second

// readOrgScope is the GitHub OAuth scope that lets a token read the
// user's organisation and team memberships (allowlists need it).
const readOrgScope = "read:org"

// identityProviders are the built upstream providers.
type identityProviders struct {
	// list is every provider in the sign-in chooser's order.
	list []upstream.Provider
	// byName holds the same providers by name (protected.UpstreamTokens).
	byName map[string]upstream.Provider
	// gitHub holds the GitHub-type providers by name: the grants whose
	// provider is among them can use the GitHub tools.
	gitHub map[string]*github.Provider
}

// buildProviders builds every configured provider (config.Config.IdentityProviders)
// in order. OpenID Connect providers (google, oidc) read their issuer's
// discovery document now, each within discoveryTimeout; a failure stops
// the start-up with an error naming the provider and its issuer. When the
// allowlist has GitHub organisation or team rules, every GitHub provider
// also asks for read:org.
func buildProviders(ctx context.Context, cfg *config.Config, policy *allow.Policy, opts appOptions, now func() time.Time) (*identityProviders, error) {
	out := &identityProviders{byName: map[string]upstream.Provider{}, gitHub: map[string]*github.Provider{}}
	for _, pc := range cfg.IdentityProviders() {
		p, err := buildProvider(ctx, cfg, pc, policy, opts, now)
		if err != nil {
			return nil, err
		}
		if gp, ok := p.(*github.Provider); ok {
			out.gitHub[p.Name()] = gp
		}
		out.list = append(out.list, p)
		out.byName[p.Name()] = p
	}
	if len(out.list) == 0 {
		return nil, errors.New("no identity provider is configured")
	}
	return out, nil
}

func buildProvider(ctx context.Context, cfg *config.Config, pc config.ProviderConfig, policy *allow.Policy, opts appOptions, now func() time.Time) (upstream.Provider, error) {
	redirect := cfg.CallbackURL(pc.Name)
	switch pc.Type {
	case config.TypeGitHub:
		scopes := slices.Clone(pc.Scopes)
		if policy.NeedsGitHubOrgs() && !slices.ContainsFunc(scopes, func(s string) bool {
			return s == readOrgScope || s == "write:org" || s == "admin:org"
		}) {
			scopes = append(scopes, readOrgScope)
		}
		display := pc.DisplayName
		if display == "" && pc.Origin() == "GITHUB_CLIENT_ID" {
			display = opts.GitHubDisplayName
		}
		p, err := github.New(github.Config{
			Name:         pc.Name,
			ClientID:     pc.ClientID,
			ClientSecret: pc.ClientSecret.Reveal(),
			BaseURL:      pc.BaseURL,
			RedirectURL:  redirect,
			Scopes:       scopes,
			HTTPClient:   opts.httpClientFor(pc.Name),
			DisplayName:  display,
			Now:          now,
		})
		if err != nil {
			return nil, fmt.Errorf("identity provider %s (GitHub at %s): %w", pc.Name, pc.BaseURL, err)
		}
		return p, nil
	case config.TypeGoogle:
		dctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
		defer cancel()
		p, err := google.New(dctx, google.Config{
			Name:         pc.Name,
			DisplayName:  pc.DisplayName,
			ClientID:     pc.ClientID,
			ClientSecret: pc.ClientSecret.Reveal(),
			RedirectURL:  redirect,
			HostedDomain: pc.HostedDomain,
			IssuerURL:    pc.IssuerURL,
			HTTPClient:   opts.httpClientFor(pc.Name),
			Now:          now,
		})
		if err != nil {
			return nil, fmt.Errorf("identity provider %s (Google, issuer %s): %w", pc.Name, pc.IssuerURL, err)
		}
		return p, nil
	case config.TypeOIDC:
		dctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
		defer cancel()
		p, err := oidc.New(dctx, oidc.Config{
			Name:            pc.Name,
			DisplayName:     pc.DisplayName,
			IssuerURL:       pc.IssuerURL,
			ClientID:        pc.ClientID,
			ClientSecret:    pc.ClientSecret.Reveal(),
			RedirectURL:     redirect,
			Scopes:          pc.Scopes,
			ExtraAuthParams: pc.ExtraAuthParams,
			HostedDomain:    pc.HostedDomain,
			SkipIssuerCheck: pc.SkipIssuerCheck,
			AllowedTenants:  pc.AllowedTenants,
			HTTPClient:      opts.httpClientFor(pc.Name),
			Now:             now,
		})
		if err != nil {
			return nil, fmt.Errorf("identity provider %s (OpenID Connect, issuer %s): %w", pc.Name, pc.IssuerURL, err)
		}
		return p, nil
	}
	return nil, fmt.Errorf("identity provider %s: unknown type %q", pc.Name, pc.Type)
}

// mcpServers are the two MCP servers of /mcp and /sse: every tool for
// grants of a GitHub provider, whoami only for the others.
type mcpServers struct {
	gitHub, identity *mcp.Server
	providers        *identityProviders
}

// serverFor picks the server of a caller by its grant's provider (the
// handlers' MCPServerFor).
func (s *mcpServers) serverFor(c *tokens.Caller) *mcp.Server {
	if _, ok := s.providers.gitHub[c.Provider]; ok {
		return s.gitHub
	}
	return s.identity
}

// newMCPServers builds both servers. Each tool's scope is enforced twice on
// both: /mcp answers 403 insufficient_scope before the SDK reads the call
// (handlers.Config.ToolScopes), and tools.RequireScopes refuses the call
// where the tool would run. The GitHub server serves the tools, resources
// and prompts toolOpts selects (configuration key tools) and completes
// their arguments; the SDK advertises each capability only when it is
// served (resources and prompts once one is added, completions once the
// handler is set). The identity server serves whoami alone, so it
// advertises tools only.
func newMCPServers(deps tools.Deps, providers *identityProviders, opts *mcp.ServerOptions, toolOpts tools.Options) (*mcpServers, error) {
	gitHubOpts, identityOpts := *opts, *opts
	gitHubOpts.Instructions = "Tools that act on the signed-in person's GitHub account: repositories, files, commits and branches, issues, " +
		"pull requests, Actions runs and job logs, and search, under the names of GitHub's own MCP server. " +
		"Repository files are also resources (repo://owner/repo/contents/path). whoami tells who the connection is signed in as."
	gitHubOpts.CompletionHandler = tools.CompletionHandler(deps)
	identityOpts.Instructions = "This connection signed in with an identity provider other than GitHub, so only whoami is available: " +
		"it tells who the connection is signed in as. To use the GitHub tools, connect again and sign in with GitHub."
	s := &mcpServers{
		gitHub:    mcp.NewServer(&mcp.Implementation{Name: "mcpgate", Title: "GitHub (via mcpgate)", Version: version}, &gitHubOpts),
		identity:  mcp.NewServer(&mcp.Implementation{Name: "mcpgate", Title: "mcpgate", Version: version}, &identityOpts),
		providers: providers,
	}
	if err := tools.RegisterWith(s.gitHub, deps, toolOpts); err != nil {
		return nil, err
	}
	tools.RegisterIdentity(s.identity, deps)
	s.gitHub.AddReceivingMiddleware(tools.RequireScopes, protected.CacheToolList, protected.CancelWithClient)
	s.identity.AddReceivingMiddleware(tools.RequireScopes, protected.CacheToolList, protected.CancelWithClient)
	return s, nil
}

// consentTools is what the consent page lists: the tools o selects, reads
// and writes apart, for the first GitHub provider in the chooser's order
// (several GitHub providers serve the same tools). None without a GitHub
// provider, whose sign-ins only ever get whoami.
func consentTools(providers *identityProviders, o tools.Options) handlers.ConsentTools {
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
	for _, name := range tools.Selected(o) {
		if slices.Contains(reads, name) {
			out.Read = append(out.Read, name)
		} else {
			out.Write = append(out.Write, name)
		}
	}
	return out
}

// whoamiFunc answers the whoami tool from the caller's grant: the one the
// bearer check read with the access token (tokens.Caller.Grant), so whoami
// costs no store round trip; grants is read only for a caller without it.
func whoamiFunc(grants tokens.GrantStore, providers *identityProviders) tools.WhoamiFunc {
	return func(ctx context.Context, req *mcp.CallToolRequest) (tools.Identity, error) {
		caller, ok := protected.CallerFromRequest(req)
		if !ok {
			return tools.Identity{}, errors.New("this request carries no signed-in user")
		}
		g, err := callerGrant(ctx, grants, caller)
		if err != nil {
			return tools.Identity{}, err
		}
		id := tools.Identity{
			Provider:      g.Provider,
			UserID:        g.UserID,
			Subject:       g.Subject,
			Login:         g.Login,
			Email:         g.Email,
			EmailVerified: g.EmailVerified,
			Name:          g.Name,
			Scopes:        slices.Clone(caller.Scopes),
			ClientID:      caller.ClientID,
		}
		if !g.CreatedAt.IsZero() {
			id.GrantCreated = g.CreatedAt.UTC().Format(time.RFC3339)
		}
		if p, ok := providers.byName[g.Provider]; ok {
			id.ProviderName = p.DisplayName()
		}
		_, id.GitHubTools = providers.gitHub[g.Provider]
		return id, nil
	}
}

// callerGrant is the caller's grant: the bearer check's snapshot when there
// is one, else read from grants.
func callerGrant(ctx context.Context, grants tokens.GrantStore, caller *tokens.Caller) (tokens.Grant, error) {
	if caller.Grant != nil && caller.Grant.ID == caller.GrantID {
		return *caller.Grant, nil
	}
	g, err := grants.GetGrant(ctx, caller.GrantID)
	if errors.Is(err, tokens.ErrNotFound) {
		return tokens.Grant{}, fmt.Errorf("grant %s: %w", caller.GrantID, upstream.ErrRevoked)
	}
	if err != nil {
		return tokens.Grant{}, errors.New("the sign-in record is unavailable right now; retry shortly")
	}
	return g, nil
}
