package github_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/mcpgate/mcpgate/upstream/github"
)

const (
	callback = "http://127.0.0.1:8080/oauth/callback/github"
	secret   = "fake-client-secret"
)

// recorder is a transport that records each request as "host path UA"
// and, in github.com mode, sends github.com and api.github.com to the fake.
type recorder struct {
	target *url.URL // nil: no rewriting
	mu     sync.Mutex
	seen   []string
}

func (rt *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.seen = append(rt.seen, r.URL.Host+" "+r.URL.Path+" "+r.Header.Get("User-Agent"))
	rt.mu.Unlock()
	if rt.target != nil && (r.URL.Host == "github.com" || r.URL.Host == "api.github.com") {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = rt.target.Scheme, rt.target.Host, ""
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (rt *recorder) requests() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.Clone(rt.seen)
}

type setup struct {
	fake *fakegithub.Fake
	p    *github.Provider
	rec  *recorder
	now  time.Time
}

// newSetup starts a fake and a provider for it: github.com mode through a
// rewriting transport, or GHES mode with BaseURL pointing at the fake.
func newSetup(t *testing.T, enterprise bool, opts fakegithub.Options, scopes ...string) *setup {
	t.Helper()
	opts.Enterprise = enterprise
	opts.AutoApprove = true
	f := fakegithubtest.NewServer(t, opts)
	s := &setup{fake: f, rec: &recorder{}, now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	cfg := github.Config{
		ClientID:     f.ClientID(),
		ClientSecret: f.ClientSecret(),
		RedirectURL:  callback,
		Scopes:       scopes,
		HTTPClient:   &http.Client{Transport: s.rec},
		Now:          func() time.Time { return s.now },
	}
	if enterprise {
		cfg.BaseURL = f.URL
	} else {
		s.rec.target, _ = url.Parse(f.URL)
	}
	p, err := github.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.p = p
	return s
}

// login runs the authorize leg against the fake (rewriting github.com when
// needed) and returns the code.
func (s *setup) login(t *testing.T, state, verifier string) string {
	t.Helper()
	authURL := s.p.AuthCodeURL(upstream.AuthRequest{State: state, CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier)})
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	if s.rec.target != nil {
		u.Scheme, u.Host = s.rec.target.Scheme, s.rec.target.Host
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if loc.Query().Get("state") != state {
		t.Fatalf("state = %q, want %q", loc.Query().Get("state"), state)
	}
	return loc.Query().Get("code")
}

func TestNewValidation(t *testing.T) {
	valid := github.Config{ClientID: "id", ClientSecret: "s3cr3t-value", RedirectURL: "https://mcp.example.com/oauth/callback/github"}
	tests := []struct {
		name    string
		mutate  func(*github.Config)
		wantErr string // "" means valid
	}{
		{"valid github.com", func(*github.Config) {}, ""},
		{"explicit github.com", func(c *github.Config) { c.BaseURL = "https://github.com" }, ""},
		{"github.com with slash", func(c *github.Config) { c.BaseURL = "https://github.com/" }, ""},
		{"ghes", func(c *github.Config) { c.BaseURL = "https://ghe.example.com" }, ""},
		{"ghes on loopback http", func(c *github.Config) { c.BaseURL = "http://127.0.0.1:3000" }, ""},
		{"localhost redirect", func(c *github.Config) { c.RedirectURL = "http://localhost:8080/oauth/callback/github" }, ""},
		{"missing client id", func(c *github.Config) { c.ClientID = "" }, "client ID is required"},
		{"missing secret", func(c *github.Config) { c.ClientSecret = "" }, "client secret is required"},
		{"missing redirect", func(c *github.Config) { c.RedirectURL = "" }, "redirect URL is required"},
		{"relative redirect", func(c *github.Config) { c.RedirectURL = "/oauth/callback/github" }, "must be absolute"},
		{"http redirect off loopback", func(c *github.Config) { c.RedirectURL = "http://mcp.example.com/cb" }, "must use https"},
		{"http base off loopback", func(c *github.Config) { c.BaseURL = "http://ghe.example.com" }, "must use https"},
		{"ftp base", func(c *github.Config) { c.BaseURL = "ftp://ghe.example.com" }, "must be an http(s) URL"},
		{"api host as base", func(c *github.Config) { c.BaseURL = "https://api.github.com" }, "not the API host"},
		{"api path as base", func(c *github.Config) { c.BaseURL = "https://ghe.example.com/api/v3" }, "not the API URL"},
		{"base with path", func(c *github.Config) { c.BaseURL = "https://ghe.example.com/github" }, "without path"},
		{"base with credentials", func(c *github.Config) { c.BaseURL = "https://u:p@ghe.example.com" }, "must not contain credentials"},
		{"bad scope", func(c *github.Config) { c.Scopes = []string{"repo user"} }, "not a single GitHub scope"},
		{"configured name", func(c *github.Config) { c.Name = "github-corp" }, ""},
		{"bad name", func(c *github.Config) { c.Name = "GitHub" }, `name "GitHub" must be 1 to 32 lower-case letters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.mutate(&c)
			p, err := github.New(c)
			if tt.wantErr == "" {
				if err != nil || p == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), c.ClientSecret) && c.ClientSecret != "" {
				t.Errorf("error leaks the client secret: %v", err)
			}
		})
	}
}

func TestName(t *testing.T) {
	c := github.Config{ClientID: "id", ClientSecret: "s3cr3t-value", RedirectURL: "https://mcp.example.com/oauth/callback/ghe"}
	tests := []struct{ name, display, wantName, wantDisplay string }{
		{"", "", "github", "GitHub"},
		{"ghe", "", "ghe", "GitHub"},
		{"ghe", "Corp GitHub", "ghe", "Corp GitHub"},
	}
	for _, tt := range tests {
		c.Name, c.DisplayName = tt.name, tt.display
		p, err := github.New(c)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name() != tt.wantName || p.DisplayName() != tt.wantDisplay {
			t.Errorf("Name %q, DisplayName %q: got %q, %q, want %q, %q", tt.name, tt.display, p.Name(), p.DisplayName(), tt.wantName, tt.wantDisplay)
		}
	}
}

func TestEndpoints(t *testing.T) {
	tests := []struct {
		base, display, auth, api string
	}{
		{"", "GitHub", "https://github.com/login/oauth/authorize", "https://api.github.com/"},
		{"https://GHE.example.com/", "GitHub Enterprise (ghe.example.com)", "https://ghe.example.com/login/oauth/authorize", "https://ghe.example.com/api/v3/"},
	}
	for _, tt := range tests {
		t.Run(tt.display, func(t *testing.T) {
			p, err := github.New(github.Config{ClientID: "cid", ClientSecret: "cs", BaseURL: tt.base, RedirectURL: callback})
			if err != nil {
				t.Fatal(err)
			}
			if p.Name() != "github" || p.DisplayName() != tt.display || p.APIBaseURL() != tt.api {
				t.Errorf("name %q display %q api %q", p.Name(), p.DisplayName(), p.APIBaseURL())
			}
			challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
			raw := p.AuthCodeURL(upstream.AuthRequest{State: "st", CodeChallenge: challenge, Nonce: "ignored"})
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Scheme + "://" + u.Host + u.Path; got != tt.auth {
				t.Errorf("authorize endpoint = %q, want %q", got, tt.auth)
			}
			q := u.Query()
			want := map[string]string{
				"client_id": "cid", "redirect_uri": callback, "state": "st", "response_type": "code",
				"code_challenge": challenge, "code_challenge_method": "S256", "scope": "repo read:user user:email",
			}
			for k, v := range want {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
			if q.Has("nonce") || q.Has("client_secret") {
				t.Errorf("unexpected parameters in %s", raw)
			}
			c, err := p.NewClient("gho_token")
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL() != tt.api {
				t.Errorf("client base = %s, want %s", c.BaseURL(), tt.api)
			}
			named, err := github.New(github.Config{ClientID: "cid", ClientSecret: "cs", BaseURL: tt.base, RedirectURL: callback, DisplayName: "Demo GitHub"})
			if err != nil || named.DisplayName() != "Demo GitHub" {
				t.Errorf("DisplayName override = %q, %v", named.DisplayName(), err)
			}
			if _, err := p.NewClient(""); err == nil {
				t.Error("NewClient accepted an empty token")
			}
		})
	}
}

func TestExchange(t *testing.T) {
	for _, enterprise := range []bool{false, true} {
		name := "github.com"
		wantAPI, wantToken := "api.github.com /user", "github.com /login/oauth/access_token"
		if enterprise {
			name = "enterprise"
			wantAPI, wantToken = "/api/v3/user", "/login/oauth/access_token"
		}
		t.Run(name, func(t *testing.T) {
			s := newSetup(t, enterprise, fakegithub.Options{})
			verifier := oauth2.GenerateVerifier()
			code := s.login(t, "state-1", verifier)
			id, tok, err := s.p.Exchange(t.Context(), code, verifier, "")
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			wantID := upstream.Identity{Subject: "1001", Login: "mona", Name: "Mona Lisa Octocat", Email: "mona@example.com", EmailVerified: true}
			if id != wantID {
				t.Errorf("identity = %+v, want %+v", id, wantID)
			}
			if !strings.HasPrefix(tok.AccessToken, "gho_") || tok.RefreshToken != "" || !tok.Expiry.IsZero() || !tok.RefreshExpiry.IsZero() {
				t.Errorf("token = %+v, want a non-expiring OAuth App token", tok)
			}
			if !slices.Equal(tok.Scopes, []string{"repo", "read:user", "user:email"}) {
				t.Errorf("scopes = %v", tok.Scopes)
			}
			var sawToken, sawAPI bool
			for _, r := range s.rec.requests() {
				sawToken = sawToken || strings.Contains(r, wantToken)
				if strings.Contains(r, wantAPI+" ") {
					sawAPI = true
					if !strings.HasSuffix(r, " mcpgate") {
						t.Errorf("API request without the mcpgate user agent: %s", r)
					}
				}
			}
			if !sawToken || !sawAPI {
				t.Errorf("requests %v lack %q or %q", s.rec.requests(), wantToken, wantAPI)
			}
		})
	}
}

func TestExchangeErrors(t *testing.T) {
	s := newSetup(t, false, fakegithub.Options{})
	verifier := oauth2.GenerateVerifier()

	code := s.login(t, "s", verifier)
	_, _, err := s.p.Exchange(t.Context(), code, oauth2.GenerateVerifier(), "")
	if err == nil || !strings.Contains(err.Error(), "bad_verification_code") {
		t.Errorf("wrong verifier: %v, want bad_verification_code", err)
	}
	if err != nil && strings.Contains(err.Error(), code) {
		t.Errorf("error quotes the code: %v", err)
	}
	if _, ok := errors.AsType[*oauth2.RetrieveError](err); !ok {
		t.Errorf("error %v does not wrap *oauth2.RetrieveError", err)
	}

	if _, _, err := s.p.Exchange(t.Context(), "not-a-code", verifier, ""); err == nil || !strings.Contains(err.Error(), "bad_verification_code") {
		t.Errorf("bad code: %v", err)
	}
	if _, _, err := s.p.Exchange(t.Context(), "", verifier, ""); err == nil {
		t.Error("empty code accepted")
	}

	bad, err := github.New(github.Config{
		ClientID: s.fake.ClientID(), ClientSecret: "wrong-secret-value", RedirectURL: callback,
		BaseURL: s.fake.URL, HTTPClient: &http.Client{},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = bad.Exchange(t.Context(), "whatever", verifier, "")
	if err == nil || !strings.Contains(err.Error(), "incorrect_client_credentials") || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestIdentityEmail(t *testing.T) {
	tests := []struct {
		name     string
		login    string
		scopes   []string
		wantMail string
		verified bool
	}{
		{"public email confirmed", "mona", nil, "mona@example.com", true},
		{"private email from /user/emails", "hubot", nil, "hubot@example.com", true},
		{"public email without user:email scope", "mona", []string{"repo", "read:user"}, "mona@example.com", false},
		{"private email without user:email scope", "hubot", []string{"repo"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, false, fakegithub.Options{DefaultLogin: tt.login}, tt.scopes...)
			verifier := oauth2.GenerateVerifier()
			id, _, err := s.p.Exchange(t.Context(), s.login(t, "s", verifier), verifier, "")
			if err != nil {
				t.Fatal(err)
			}
			if id.Login != tt.login || id.Email != tt.wantMail || id.EmailVerified != tt.verified {
				t.Errorf("identity = %+v, want %s email %q verified %v", id, tt.login, tt.wantMail, tt.verified)
			}
		})
	}
}

func TestExchangeUserLookupFails(t *testing.T) {
	s := newSetup(t, true, fakegithub.Options{})
	s.fake.SetRateLimited(time.Now().Add(time.Hour))
	verifier := oauth2.GenerateVerifier()
	if _, _, err := s.p.Exchange(t.Context(), s.login(t, "s", verifier), verifier, ""); err == nil || !strings.Contains(err.Error(), "get user") {
		t.Errorf("rate-limited /user: %v, want a get user error", err)
	}
}

func TestRefresh(t *testing.T) {
	s := newSetup(t, true, fakegithub.Options{AppTokens: true, TokenTTL: time.Hour, RefreshTTL: 48 * time.Hour})
	ctx := t.Context()
	verifier := oauth2.GenerateVerifier()
	_, tok, err := s.p.Exchange(ctx, s.login(t, "s", verifier), verifier, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.RefreshToken, "ghr_") || tok.Scopes != nil {
		t.Fatalf("app token = %+v", tok)
	}
	// GitHub answers form-encoded; expires_in still counts on the
	// provider's clock, like refresh_token_expires_in.
	if want := s.now.Add(time.Hour); !tok.Expiry.Equal(want) {
		t.Errorf("expiry = %v, want %v", tok.Expiry, want)
	}
	if want := s.now.Add(48 * time.Hour); !tok.RefreshExpiry.Equal(want) {
		t.Errorf("refresh expiry = %v, want %v", tok.RefreshExpiry, want)
	}

	next, err := s.p.Refresh(ctx, tok)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == tok.RefreshToken || next.RefreshToken == "" {
		t.Error("refresh did not rotate both tokens")
	}
	if s.fake.Counts().Refreshes != 1 {
		t.Errorf("refreshes = %d", s.fake.Counts().Refreshes)
	}
	c, err := s.p.NewClient(next.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if u, _, err := c.Users.Get(ctx, ""); err != nil || u.GetLogin() != "mona" {
		t.Errorf("new token: %v", err)
	}

	// The rotated-away refresh token is dead.
	if _, err := s.p.Refresh(ctx, tok); !errors.Is(err, upstream.ErrRevoked) {
		t.Errorf("old refresh token: %v, want ErrRevoked", err)
	}
	// So is every token after revocation.
	s.fake.RevokeAll("mona")
	if _, err := s.p.Refresh(ctx, next); !errors.Is(err, upstream.ErrRevoked) {
		t.Errorf("revoked refresh token: %v, want ErrRevoked", err)
	}
	// A refresh token past its known expiry is not even sent.
	expired := next
	expired.RefreshExpiry = s.now
	calls := s.fake.Counts().FailedRefreshes
	if _, err := s.p.Refresh(ctx, expired); !errors.Is(err, upstream.ErrRevoked) || s.fake.Counts().FailedRefreshes != calls {
		t.Errorf("expired refresh token: %v", err)
	}
}

func TestRefreshWithoutRefreshToken(t *testing.T) {
	s := newSetup(t, false, fakegithub.Options{})
	live := upstream.Token{AccessToken: "gho_x", Scopes: []string{"repo"}}
	got, err := s.p.Refresh(t.Context(), live)
	if err != nil || got.AccessToken != live.AccessToken {
		t.Errorf("non-expiring token: %+v, %v; want it unchanged", got, err)
	}
	dead := upstream.Token{AccessToken: "ghu_x", Expiry: s.now.Add(-time.Minute)}
	if _, err := s.p.Refresh(t.Context(), dead); !errors.Is(err, upstream.ErrRevoked) {
		t.Errorf("expired token without refresh token: %v, want ErrRevoked", err)
	}
}

func TestRefreshClientErrorIsNotRevoked(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{AppTokens: true})
	p, err := github.New(github.Config{ClientID: f.ClientID(), ClientSecret: "nope", RedirectURL: callback, BaseURL: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Refresh(t.Context(), upstream.Token{AccessToken: "ghu_x", RefreshToken: "ghr_x"})
	if err == nil || errors.Is(err, upstream.ErrRevoked) || !strings.Contains(err.Error(), "incorrect_client_credentials") {
		t.Errorf("bad client credentials: %v, want a configuration error, not ErrRevoked", err)
	}
}
