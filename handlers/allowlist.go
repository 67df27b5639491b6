package handlers

import (
	"context"
	"errors"
	"strings"

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

// allowlist applies the sign-in policy (package upstream/allow) at login,
// in the callback, and again at every refresh, in the token endpoint. A
// nil *allowlist, or one with an empty policy, admits everyone.
type allowlist struct {
	Policy *allow.Policy
	// Upstream opens (and refreshes) a grant's upstream token for the
	// GitHub rules at refresh. Required when the policy has GitHub rules.
	Upstream  UpstreamTokenSource
	Providers []upstream.Provider
}

func (a *allowlist) enabled() bool { return a != nil && !a.Policy.Empty() }

// atLogin decides a sign-in that just completed at provider p: id and
// claims are what p said, tok the upstream token it issued (used for the
// GitHub rules, with the login GitHub just returned).
func (a *allowlist) atLogin(ctx context.Context, p upstream.Provider, id upstream.Identity, claims allow.Claims, tok upstream.Token) error {
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
	return a.Policy.Check(ctx, account, allow.LookupFor(p, token, id.Login))
}

// atRefresh decides again for grant g, whose data key caller carries. The
// account is what the grant recorded at login; the GitHub rules ask GitHub
// again with the grant's upstream token, refreshed first if it expired.
// A provider that is no longer configured admits no one.
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
	return a.Policy.Check(ctx, account, allow.LookupFor(p, token, ""))
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
