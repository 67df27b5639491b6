package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/internal/tokenresp"
)

const (
	githubWeb = "https://github.com"
	githubAPI = "https://api.github.com/"
	userAgent = "mcpgate"
)

var (
	_ upstream.Provider  = (*Provider)(nil)
	_ upstream.Refresher = (*Provider)(nil)
)

// Provider signs users in with GitHub (github.com or GitHub Enterprise
// Server) and builds API clients for their tokens.
type Provider struct {
	oauth      oauth2.Config
	name       string
	display    string // DisplayName override
	host       string // GHES host; "" for github.com
	web        string // web origin without trailing slash
	apiBase    string
	httpClient *http.Client
	now        func() time.Time
	etags      *etagCache // nil: no conditional requests
}

// New validates c and builds a Provider bound to its credentials.
func New(c Config) (*Provider, error) {
	base, err := c.validate()
	if err != nil {
		return nil, err
	}
	p := &Provider{
		httpClient: c.HTTPClient,
		now:        c.Now,
		apiBase:    githubAPI,
		web:        githubWeb,
		name:       c.Name,
		display:    c.DisplayName,
	}
	switch {
	case c.ConditionalCacheBytes == 0:
		p.etags = newETagCache(DefaultConditionalCacheBytes)
	case c.ConditionalCacheBytes > 0:
		p.etags = newETagCache(c.ConditionalCacheBytes)
	}
	if p.etags != nil {
		p.etags.shared = c.SharedCache
	}
	if p.name == "" {
		p.name = defaultName
	}
	if p.httpClient == nil {
		p.httpClient = &http.Client{Timeout: defaultTimeout}
	}
	if p.now == nil {
		p.now = time.Now
	}
	if base != nil {
		p.web = base.String()
		p.host = base.Host
		p.apiBase = p.web + "/api/v3/"
	}
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	p.oauth = oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RedirectURL:  c.RedirectURL,
		Scopes:       append([]string(nil), scopes...),
		Endpoint: oauth2.Endpoint{
			AuthURL:  p.web + "/login/oauth/authorize",
			TokenURL: p.web + "/login/oauth/access_token",
			// GitHub documents client_id and client_secret as body
			// parameters; sending them there avoids the auto-detect
			// retry that could redeem a code twice.
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
	return p, nil
}

// Name is the provider's path segment: Config.Name, default "github".
func (p *Provider) Name() string { return p.name }

// DisplayName is Config.DisplayName if set, else "GitHub", or "GitHub
// Enterprise (host)" for GHES.
func (p *Provider) DisplayName() string {
	if p.display != "" {
		return p.display
	}
	if p.host != "" {
		return "GitHub Enterprise (" + p.host + ")"
	}
	return "GitHub"
}

// APIBaseURL is the REST API base with a trailing slash:
// https://api.github.com/ or {BaseURL}/api/v3/.
func (p *Provider) APIBaseURL() string { return p.apiBase }

// AuthCodeURL is GitHub's authorize URL for r (RFC 6749 §4.1.1) with the
// S256 PKCE challenge (RFC 7636 §4.3). GitHub has no nonce; r.Nonce is
// ignored. A read-only request asks for the configured scopes' read-only
// part (readOnlyScopes).
func (p *Provider) AuthCodeURL(r upstream.AuthRequest) string {
	var opts []oauth2.AuthCodeOption
	if r.ReadOnly {
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(readOnlyScopes(p.oauth.Scopes), " ")))
	}
	if r.CodeChallenge != "" {
		opts = append(opts,
			oauth2.SetAuthURLParam("code_challenge", r.CodeChallenge),
			oauth2.SetAuthURLParam("code_challenge_method", "S256"),
		)
	}
	return p.oauth.AuthCodeURL(r.State, opts...)
}

