package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
)

// UpstreamTokenSource hands out a grant's current upstream token,
// refreshing it first when it has expired (protected.UpstreamTokens). The
// token endpoint needs it to re-check GitHub organisation and team rules
// at refresh with the person's own GitHub token.
type UpstreamTokenSource interface {
	Token(ctx context.Context, c *tokens.Caller) (upstream.Token, error)
}

// ToolGroup is one group of the tools configuration (YAML tools.groups):
// the people its Members rules admit get the group's tools (the MCP
// server Config.MCPServerFor picks by tokens.Grant.ToolGroup). Members
// are rules of the allowlist's kind, evaluated by package allow like the
// allowlist, at sign-in and again at every refresh.
type ToolGroup struct {
	// Name is stored on the grant (tokens.Grant.ToolGroup).
	Name string
	// Members decides who belongs; it must have at least one rule.
	Members *allow.Policy
}

// checkToolGroups reports groups without a name or rules, a name used
// twice, and GitHub rules without UpstreamTokens to re-check them at
// refresh.
func (cfg *Config) checkToolGroups(bad func(string, ...any)) {
	var seen []string
	for i, g := range cfg.ToolGroups {
		switch {
		case g.Name == "":
			bad("ToolGroups[%d] has no name", i)
		case slices.Contains(seen, g.Name):
			bad("ToolGroups[%d]: the name %q is used twice", i, g.Name)
		}
		seen = append(seen, g.Name)
		if g.Members.Empty() {
			bad("ToolGroups[%d] (%s) has no members rule: it would admit everyone", i, g.Name)
		}
		if g.Members.NeedsGitHubOrgs() && cfg.UpstreamTokens == nil {
			bad("UpstreamTokens is required when ToolGroups[%d] (%s) has GitHub organisation or team rules", i, g.Name)
		}
	}
}

// allowlist applies the sign-in policy (package upstream/allow) at login,
// in the callback, and again at every refresh, in the token endpoint, and
// decides at the same points the person's tool group. A nil *allowlist,
// or one with an empty policy and no groups, admits everyone into the
// deployment's default tools.
type allowlist struct {
	Policy *allow.Policy
	// Groups are the tool groups in order: the first whose rules admit
	// the person is theirs; none means the deployment's default tools.
	Groups []ToolGroup
	// Upstream opens (and refreshes) a grant's upstream token for the
	// GitHub rules at refresh. Required when the policy has GitHub rules.
	Upstream  UpstreamTokenSource
	Providers []upstream.Provider
}

func (a *allowlist) enabled() bool { return a != nil && (!a.Policy.Empty() || len(a.Groups) > 0) }

// atLogin decides a sign-in that just completed at provider p: id and
// claims are what p said, tok the upstream token it issued (used for the
// GitHub rules, with the login GitHub just returned).
func (a *allowlist) atLogin(ctx context.Context, p upstream.Provider, id upstream.Identity, claims allow.Claims, tok upstream.Token) error {
	account, lookup := loginAccount(p, id, claims, tok)
	return a.Policy.Check(ctx, account, lookup)
}

// groupAtLogin is the tool group of a sign-in the allowlist admitted
// (atLogin): the name of the first group whose rules admit the person,
// or "" for the deployment's default tools.
func (a *allowlist) groupAtLogin(ctx context.Context, p upstream.Provider, id upstream.Identity, claims allow.Claims, tok upstream.Token) (string, error) {
	account, lookup := loginAccount(p, id, claims, tok)
	return a.toolGroup(ctx, account, lookup)
}

// toolGroup returns the name of the first group whose rules admit
// account, or "" when none does. An error means a GitHub rule could not
// be evaluated (as for Policy.Check): nothing is known.
func (a *allowlist) toolGroup(ctx context.Context, account allow.Account, github allow.GitHubLookup) (string, error) {
	if a == nil {
		return "", nil
	}
	for _, g := range a.Groups {
		err := g.Members.Check(ctx, account, github)
		switch {
		case err == nil:
			return g.Name, nil
		case errors.Is(err, upstream.ErrDenied):
		default:
			return "", fmt.Errorf("tool group %s: %w", g.Name, err)
		}
	}
	return "", nil
}

