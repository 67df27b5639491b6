package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/mcpgate/mcpgate/upstream/github"
)

// claimsProvider is a fakeProvider whose logins also return claims, as an
// OpenID Connect provider's do (allow.ClaimsExchanger).
type claimsProvider struct {
	*fakeProvider
	claims allow.Claims
}

func (p claimsProvider) ExchangeWithClaims(ctx context.Context, code, verifier, nonce string) (upstream.Identity, upstream.Token, allow.Claims, error) {
	id, tok, err := p.Exchange(ctx, code, verifier, nonce)
	return id, tok, p.claims, err
}

func mustPolicy(t *testing.T, r allow.Rules) *allow.Policy {
	t.Helper()
	p, err := allow.New(r)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// loginResponse runs the browser leg with s's fake provider and returns
// the callback's response (not followed).
func loginResponse(t *testing.T, s *asServer, c testClient) *http.Response {
	t.Helper()
	_, challenge := pkce()
	state := upstreamState(t, s.approve(authParams(c, challenge), s.idp.name))
	return s.browserGet("/oauth/callback/"+s.idp.name, url.Values{"state": {state}, "code": {s.idp.login(t, state)}})
}

// wantRefusalPage checks the 403 page of a refused sign-in: it says why,
// offers a link back to the client with access_denied and the client's
// state, and no grant exists.
func wantRefusalPage(t *testing.T, s *asServer, c testClient, resp *http.Response, reason string) {
	t.Helper()
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
		t.Fatalf("status %d, Location %q; want a 403 page without redirect:\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	wantHTMLHeaders(t, resp)
	page := html.UnescapeString(body)
	if !strings.Contains(page, "Access refused") || !strings.Contains(page, reason) {
		t.Fatalf("refusal page does not say %q:\n%s", reason, page)
	}
	start := strings.Index(page, `<a href="`)
	if start < 0 {
		t.Fatalf("refusal page has no link back:\n%s", page)
	}
	href := page[start+len(`<a href="`):]
	href = href[:strings.Index(href, `"`)]
	back, err := url.Parse(href)
	if err != nil || !strings.HasPrefix(href, c.RedirectURI+"?") {
		t.Fatalf("link back %q is not to the client's redirect URI %s", href, c.RedirectURI)
	}
	q := back.Query()
	if q.Get("error") != wire.AccessDenied || q.Get("state") != "client-state-123" || q.Get("iss") != asTestIssuer ||
		!strings.Contains(q.Get("error_description"), reason) {
		t.Errorf("link back %s lacks access_denied, the state, iss or the reason", href)
	}
	grants, err := s.store.ListGrants(context.Background(), "", c.ID)
	if err != nil || len(grants) != 0 {
		t.Errorf("grants after a refusal: %v %v", grants, err)
	}
	if !strings.Contains(s.logs.String(), "sign-in refused by the allowlist") {
		t.Errorf("the refusal was not logged")
	}
}

func TestLoginRefusedByAllowlist(t *testing.T) {
	tests := []struct {
		name     string
		rules    allow.Rules
		identity func(*upstream.Identity)
		claims   *allow.Claims // the provider returns claims when set
		reason   string
	}{
		{name: "users", rules: allow.Rules{Users: []string{"github:1", "github:login:someone", "github:email:octo@example.com"}},
			reason: "your GitHub account is not on the list of people allowed to sign in"},
		{name: "email domain, unverified address", rules: allow.Rules{EmailDomains: []string{"example.com"}},
			identity: func(id *upstream.Identity) { id.EmailVerified = false },
			reason:   "only verified e-mail addresses at example.com may sign in, and GitHub has not verified yours"},
		{name: "email domain, other domain", rules: allow.Rules{EmailDomains: []string{"corp.example"}},
			identity: func(id *upstream.Identity) { id.EmailVerified = true },
			reason:   "only verified e-mail addresses at corp.example may sign in; yours is at example.com"},
		{name: "hosted domain", rules: allow.Rules{GoogleHostedDomains: []string{"corp.example"}},
			claims: &allow.Claims{HostedDomain: "other.example"},
			reason: "only Google Workspace accounts of corp.example may sign in"},
		{name: "github organisation, not a GitHub provider", rules: allow.Rules{GitHubOrgs: []string{"acme"}},
			reason: "members of the acme GitHub organisation may sign in with their GitHub account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, func(cfg *Config) {
				cfg.Allow = mustPolicy(t, tt.rules)
				cfg.UpstreamTokens = &protected.UpstreamTokens{Store: cfg.Store}
				if tt.claims != nil {
					cfg.Providers = []upstream.Provider{claimsProvider{fakeProvider: cfg.Providers[0].(*fakeProvider), claims: *tt.claims}}
				}
			})
			if tt.identity != nil {
				tt.identity(&s.idp.identity)
			}
			c := s.register(authMethodNone, "http://localhost:7777/cb")
			wantRefusalPage(t, s, c, loginResponse(t, s, c), tt.reason)
		})
	}
}

