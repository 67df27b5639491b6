package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	"github.com/modelcontextprotocol/go-sdk/mcp"

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
// allowlist or a tool group has GitHub organisation or team rules, every
// GitHub provider also asks for read:org.
func buildProviders(ctx context.Context, cfg *config.Config, policy *allow.Policy, opts appOptions, now func() time.Time, shared github.SharedCache) (*identityProviders, error) {
	out := &identityProviders{byName: map[string]upstream.Provider{}, gitHub: map[string]*github.Provider{}}
	for _, pc := range cfg.IdentityProviders() {
		p, err := buildProvider(ctx, cfg, pc, policy, opts, now, shared)
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

func buildProvider(ctx context.Context, cfg *config.Config, pc config.ProviderConfig, policy *allow.Policy, opts appOptions, now func() time.Time, shared github.SharedCache) (upstream.Provider, error) {
	redirect := cfg.CallbackURL(pc.Name)
	switch pc.Type {
	case config.TypeGitHub:
		scopes := slices.Clone(pc.Scopes)
		if (policy.NeedsGitHubOrgs() || cfg.Tools.NeedsGitHubOrgs()) && !slices.ContainsFunc(scopes, func(s string) bool {
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
			SharedCache:  shared,
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
