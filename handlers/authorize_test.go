package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

func TestAuthorizeUnknownClientShowsPage(t *testing.T) {
	tests := []struct {
		name   string
		params url.Values
		phrase string
	}{
		{"unknown client", url.Values{"client_id": {"abcdefghijklmnopqrstuvwxyz"}, "redirect_uri": {"https://evil.example/cb"}}, "Unknown application"},
		{"missing client_id", url.Values{"redirect_uri": {"https://evil.example/cb"}}, "client_id"},
		{"repeated client_id", url.Values{"client_id": {"a", "b"}, "redirect_uri": {"https://evil.example/cb"}}, "client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			_, challenge := pkce()
			q := url.Values{"response_type": {"code"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"s"}}
			for k, v := range tt.params {
				q[k] = v
			}
			wantErrorPage(t, s.browserGet("/authorize", q), http.StatusBadRequest, tt.phrase)
		})
	}
}

func TestAuthorizeUnregisteredRedirectURIShowsPage(t *testing.T) {
	tests := []struct {
		name       string
		registered []string
		requested  []string // nil: parameter absent
	}{
		{"other host", []string{"https://app.example.com/cb"}, []string{"https://evil.example.com/cb"}},
		{"other path", []string{"https://app.example.com/cb"}, []string{"https://app.example.com/cb/../evil"}},
		{"extra query", []string{"https://app.example.com/cb"}, []string{"https://app.example.com/cb?x=1"}},
		{"trailing slash", []string{"https://app.example.com/cb"}, []string{"https://app.example.com/cb/"}},
		{"fragment", []string{"https://app.example.com/cb"}, []string{"https://app.example.com/cb#x"}},
		{"https port differs", []string{"https://app.example.com/cb"}, []string{"https://app.example.com:8443/cb"}},
		{"loopback other path", []string{"http://localhost:3000/cb"}, []string{"http://localhost:4000/evil"}},
		{"loopback other host", []string{"http://localhost:3000/cb"}, []string{"http://127.0.0.1:3000/cb"}},
		{"loopback https scheme", []string{"http://localhost:3000/cb"}, []string{"https://localhost:3000/cb"}},
		{"omitted with two registered", []string{"https://app.example.com/a", "https://app.example.com/b"}, nil},
		{"repeated", []string{"https://app.example.com/cb"}, []string{"https://app.example.com/cb", "https://app.example.com/cb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, tt.registered...)
			_, challenge := pkce()
			q := authParams(c, challenge)
			q.Del("redirect_uri")
			if tt.requested != nil {
				q["redirect_uri"] = tt.requested
			}
			wantErrorPage(t, s.browserGet("/authorize", q), http.StatusBadRequest, "did not register")
			if strings.Contains(s.logs.String(), "upstream sign-in started") {
				t.Errorf("the upstream leg started")
			}
		})
	}
}

func TestAuthorizeRedirectURIMatching(t *testing.T) {
	tests := []struct {
		name       string
		registered []string
		requested  string // "" : parameter absent
		want       string // where the code goes
	}{
		{"exact", []string{"https://app.example.com/cb"}, "https://app.example.com/cb", "https://app.example.com/cb"},
		{"omitted with one registered", []string{"https://app.example.com/cb"}, "", "https://app.example.com/cb"},
		{"loopback any port", []string{"http://localhost:6274/oauth/callback"}, "http://localhost:51234/oauth/callback", "http://localhost:51234/oauth/callback"},
		{"loopback port added", []string{"http://127.0.0.1/callback"}, "http://127.0.0.1:33333/callback", "http://127.0.0.1:33333/callback"},
		{"loopback IPv6", []string{"http://[::1]:1000/cb"}, "http://[::1]:2000/cb", "http://[::1]:2000/cb"},
		{"claude.com for claude.ai", []string{"https://claude.ai/api/mcp/auth_callback"}, "https://claude.com/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"},
		{"claude.ai for claude.com", []string{"https://claude.com/api/mcp/auth_callback"}, "https://claude.ai/api/mcp/auth_callback", "https://claude.ai/api/mcp/auth_callback"},
		{"private-use scheme", []string{"com.example.app:/oauth"}, "com.example.app:/oauth", "com.example.app:/oauth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, tt.registered...)
			c.RedirectURI = tt.requested
			verifier, challenge := pkce()
			params := authParams(c, challenge)
			if tt.requested == "" {
				params.Del("redirect_uri")
			}
			state := upstreamState(t, s.approve(params, "github"))
			redirect := s.callback(state, s.idp.login(t, state))
			if got := strings.SplitN(redirect.String(), "?", 2)[0]; got != tt.want {
				t.Fatalf("code sent to %s, want %s", got, tt.want)
			}
			// The code is bound to the redirect URI actually used.
			c.RedirectURI = tt.want
			if resp := s.exchange(c, redirect.Query().Get("code"), verifier); resp.StatusCode != http.StatusOK {
				t.Fatalf("exchange: %d %s", resp.StatusCode, readBody(t, resp))
			}
		})
	}
}

