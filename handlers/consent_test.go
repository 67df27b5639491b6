package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

func TestConsentDenied(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodPost, "https://app.example.com/cb")
	_, challenge := pkce()
	resp := s.browserGet("/authorize", authParams(c, challenge))
	form := consentForm(t, readBody(t, resp))
	form.Set("deny", "deny")
	resp = s.browserPost("/authorize", form)
	wantRedirectError(t, resp, c.RedirectURI, wire.AccessDenied, "client-state-123")
	if _, ok := s.cookies["__Host-mcpgate_state"]; ok {
		t.Errorf("the upstream leg started after a denial")
	}
	if _, ok := s.cookies["__Host-mcpgate_consent"]; ok {
		t.Errorf("a denial was remembered as consent")
	}
}

func TestConsentRememberedSkipsPage(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodPost, "https://app.example.com/cb")
	_, challenge := pkce()
	upstreamState(t, s.approve(authParams(c, challenge), "github"))

	// Same browser, same client and redirect URI: straight upstream.
	_, challenge = pkce()
	state := upstreamState(t, s.browserGet("/authorize", authParams(c, challenge)))
	if state == "" {
		t.Fatal("no upstream state")
	}
	if !strings.Contains(s.logs.String(), "consent remembered") {
		t.Errorf("skip not logged")
	}
}

