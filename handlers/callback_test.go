package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// startLogin approves a request for a fresh client and returns the server,
// the client and the upstream state.
func startLogin(t *testing.T, mutate func(*Config)) (*asServer, testClient, string) {
	t.Helper()
	s := newTestServer(t, mutate)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	return s, c, upstreamState(t, s.approve(authParams(c, challenge), "github"))
}

func TestCallbackStateCookie(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(s *asServer)
	}{
		{"missing", func(s *asServer) { delete(s.cookies, "__Host-mcpgate_state") }},
		{"tampered", func(s *asServer) {
			ck := s.cookies["__Host-mcpgate_state"]
			ck.Value = ck.Value[:len(ck.Value)-4] + "AAAA"
		}},
		{"another browser's binding", func(s *asServer) {
			rec := httptest.NewRecorder()
			newCookieJar(s.keys, true).set(rec, cookieState, stateCookie{B: randomToken()}, time.Minute)
			s.cookies["__Host-mcpgate_state"] = rec.Result().Cookies()[0]
		}},
		{"consent cookie replayed as state cookie", func(s *asServer) {
			ck := *s.cookies["__Host-mcpgate_consent"]
			ck.Name = "__Host-mcpgate_state"
			s.cookies[ck.Name] = &ck
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, state := startLogin(t, nil)
			tt.tamper(s)
			resp := s.browserGet("/oauth/callback/github", url.Values{"state": {state}, "code": {s.idp.login(t, state)}})
			wantErrorPage(t, resp, http.StatusBadRequest, "not started in this browser")
			if s.idp.exchanges != 0 {
				t.Errorf("the code was exchanged for a browser that did not start the sign-in")
			}
		})
	}
}

func TestCallbackStateIsSingleUse(t *testing.T) {
	s, _, state := startLogin(t, nil)
	stateCookie := *s.cookies["__Host-mcpgate_state"]
	code := s.idp.login(t, state)
	if redirect := s.callback(state, code); !redirect.Query().Has("code") {
		t.Fatalf("first callback: %s", redirect)
	}
	// Replaying the callback fails, even with the state cookie restored.
	s.cookies[stateCookie.Name] = &stateCookie
	resp := s.browserGet("/oauth/callback/github", url.Values{"state": {state}, "code": {code}})
	wantErrorPage(t, resp, http.StatusBadRequest, "expired or was already used")
	if s.idp.exchanges != 1 {
		t.Errorf("%d upstream exchanges, want 1", s.idp.exchanges)
	}
}

func TestCallbackUnknownOrExpiredState(t *testing.T) {
	tests := []struct {
		name  string
		query func(state string) url.Values
		wait  time.Duration
	}{
		{"unknown state", func(string) url.Values { return url.Values{"state": {randomToken()}, "code": {"x"}} }, 0},
		{"missing state", func(string) url.Values { return url.Values{"code": {"x"}} }, 0},
		{"repeated state", func(st string) url.Values { return url.Values{"state": {st, st}, "code": {"x"}} }, 0},
		{"expired state", func(st string) url.Values { return url.Values{"state": {st}, "code": {"x"}} }, 11 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, state := startLogin(t, nil)
			s.clock.Advance(tt.wait)
			wantErrorPage(t, s.browserGet("/oauth/callback/github", tt.query(state)), http.StatusBadRequest, "expired or was already used")
		})
	}
}

func TestCallbackProviderMismatch(t *testing.T) {
	google := newFakeProvider("google", "Google", "https://accounts.example.test")
	s, _, state := startLogin(t, func(c *Config) { c.Providers = append(c.Providers, google) })
	resp := s.browserGet("/oauth/callback/google", url.Values{"state": {state}, "code": {"x"}})
	wantErrorPage(t, resp, http.StatusBadRequest, "expired")
	if google.exchanges != 0 {
		t.Errorf("another provider exchanged the code")
	}
	wantErrorPage(t, s.browserGet("/oauth/callback/myspace", url.Values{"state": {state}}), http.StatusNotFound, "no sign-in provider")
}