// TestLoginAdmittedRecordsIdentity checks that an admitted sign-in goes on
// as usual and that the grant keeps what the rules need at refresh.
func TestLoginAdmittedRecordsIdentity(t *testing.T) {
	s := newTestServer(t, func(cfg *Config) {
		cfg.Allow = mustPolicy(t, allow.Rules{GoogleHostedDomains: []string{"corp.example"}})
		cfg.Providers = []upstream.Provider{claimsProvider{fakeProvider: cfg.Providers[0].(*fakeProvider), claims: allow.Claims{HostedDomain: "corp.example"}}}
	})
	s.idp.identity.EmailVerified = true
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	tr := s.tokenPair(c)
	at, err := s.accessRecord(tr.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.store.GetGrant(context.Background(), at.GrantID)
	if err != nil {
		t.Fatal(err)
	}
	if !g.EmailVerified || g.HostedDomain != "corp.example" || g.Email != "octo@example.com" || g.Login != "octocat" {
		t.Errorf("grant = %+v, want the verified e-mail and the hosted domain recorded", g)
	}
	// The rules are re-checked at refresh with what the grant recorded.
	if resp := s.refresh(c, tr.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %s", resp.StatusCode, readBody(t, resp))
	}
}

// gitHubAllowServer is an authorization server whose only provider is the
// real GitHub provider, pointed at a fake GitHub (auto-approving
// login) with the organisation acme (mona a member), and whose allowlist
// admits members of acme.
type gitHubAllowServer struct {
	*asServer
	fake *fakegithub.Fake
}

func newGitHubAllowServer(t *testing.T, login string) *gitHubAllowServer {
	t.Helper()
	return newGitHubServerWith(t, login, func(cfg *Config) {
		cfg.Allow = mustPolicy(t, allow.Rules{GitHubOrgs: []string{"acme"}})
	})
}

// newGitHubServerWith is newGitHubAllowServer with configure in place of
// the allowlist.
func newGitHubServerWith(t *testing.T, login string, configure func(*Config)) *gitHubAllowServer {
	t.Helper()
	fake := fakegithubtest.NewServer(t, fakegithub.Options{AutoApprove: true, DefaultLogin: login, Enterprise: true})
	if err := fake.AddOrg(fakegithub.Org{Login: "acme", Members: []string{"mona"}}); err != nil {
		t.Fatal(err)
	}
	p, err := github.New(github.Config{
		ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), BaseURL: fake.URL,
		RedirectURL: asTestIssuer + "/oauth/callback/github",
		Scopes:      []string{"repo", "read:user", "user:email", "read:org"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(cfg *Config) {
		cfg.Providers = []upstream.Provider{p}
		cfg.UpstreamTokens = &protected.UpstreamTokens{Store: cfg.Store, Providers: map[string]upstream.Provider{"github": p}, Now: cfg.Now}
		configure(cfg)
	})
	return &gitHubAllowServer{asServer: s, fake: fake}
}

// login runs the browser leg through the fake GitHub and returns the
// callback's response.
func (s *gitHubAllowServer) login(t *testing.T, c testClient, challenge string) *http.Response {
	t.Helper()
	loc := location(t, s.approve(authParams(c, challenge), "github"))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back := location(t, resp)
	return s.browserGet("/oauth/callback/github", back.Query())
}

func (s *gitHubAllowServer) tokens(t *testing.T, c testClient) tokenResponse {
	t.Helper()
	verifier, challenge := pkce()
	code := location(t, s.login(t, c, challenge)).Query().Get("code")
	resp := s.exchange(c, code, verifier)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token exchange: %d %s", resp.StatusCode, readBody(t, resp))
	}
	var tr tokenResponse
	decodeJSON(t, resp, &tr)
	return tr
}

func TestGitHubOrgRefusedAtLogin(t *testing.T) {
	s := newGitHubAllowServer(t, "hubot")
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	wantRefusalPage(t, s.asServer, c, s.login(t, c, challenge), "your GitHub account is not a member of the acme organisation")
}

// TestGitHubOrgRecheckedAtRefresh: a member signs in and refreshes; once
// removed from the organisation, the next refresh is invalid_grant with
// the reason, and the grant with every token of it is gone.
func TestGitHubOrgRecheckedAtRefresh(t *testing.T) {
	s := newGitHubAllowServer(t, "mona")
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	tr := s.tokens(t, c)
	at, err := s.accessRecord(tr.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	resp := s.refresh(c, tr.RefreshToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh of a member: %d %s", resp.StatusCode, readBody(t, resp))
	}
	var tr2 tokenResponse
	decodeJSON(t, resp, &tr2)

	s.fake.RemoveOrgMember("acme", "mona")
	e := wantOAuthError(t, s.refresh(c, tr2.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
	if !strings.Contains(e.ErrorDescription, "access revoked: your GitHub account is not a member of the acme organisation") {
		t.Errorf("error_description = %q", e.ErrorDescription)
	}
	if _, err := s.store.GetGrant(context.Background(), at.GrantID); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("grant after the refusal: %v, want it revoked", err)
	}
	if _, err := s.accessRecord(tr2.AccessToken); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("access token after the refusal: %v, want it revoked", err)
	}
	if !strings.Contains(s.logs.String(), "grant revoked at refresh: the allowlist no longer admits the user") {
		t.Errorf("the revocation was not logged")
	}
	for _, secret := range s.fake.IssuedTokens() {
		if strings.Contains(s.logs.String(), secret) {
			t.Errorf("an upstream token reached the log")
		}
	}
}

// TestGitHubOrgRecheckTransient: when GitHub cannot answer at refresh,
// nothing is revoked and the client is told to retry with the same
// refresh token.
func TestGitHubOrgRecheckTransient(t *testing.T) {
	s := newGitHubAllowServer(t, "mona")
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	tr := s.tokens(t, c)

	s.fake.SetRateLimited(time.Now().Add(time.Hour))
	resp := s.refresh(c, tr.RefreshToken)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("refresh while GitHub is rate limited: %d %s, want 503 with Retry-After", resp.StatusCode, readBody(t, resp))
	}
	var body wire.ErrorBody
	decodeJSON(t, resp, &body)
	if body.Error != wire.TemporarilyUnavailable {
		t.Errorf("error = %q", body.Error)
	}

	s.fake.SetRateLimited(time.Time{})
	if resp := s.refresh(c, tr.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh after GitHub recovered: %d %s", resp.StatusCode, readBody(t, resp))
	}
}

// TestGitHubOrgRecheckRevokedUpstream: a grant whose GitHub token GitHub
// no longer accepts is revoked at refresh.
func TestGitHubOrgRecheckRevokedUpstream(t *testing.T) {
	s := newGitHubAllowServer(t, "mona")
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	tr := s.tokens(t, c)
	s.fake.RevokeAll("mona")
	e := wantOAuthError(t, s.refresh(c, tr.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
	if !strings.Contains(e.ErrorDescription, "no longer valid") {
		t.Errorf("error_description = %q", e.ErrorDescription)
	}
	if _, err := s.accessRecord(tr.AccessToken); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("access token after the upstream revocation: %v", err)
	}
}

func TestNewNeedsUpstreamTokensForGitHubRules(t *testing.T) {
	cfg := Config{Allow: mustPolicy(t, allow.Rules{GitHubTeams: []string{"acme/core"}})}
	err := cfg.normalise()
	if err == nil || !strings.Contains(err.Error(), "UpstreamTokens is required") {
		t.Fatalf("normalise = %v", err)
	}
}

func TestDescriptionSafe(t *testing.T) {
	got := descriptionSafe("a \"b\" \\ é\n~")
	if got != "a ?b? ? ??~" {
		t.Errorf("descriptionSafe = %q", got)
	}
	raw, _ := json.Marshal(got)
	if strings.ContainsAny(string(raw[1:len(raw)-1]), "\"\\") {
		t.Errorf("unsafe characters survive: %s", raw)
	}
}

// TestAllowlistRecheckedAtRefresh: the rules that need no upstream call
// (users, e-mail domains, Workspace domains) are evaluated again at every
// refresh against what the grant recorded at sign-in. An operator who
// narrows the list (and restarts) cuts existing grants off at their next
// refresh: invalid_grant, and the grant with all its tokens is revoked.
func TestAllowlistRecheckedAtRefresh(t *testing.T) {
	tests := []struct {
		name          string
		admit, refuse allow.Rules
		claims        *allow.Claims
		reason        string
	}{
		{name: "users",
			admit:  allow.Rules{Users: []string{"github:4242"}},
			refuse: allow.Rules{Users: []string{"github:1"}},
			reason: "your GitHub account is not on the list of people allowed to sign in"},
		{name: "email domains",
			admit:  allow.Rules{EmailDomains: []string{"example.com"}},
			refuse: allow.Rules{EmailDomains: []string{"corp.example"}},
			reason: "only verified e-mail addresses at corp.example may sign in"},
		{name: "google hosted domains",
			admit:  allow.Rules{GoogleHostedDomains: []string{"corp.example"}},
			refuse: allow.Rules{GoogleHostedDomains: []string{"other.example"}},
			claims: &allow.Claims{HostedDomain: "corp.example"},
			reason: "only Google Workspace accounts of other.example may sign in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, func(cfg *Config) {
				cfg.Allow = mustPolicy(t, tt.admit)
				if tt.claims != nil {
					cfg.Providers = []upstream.Provider{claimsProvider{fakeProvider: cfg.Providers[0].(*fakeProvider), claims: *tt.claims}}
				}
			})
			s.idp.identity.EmailVerified = true
			c := s.register(authMethodNone, "http://localhost:7777/cb")
			tr := s.tokenPair(c)
			at, err := s.accessRecord(tr.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			resp := s.refresh(c, tr.RefreshToken)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh under the admitting rules: %d %s", resp.StatusCode, readBody(t, resp))
			}
			var tr2 tokenResponse
			decodeJSON(t, resp, &tr2)

			// The operator narrows the list: the same store and keys,
			// another policy (a restart with a new configuration).
			cfg := s.cfg
			cfg.Allow = mustPolicy(t, tt.refuse)
			h, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			s.handler = h
			e := wantOAuthError(t, s.refresh(c, tr2.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
			if !strings.Contains(e.ErrorDescription, "access revoked: "+tt.reason) {
				t.Errorf("error_description = %q, want it to say %q", e.ErrorDescription, tt.reason)
			}
			if _, err := s.store.GetGrant(context.Background(), at.GrantID); !errors.Is(err, tokens.ErrNotFound) {
				t.Errorf("grant after the refusal: %v, want it revoked", err)
			}
		})
	}
}