// Exchange redeems code with its PKCE verifier (RFC 6749 §4.1.3, RFC 7636
// §4.5) and identifies the user with GET /user (and GET /user/emails for
// the address). nonce is unused: GitHub issues no ID token.
func (p *Provider) Exchange(ctx context.Context, code, codeVerifier, nonce string) (upstream.Identity, upstream.Token, error) {
	if code == "" {
		return upstream.Identity{}, upstream.Token{}, errors.New("github: empty authorization code")
	}
	requested := p.now()
	tok, err := p.oauth.Exchange(p.clientContext(ctx), code, oauth2.VerifierOption(codeVerifier))
	if err != nil {
		return upstream.Identity{}, upstream.Token{}, fmt.Errorf("github: exchange authorization code: %w", tokenresp.Describe(err))
	}
	t := p.convert(tok, requested, nil)
	id, err := p.identify(ctx, t.AccessToken)
	if err != nil {
		return upstream.Identity{}, upstream.Token{}, err
	}
	return id, t, nil
}

// Refresh exchanges the refresh token of a GitHub App user token for a new
// pair (RFC 6749 §6); GitHub rotates the refresh token every time. A dead
// refresh token, or an expired token that has none, is upstream.ErrRevoked.
// A token without a refresh token that has not expired (OAuth App tokens
// never do) is returned unchanged.
func (p *Provider) Refresh(ctx context.Context, t upstream.Token) (upstream.Token, error) {
	if t.RefreshToken == "" {
		if t.Expired(p.now()) {
			return upstream.Token{}, fmt.Errorf("github: token expired and has no refresh token: %w", upstream.ErrRevoked)
		}
		return t, nil
	}
	requested := p.now()
	if !t.RefreshExpiry.IsZero() && !requested.Before(t.RefreshExpiry) {
		return upstream.Token{}, fmt.Errorf("github: refresh token expired: %w", upstream.ErrRevoked)
	}
	src := p.oauth.TokenSource(p.clientContext(ctx), &oauth2.Token{RefreshToken: t.RefreshToken})
	tok, err := src.Token()
	if err != nil {
		if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok && revokedCode(re) {
			return upstream.Token{}, fmt.Errorf("github: refresh rejected (%s): %w", re.ErrorCode, upstream.ErrRevoked)
		}
		return upstream.Token{}, fmt.Errorf("github: refresh token: %w", tokenresp.Describe(err))
	}
	return p.convert(tok, requested, t.Scopes), nil
}

// revokedCode reports whether GitHub said the refresh token is dead. It
// answers bad_refresh_token with HTTP 200; invalid_grant is the RFC 6749
// §5.2 code other deployments use.
func revokedCode(re *oauth2.RetrieveError) bool {
	switch re.ErrorCode {
	case "bad_refresh_token", "invalid_grant":
		return true
	}
	return false
}

// convert maps an oauth2 token to upstream.Token. GitHub sends
// refresh_token_expires_in (seconds) and scope (comma separated) as extra
// fields, as numbers or strings depending on the response format. When
// the response has no scope field, keep is used.
func (p *Provider) convert(tok *oauth2.Token, requested time.Time, keep []string) upstream.Token {
	t := upstream.Token{
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		Scopes:       keep,
	}
	// Expiry on the provider's clock (oauth2 computes tok.Expiry from the
	// wall clock, which an injected test clock does not move). oauth2 sets
	// ExpiresIn only for JSON answers; GitHub answers form-encoded unless
	// asked for JSON, and then expires_in is among the extra fields.
	if tok.ExpiresIn > 0 {
		t.Expiry = requested.Add(time.Duration(tok.ExpiresIn) * time.Second)
	} else if secs, ok := tokenresp.Seconds(tok.Extra("expires_in")); ok && secs > 0 {
		t.Expiry = requested.Add(time.Duration(secs) * time.Second)
	} else {
		t.Expiry = tok.Expiry
	}
	if secs, ok := tokenresp.Seconds(tok.Extra("refresh_token_expires_in")); ok && secs > 0 {
		t.RefreshExpiry = requested.Add(time.Duration(secs) * time.Second)
	}
	if raw, ok := tok.Extra("scope").(string); ok {
		t.Scopes = nil
		for s := range strings.SplitSeq(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				t.Scopes = append(t.Scopes, s)
			}
		}
	}
	return t
}

func (p *Provider) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.httpClient)
}