func TestCallbackUpstreamFailures(t *testing.T) {
	tests := []struct {
		name     string
		query    func(s *asServer, state string) url.Values
		exchange error
		want     string
	}{
		{"user cancelled at the provider", func(_ *asServer, st string) url.Values {
			return url.Values{"state": {st}, "error": {"access_denied"}, "error_description": {"The user has denied your application access."}}
		}, nil, wire.AccessDenied},
		{"provider unavailable", func(_ *asServer, st string) url.Values {
			return url.Values{"state": {st}, "error": {"temporarily_unavailable"}}
		}, nil, wire.TemporarilyUnavailable},
		{"other provider error", func(_ *asServer, st string) url.Values {
			return url.Values{"state": {st}, "error": {"redirect_uri_mismatch"}}
		}, nil, wire.ServerError},
		{"neither code nor error", func(_ *asServer, st string) url.Values {
			return url.Values{"state": {st}}
		}, nil, wire.ServerError},
		{"allowlist denies the account", func(s *asServer, st string) url.Values {
			return url.Values{"state": {st}, "code": {s.idp.login(s.t, st)}}
		}, fmt.Errorf("user octocat is not in an allowed organisation: %w", upstream.ErrDenied), wire.AccessDenied},
		{"exchange fails", func(s *asServer, st string) url.Values {
			return url.Values{"state": {st}, "code": {s.idp.login(s.t, st)}}
		}, errors.New("github: bad_verification_code gho_leakysecret"), wire.ServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c, state := startLogin(t, nil)
			if tt.exchange != nil {
				s.idp.failExchange(tt.exchange)
			}
			resp := s.browserGet("/oauth/callback/github", tt.query(s, state))
			wantRedirectError(t, resp, c.RedirectURI, tt.want, "client-state-123")
			if loc := resp.Header.Get("Location"); strings.Contains(loc, "gho_leakysecret") || strings.Contains(loc, "denied your application") {
				t.Errorf("upstream details reached the client: %s", loc)
			}
			grants, _ := s.store.ListGrants(t.Context(), "", "")
			if len(grants) != 0 {
				t.Errorf("a grant was created: %+v", grants)
			}
		})
	}
}

func TestCallbackStoreFailures(t *testing.T) {
	tests := []struct {
		name string
		set  func(fs *failingStore)
		page bool // an error page (no validated redirect URI yet) rather than a redirect
	}{
		{"TakePending", func(fs *failingStore) { fs.failTakePending = true }, true},
		{"CreateGrant", func(fs *failingStore) { fs.failCreateGrant = true }, false},
		{"PutCode", func(fs *failingStore) { fs.failPutCode = true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fs := newFailingServer(t, nil)
			c := s.register(authMethodNone, "http://localhost:7777/cb")
			_, challenge := pkce()
			state := upstreamState(t, s.approve(authParams(c, challenge), "github"))
			tt.set(fs)
			resp := s.browserGet("/oauth/callback/github", url.Values{"state": {state}, "code": {s.idp.login(t, state)}})
			if tt.page {
				wantErrorPage(t, resp, http.StatusServiceUnavailable, "right now")
				return
			}
			wantRedirectError(t, resp, c.RedirectURI, wire.TemporarilyUnavailable, "client-state-123")
		})
	}
}

func TestAuthorizePendingStoreFailureRedirects(t *testing.T) {
	s, fs := newFailingServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	fs.failPutPending = true
	resp := s.approve(authParams(c, challenge), "github")
	wantRedirectError(t, resp, c.RedirectURI, wire.TemporarilyUnavailable, "client-state-123")
	if _, ok := s.cookies["__Host-mcpgate_state"]; ok {
		t.Errorf("state cookie set for a sign-in that never started")
	}
}

func TestCallbackGrantRecord(t *testing.T) {
	s, c, state := startLogin(t, func(cfg *Config) { cfg.CodeTTL = 2 * time.Minute })
	code := s.callback(state, s.idp.login(t, state)).Query().Get("code")
	_, grantID, err := tokens.Parse(code)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.store.GetGrant(t.Context(), grantID)
	if err != nil {
		t.Fatal(err)
	}
	if g.ClientID != c.ID || g.UserID != "github:4242" || g.Provider != "github" || g.Subject != "4242" ||
		g.Login != "octocat" || g.Resource != asTestResource || strings.Join(g.Scopes, " ") != "mcp:read mcp:write" {
		t.Errorf("grant %+v", g)
	}
	if !g.ExpiresAt.Equal(s.clock.Now().Add(2 * time.Minute)) {
		t.Errorf("grant expires at %v, want code TTL from now", g.ExpiresAt)
	}
	if !strings.Contains(s.logs.String(), "grant_id="+grantID) || strings.Contains(s.logs.String(), code) {
		t.Errorf("log must name the grant and never the code")
	}
}