// errToolGroupChanged refuses a refresh whose grant was made for another
// tool group than the person belongs to now: the grant is revoked, and
// the next sign-in records the current group.
var errToolGroupChanged = &allow.Refusal{Reasons: []string{
	"the tools your account may use have changed since you signed in; sign in again to get the current ones",
}}

// loginAccount is the account of a sign-in that just completed, and the
// GitHub lookup of its GitHub rules.
func loginAccount(p upstream.Provider, id upstream.Identity, claims allow.Claims, tok upstream.Token) (allow.Account, allow.GitHubLookup) {
	account := allow.Account{
		Provider:        p.Name(),
		ProviderDisplay: p.DisplayName(),
		Subject:         id.Subject,
		Login:           id.Login,
		Email:           id.Email,
		EmailVerified:   id.EmailVerified,
		HostedDomain:    claims.HostedDomain,
	}
	token := func(context.Context) (string, error) { return tok.AccessToken, nil }
	return account, allow.LookupFor(p, token, id.Login)
}

// atRefresh decides again for grant g, whose data key caller carries. The
// account is what the grant recorded at login; the GitHub rules ask GitHub
// again with the grant's upstream token, refreshed first if it expired.
// A provider that is no longer configured admits no one. When the person's
// tool group is no longer the one the grant records (they left or joined
// an organisation, the groups were reconfigured), the answer is a refusal
// too (errToolGroupChanged): the grant is revoked, and signing in again
// records the current group, so that a person who lost write tools loses
// them within one access token lifetime.
func (a *allowlist) atRefresh(ctx context.Context, g tokens.Grant, caller *tokens.Caller) error {
	var p upstream.Provider
	for _, q := range a.Providers {
		if q.Name() == g.Provider {
			p = q
		}
	}
	if p == nil {
		return &allow.Refusal{Reasons: []string{"the sign-in provider " + g.Provider + " is no longer offered by this server"}}
	}
	account := allow.Account{
		Provider:        g.Provider,
		ProviderDisplay: p.DisplayName(),
		Subject:         g.Subject,
		Login:           g.Login,
		Email:           g.Email,
		EmailVerified:   g.EmailVerified,
		HostedDomain:    g.HostedDomain,
	}
	token := func(ctx context.Context) (string, error) {
		if a.Upstream == nil {
			return "", errors.New("handlers: no upstream token source to check GitHub rules with")
		}
		t, err := a.Upstream.Token(ctx, caller)
		if err != nil {
			return "", err
		}
		return t.AccessToken, nil
	}
	// The login recorded at sign-in may have been renamed since: GitHub
	// is asked for the current one.
	lookup := allow.LookupFor(p, token, "")
	if err := a.Policy.Check(ctx, account, lookup); err != nil {
		return err
	}
	group, err := a.toolGroup(ctx, account, lookup)
	switch {
	case err != nil:
		return err
	case group != g.ToolGroup:
		return errToolGroupChanged
	}
	return nil
}

// recheckVerdict is what a failed atRefresh means for the grant: revoke it
// (with the reason for the log), or, when the rules could not be checked
// (GitHub down), neither.
func recheckVerdict(err error) (reason string, revoke bool) {
	switch {
	case errors.Is(err, errToolGroupChanged):
		return "the person's tool group changed", true
	case errors.Is(err, upstream.ErrDenied):
		return "the allowlist no longer admits the user", true
	case errors.Is(err, protected.ErrGrantGone), errors.Is(err, upstream.ErrRevoked), errors.Is(err, tokens.ErrSealBroken):
		return "the upstream token is no longer usable", true
	}
	return "", false
}

// refusalReasons is the person-facing text of a refusal: its reasons
// joined into one sentence, or a generic one.
func refusalReasons(err error) string {
	if r, ok := errors.AsType[*allow.Refusal](err); ok && len(r.Reasons) > 0 {
		return strings.Join(r.Reasons, "; ")
	}
	return "this account may not use this server"
}

// descriptionSafe keeps only the characters RFC 6749 §5.2 allows in
// error_description (%x20-21 / %x23-5B / %x5D-7E), replacing the others
// with "?": refusal reasons quote configured names and e-mail domains.
func descriptionSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}