func TestAuthorizeErrorsRedirectToClient(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(q url.Values)
		code   string
	}{
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, wire.InvalidRequest},
		{"no challenge method", func(q url.Values) { q.Del("code_challenge_method") }, wire.InvalidRequest},
		{"no challenge", func(q url.Values) { q.Del("code_challenge") }, wire.InvalidRequest},
		{"no PKCE at all", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, wire.InvalidRequest},
		{"short challenge", func(q url.Values) { q.Set("code_challenge", "abc") }, wire.InvalidRequest},
		{"challenge with padding", func(q url.Values) { q.Set("code_challenge", strings.Repeat("a", 42)+"=") }, wire.InvalidRequest},
		{"token response type", func(q url.Values) { q.Set("response_type", "token") }, wire.UnsupportedResponseType},
		{"no response type", func(q url.Values) { q.Del("response_type") }, wire.InvalidRequest},
		{"foreign resource", func(q url.Values) { q.Set("resource", "https://api.github.com") }, wire.InvalidTarget},
		{"resource with fragment", func(q url.Values) { q.Set("resource", asTestResource+"#x") }, wire.InvalidTarget},
		{"one of two resources foreign", func(q url.Values) { q["resource"] = []string{asTestResource, "https://other.example"} }, wire.InvalidTarget},
		{"repeated scope", func(q url.Values) { q["scope"] = []string{"mcp:read", "mcp:write"} }, wire.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, "https://app.example.com/cb?tenant=7")
			_, challenge := pkce()
			q := authParams(c, challenge)
			tt.mutate(q)
			resp := s.browserGet("/authorize", q)
			wantRedirectError(t, resp, "https://app.example.com/cb", tt.code, "client-state-123")
			if got := location(t, resp).Query().Get("tenant"); got != "7" {
				t.Errorf("the redirect URI's own query was not kept: tenant=%q", got)
			}
		})
	}
}

func TestAuthorizeAcceptsResourceForms(t *testing.T) {
	for _, resource := range []string{"", asTestResource, asTestResource + "/", "HTTPS://MCP.EXAMPLE.COM:443/mcp", asTestIssuer, asTestIssuer + "/"} {
		t.Run(resource, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, "http://localhost:8000/cb")
			verifier, challenge := pkce()
			params := authParams(c, challenge)
			params.Set("resource", resource)
			if resource == "" {
				params.Del("resource")
			}
			state := upstreamState(t, s.approve(params, "github"))
			code := s.callback(state, s.idp.login(t, state)).Query().Get("code")
			resp := s.exchange(c, code, verifier)
			var tr tokenResponse
			decodeJSON(t, resp, &tr)
			at, err := s.accessRecord(tr.AccessToken)
			if err != nil || at.Resource != asTestResource {
				t.Fatalf("access token audience %q (%v), want %q", at.Resource, err, asTestResource)
			}
		})
	}
}

func TestAuthorizeScopes(t *testing.T) {
	tests := []struct {
		requested string
		want      string
	}{
		{"mcp:write mcp:read", "mcp:read mcp:write"},
		{"mcp:write", "mcp:write"},
		{"openid email profile", "mcp:read"}, // unsupported values dropped, default applies
		{"", "mcp:read"},
		{"mcp:read offline_access", "mcp:read"},
	}
	for _, tt := range tests {
		t.Run(tt.requested, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, "http://localhost:8000/cb")
			verifier, challenge := pkce()
			params := authParams(c, challenge)
			params.Set("scope", tt.requested)
			params.Set("prompt", "consent") // unknown parameters are ignored
			state := upstreamState(t, s.approve(params, "github"))
			code := s.callback(state, s.idp.login(t, state)).Query().Get("code")
			var tr tokenResponse
			decodeJSON(t, s.exchange(c, code, verifier), &tr)
			if tr.Scope != tt.want {
				t.Fatalf("scope %q, want %q", tr.Scope, tt.want)
			}
		})
	}
}

func TestAuthorizeWithoutStateOmitsIt(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:8000/cb")
	_, challenge := pkce()
	params := authParams(c, challenge)
	params.Del("state")
	params.Set("code_challenge_method", "plain")
	loc := location(t, s.browserGet("/authorize", params))
	if loc.Query().Has("state") {
		t.Errorf("state added although the client sent none: %s", loc)
	}
}

func TestAuthorizeStoreFailureShowsPage(t *testing.T) {
	s, fs := newFailingServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:8000/cb")
	_, challenge := pkce()
	fs.failGetClient = true
	wantErrorPage(t, s.browserGet("/authorize", authParams(c, challenge)), http.StatusServiceUnavailable, "right now")
}

func TestAuthorizeHEADIsAllowed(t *testing.T) {
	s := newTestServer(t, nil)
	resp := s.do(httptest.NewRequest(http.MethodHead, "/authorize", nil))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("HEAD /authorize: %d", resp.StatusCode)
	}
}