func TestConsentNotSkipped(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *asServer, c testClient) testClient // returns the client of the second request
		jar   func(s *asServer, c testClient)
	}{
		{"tampered consent cookie", nil, func(s *asServer, _ testClient) {
			ck := s.cookies["__Host-mcpgate_consent"]
			v := []byte(ck.Value)
			v[len(v)/2] ^= 1
			ck.Value = string(v)
		}},
		{"consent cookie from another server secret", nil, func(s *asServer, c testClient) {
			// The very approval the server remembered, sealed under another
			// secret: only the key differs.
			var approved consentCookie
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(s.cookies["__Host-mcpgate_consent"])
			if err := newCookieJar(s.keys, true).get(req, cookieConsent, &approved, consentTTL); err != nil || len(approved.Entries) == 0 {
				s.t.Fatalf("decoding the real consent cookie: %v (%d entries)", err, len(approved.Entries))
			}
			keys, _ := tokens.NewKeyring([]byte(strings.Repeat("k", 40)))
			rec := httptest.NewRecorder()
			newCookieJar(keys, true).set(rec, cookieConsent, approved, consentTTL)
			s.cookies["__Host-mcpgate_consent"] = rec.Result().Cookies()[0]
		}},
		{"consent cookie lost", nil, func(s *asServer, _ testClient) { delete(s.cookies, "__Host-mcpgate_consent") }},
		{"another client", func(s *asServer, c testClient) testClient {
			// Another name: the same name and redirect URI would be a
			// re-registration of the approved client (consent_rereg_test.go).
			return s.registerNamed("Other Client", c.RedirectURI)
		}, nil},
		{"another redirect URI of the same client", func(s *asServer, c testClient) testClient {
			c.RedirectURI = "https://app.example.com/other"
			return c
		}, nil},
		{"expired approval", nil, func(s *asServer, _ testClient) { s.clock.Advance(consentTTL + time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodPost, "https://app.example.com/cb", "https://app.example.com/other")
			_, challenge := pkce()
			upstreamState(t, s.approve(authParams(c, challenge), "github"))
			if tt.setup != nil {
				c = tt.setup(s, c)
			}
			if tt.jar != nil {
				tt.jar(s, c)
			}
			resp := s.browserGet("/authorize", authParams(c, challenge))
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Approve with GitHub") {
				t.Fatalf("consent page not shown again: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

func TestConsentWithSeveralProvidersIsAChooser(t *testing.T) {
	google := newFakeProvider("google", "Google", "https://accounts.example.test")
	s := newTestServer(t, func(c *Config) { c.Providers = append(c.Providers, google) })
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()

	resp := s.browserGet("/authorize", authParams(c, challenge))
	page := readBody(t, resp)
	for _, want := range []string{"Approve with GitHub", "Approve with Google", "Choose the account"} {
		if !strings.Contains(page, want) {
			t.Errorf("chooser lacks %q", want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{asTestIdP, "https://accounts.example.test", "http://localhost:7777"} {
		if !strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, want) {
			t.Errorf("CSP form-action lacks %s: %s", want, csp)
		}
	}
	form := consentForm(t, page)
	form.Set("provider", "google")
	loc := location(t, s.browserPost("/authorize", form))
	if !strings.HasPrefix(loc.String(), "https://accounts.example.test/") {
		t.Fatalf("approve with Google went to %s", loc)
	}
	// Even after approval the page is shown again: it is also the sign-in chooser.
	resp = s.browserGet("/authorize", authParams(c, challenge))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("consent skipped with two providers: %d", resp.StatusCode)
	}
}

func TestConsentCSRF(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(s *asServer, form url.Values, other testClient)
	}{
		{"missing token", func(_ *asServer, f url.Values, _ testClient) { f.Del("csrf_token") }},
		{"wrong token", func(_ *asServer, f url.Values, _ testClient) { f.Set("csrf_token", strings.Repeat("A", 43)) }},
		{"no CSRF cookie", func(s *asServer, _ url.Values, _ testClient) { delete(s.cookies, "__Host-mcpgate_csrf") }},
		{"another browser's cookie", func(s *asServer, _ url.Values, _ testClient) {
			rec := httptest.NewRecorder()
			csrfGuard{jar: newCookieJar(s.keys, true), keys: s.keys}.token(rec, httptest.NewRequest(http.MethodGet, "/", nil), "x")
			s.cookies["__Host-mcpgate_csrf"] = rec.Result().Cookies()[0]
		}},
		{"token for another client", func(s *asServer, f url.Values, other testClient) {
			f.Set("client_id", other.ID)
			f.Set("redirect_uri", other.RedirectURI)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, "http://localhost:7777/cb")
			other := s.register(authMethodNone, "http://localhost:8888/cb")
			_, challenge := pkce()
			form := consentForm(t, readBody(t, s.browserGet("/authorize", authParams(c, challenge))))
			form.Set("provider", "github")
			tt.tamper(s, form, other)
			wantErrorPage(t, s.browserPost("/authorize", form), http.StatusForbidden, "expired")
			if _, ok := s.cookies["__Host-mcpgate_state"]; ok {
				t.Errorf("the upstream leg started despite the CSRF failure")
			}
		})
	}
}

func TestConsentPostRevalidates(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	form := consentForm(t, readBody(t, s.browserGet("/authorize", authParams(c, challenge))))
	form.Set("provider", "github")

	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("redirect_uri", "https://evil.example/cb")
	wantErrorPage(t, s.browserPost("/authorize", bad), http.StatusBadRequest, "did not register")

	bad = url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("code_challenge_method", "plain")
	wantRedirectError(t, s.browserPost("/authorize", bad), c.RedirectURI, wire.InvalidRequest, "client-state-123")

	bad = url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("provider", "myspace")
	wantErrorPage(t, s.browserPost("/authorize", bad), http.StatusBadRequest, "sign-in option")

	// Parameters in the URL query of the POST are not taken.
	r := httptest.NewRequest(http.MethodPost, "/authorize?redirect_uri="+url.QueryEscape("https://evil.example/cb"), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	loc := location(t, s.browse(r))
	if !strings.HasPrefix(loc.String(), asTestIdP) {
		t.Fatalf("POST went to %s", loc)
	}
}

func TestConsentPageContent(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		redirect string
		want     []string
		not      []string
	}{
		{"loopback warning", `{"client_name":"MCP CLI Proxy","token_endpoint_auth_method":"none","redirect_uris":["http://localhost:3335/oauth/callback"]}`,
			"http://localhost:3335/oauth/callback",
			[]string{"MCP CLI Proxy", "a program on this computer", "localhost:3335", "not verified"}, nil},
		{"name is escaped", `{"client_name":"<script>alert(1)</script>","token_endpoint_auth_method":"none","redirect_uris":["https://app.example.com/cb"]}`,
			"https://app.example.com/cb",
			[]string{"&lt;script&gt;alert(1)&lt;/script&gt;", "app.example.com"}, []string{"<script>", "a program on this computer"}},
		{"no name shows the client ID", `{"token_endpoint_auth_method":"none","redirect_uris":["https://app.example.com/cb"]}`,
			"https://app.example.com/cb", []string{"app.example.com"}, []string{"not verified"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, func(c *Config) { c.ScopeDescriptions = map[string]string{"mcp:read": "Peek at your repositories"} })
			r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(tt.body))
			var reg registrationResponse
			decodeJSON(t, s.do(r), &reg)
			c := testClient{ID: reg.ClientID, Method: authMethodNone, RedirectURI: tt.redirect}
			_, challenge := pkce()
			resp := s.browserGet("/authorize", authParams(c, challenge))
			page := readBody(t, resp)
			wantHTMLHeaders(t, resp)
			if !strings.Contains(resp.Header.Get("Content-Security-Policy"), redirectOrigin(tt.redirect)) {
				t.Errorf("CSP form-action lacks the redirect origin: %s", resp.Header.Get("Content-Security-Policy"))
			}
			want := append(tt.want, "Peek at your repositories", "Make changes in your account", "GitHub")
			if reg.ClientName == "" {
				want = append(want, reg.ClientID)
			}
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("consent page lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(page, n) {
					t.Errorf("consent page contains %q", n)
				}
			}
		})
	}
}

func TestConsentCookieIsBounded(t *testing.T) {
	keys, _ := tokens.NewKeyring([]byte(strings.Repeat("s", 32)))
	clock := testclock.New(time.Unix(1_800_000_000, 0))
	m := consentMemory{jar: newCookieJar(keys, true), now: clock.Now}
	var cookie *http.Cookie
	ids := make([]string, maxConsentEntries+8)
	for i := range ids {
		ids[i] = tokens.NewID()
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != nil {
			r.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		if err := m.remember(rec, r, ids[i], "https://example.com/"+strings.Repeat("p", 1500), reregistrationKey(tokens.Client{ID: ids[i], Name: "Claude"}, "https://example.com/cb", "https://example.com/cb\x00mcp:read", "github")); err != nil {
			t.Fatalf("remember %d: %v", i, err)
		}
		cookie = rec.Result().Cookies()[0]
		clock.Advance(time.Second)
	}
	if len(cookie.Value) > 4000 {
		t.Errorf("consent cookie is %d bytes", len(cookie.Value))
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(cookie)
	if m.approved(r, ids[0], "https://example.com/"+strings.Repeat("p", 1500)) {
		t.Errorf("the oldest approval was not dropped")
	}
	if !m.approved(r, ids[len(ids)-1], "https://example.com/"+strings.Repeat("p", 1500)) {
		t.Errorf("the newest approval is missing")
	}
	if cookie.MaxAge < int((30 * 24 * time.Hour).Seconds()) {
		t.Errorf("consent cookie Max-Age %d, want at least 30 days", cookie.MaxAge)
	}
}

func TestCookiesOnLoopbackIssuer(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.Issuer = "http://127.0.0.1:8080" })
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	params := authParams(c, challenge)
	params.Set("resource", "http://127.0.0.1:8080/mcp")
	upstreamState(t, s.approve(params, "github"))
	for _, name := range []string{"mcpgate_state_8080", "mcpgate_consent_8080", "mcpgate_csrf_8080"} {
		ck := s.cookies[name]
		if ck == nil || ck.Secure || !ck.HttpOnly {
			t.Errorf("cookie %s on an http issuer: %+v", name, ck)
		}
	}
}

// Compile-time check that the fake provider is a Provider.
var _ upstream.Provider = (*fakeProvider)(nil)

// TestLoopbackCookiesArePerPort: on an http loopback issuer the browser
// sends cookies to every port of the host (RFC 6265 §8.5: cookies do not
// isolate by port), so each instance names its cookies after its port:
// two local instances (a demo and a development server, say) neither read
// nor overwrite each other's consent, CSRF and state cookies. On https the
// names carry the __Host- prefix instead.
func TestLoopbackCookiesArePerPort(t *testing.T) {
	names := func(issuer string) map[string]bool {
		s := newTestServer(t, func(c *Config) { c.Issuer = issuer })
		c := s.register(authMethodNone, "http://localhost:7777/cb")
		_, challenge := pkce()
		params := authParams(c, challenge)
		params.Set("resource", issuer+"/mcp")
		upstreamState(t, s.approve(params, "github"))
		out := map[string]bool{}
		for name := range s.cookies {
			out[name] = true
		}
		return out
	}
	a, b := names("http://127.0.0.1:8080"), names("http://127.0.0.1:9090")
	for _, base := range []string{cookieState, cookieConsent, cookieCSRF} {
		if !a[base+"_8080"] || !b[base+"_9090"] {
			t.Errorf("cookie %s is not named after the port: %v / %v", base, a, b)
		}
	}
	for name := range a {
		if b[name] {
			t.Errorf("two loopback instances on different ports share the cookie %s", name)
		}
	}
	for name := range names(asTestIssuer) {
		if !strings.HasPrefix(name, "__Host-") {
			t.Errorf("cookie %s on an https issuer lacks the __Host- prefix", name)
		}
	}
}
