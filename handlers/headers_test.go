package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorded is one response seen by headerRecorder.
type recorded struct {
	method, path string
	status       int
	header       http.Header
}

// headerRecorder wraps the server's handler and keeps the status and
// headers of every response, so that a test can check properties of all
// responses a whole flow produced, not only of those it looks at.
type headerRecorder struct {
	mu   sync.Mutex
	seen []recorded
}

func (hr *headerRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		res := rec.Result()
		hr.mu.Lock()
		hr.seen = append(hr.seen, recorded{method: r.Method, path: r.URL.Path, status: res.StatusCode, header: res.Header.Clone()})
		hr.mu.Unlock()
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		w.Write(rec.Body.Bytes())
	})
}

func (hr *headerRecorder) all() []recorded {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	return append([]recorded(nil), hr.seen...)
}

// recordedServer is a test server whose responses are all recorded.
func recordedServer(t *testing.T, mutate func(*Config)) (*asServer, *headerRecorder) {
	t.Helper()
	s := newTestServer(t, mutate)
	hr := &headerRecorder{}
	s.handler = hr.wrap(s.handler)
	return s, hr
}

// wholeFlow drives every endpoint through success and failure: this is the
// traffic whose every response the tests below check.
func wholeFlow(t *testing.T, s *asServer) {
	t.Helper()
	c := s.register(authMethodPost, "https://claude.ai/api/mcp/auth_callback")
	pair := s.tokenPair(c)
	s.refresh(c, pair.RefreshToken)
	s.refresh(c, "mcpgate_rt_bogus")
	s.exchange(c, "mcpgate_ac_bogus", strings.Repeat("v", 43))
	s.postForm("/token", url.Values{"grant_type": {"password"}}, nil)
	s.postForm("/revoke", clientAuthForm(c, url.Values{"token": {pair.AccessToken}}), nil)
	s.postForm("/revoke", url.Values{"token": {"x"}}, nil)
	postRegister(s, `{"redirect_uris":["ftp://x"]}`)
	postRegister(s, `not json`)
	s.do(httptest.NewRequest(http.MethodGet, "/register", nil))
	s.do(httptest.NewRequest(http.MethodGet, "/token", nil))

	// A remembered consent goes upstream at once (a redirect).
	_, challenge := pkce()
	s.browserGet("/authorize", authParams(c, challenge))

	// Error pages of /authorize and of the callback.
	s.browserGet("/authorize", nil)
	s.browserGet("/authorize", url.Values{"client_id": {"unknown"}})
	bad := authParams(c, challenge)
	bad.Set("redirect_uri", "https://evil.example/cb")
	s.browserGet("/authorize", bad)
	s.browserGet("/authorize", url.Values{"client_id": {c.ID}, "redirect_uri": {c.RedirectURI}}) // errors go back to the client
	s.browserPost("/authorize", url.Values{"client_id": {c.ID}, "redirect_uri": {c.RedirectURI}, "csrf_token": {"forged"}})
	s.browserGet("/oauth/callback/github", nil)
	s.browserGet("/oauth/callback/nope", url.Values{"state": {"x"}})
	s.browserGet("/oauth/callback/github", url.Values{"state": {"expired"}})
}

func TestEveryHTMLPageHasSecurityHeaders(t *testing.T) {
	s, hr := recordedServer(t, nil)
	wholeFlow(t, s)
	pages := 0
	for _, r := range hr.all() {
		if r.status >= 300 && r.status < 400 {
			continue // a redirect's body is never shown
		}
		if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			continue
		}
		pages++
		t.Run(r.method+" "+r.path+" "+http.StatusText(r.status), func(t *testing.T) {
			wantHTMLHeaders(t, &http.Response{Header: r.header})
		})
	}
	if pages < 8 {
		t.Fatalf("only %d HTML pages seen; the flow should show the consent page and several error pages", pages)
	}
}

func TestRateLimitPageHasSecurityHeaders(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{AuthorizePerClientIP: Rate{Limit: 1, Window: time.Minute}}))
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	s.browserGet("/authorize", authParams(c, challenge))
	wantErrorPage(t, s.browserGet("/authorize", authParams(c, challenge)), http.StatusTooManyRequests, "Too many")
}

func TestEveryOAuthJSONResponseIsNoStore(t *testing.T) {
	s, hr := recordedServer(t, withLimits(Limits{RegisterGlobal: Rate{Limit: 5, Window: time.Hour}}))
	wholeFlow(t, s)
	for range 3 { // over the registration limit: 429
		postRegister(s, `{"redirect_uris":["http://localhost:1/cb"]}`)
	}
	statuses := map[int]bool{}
	for _, r := range hr.all() {
		switch r.path {
		case pathRegister, pathToken, pathRevoke:
		default:
			continue
		}
		statuses[r.status] = true
		t.Run(r.method+" "+r.path+" "+http.StatusText(r.status), func(t *testing.T) {
			for name, want := range map[string]string{
				"Content-Type":           "application/json",
				"Cache-Control":          "no-store",
				"Pragma":                 "no-cache",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := r.header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
	for _, want := range []int{200, 201, 400, 401, 405, 429} {
		if !statuses[want] {
			t.Errorf("no %d response of the OAuth endpoints was seen; seen %v", want, statuses)
		}
	}
}

func TestEveryRedirectIsNoStoreWithoutReferrer(t *testing.T) {
	s, hr := recordedServer(t, nil)
	wholeFlow(t, s)
	redirects := 0
	for _, r := range hr.all() {
		if r.status != http.StatusFound {
			continue
		}
		redirects++
		if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s %s → %s: Cache-Control %q, Referrer-Policy %q", r.method, r.path, r.header.Get("Location"),
				r.header.Get("Cache-Control"), r.header.Get("Referrer-Policy"))
		}
	}
	if redirects < 4 {
		t.Fatalf("only %d redirects seen", redirects)
	}
}

// TestEveryCookieIsHostOnlyAndLax reads every Set-Cookie header of a whole
// flow as the browser receives it: HttpOnly, SameSite=Lax, Path=/, no
// Domain (host-only); on an https issuer also Secure with the __Host-
// prefix, on an http loopback issuer neither (a browser would drop a
// Secure cookie from http).
func TestEveryCookieIsHostOnlyAndLax(t *testing.T) {
	for _, tc := range []struct {
		issuer string
		secure bool
	}{{asTestIssuer, true}, {"http://127.0.0.1:8080", false}} {
		t.Run(tc.issuer, func(t *testing.T) {
			s, hr := recordedServer(t, func(c *Config) { c.Issuer = tc.issuer })
			c := s.register(authMethodNone, "http://localhost:7777/cb")
			_, challenge := pkce()
			params := authParams(c, challenge)
			params.Set("resource", tc.issuer+"/mcp")
			state := upstreamState(t, s.approve(params, "github"))
			s.callback(state, s.idp.login(t, state))

			names := map[string]bool{}
			for _, r := range hr.all() {
				for _, raw := range r.header.Values("Set-Cookie") {
					ck, err := http.ParseSetCookie(raw)
					if err != nil {
						t.Fatalf("Set-Cookie %q: %v", raw, err)
					}
					names[ck.Name] = true
					lower := strings.ToLower(raw)
					switch {
					case strings.Contains(lower, "domain="):
						t.Errorf("%s: cookie %s has a Domain attribute", r.path, ck.Name)
					case !ck.HttpOnly, ck.SameSite != http.SameSiteLaxMode, ck.Path != "/":
						t.Errorf("%s: cookie %s: HttpOnly %v SameSite %v Path %q", r.path, ck.Name, ck.HttpOnly, ck.SameSite, ck.Path)
					case ck.Secure != tc.secure:
						t.Errorf("%s: cookie %s Secure = %v on issuer %s", r.path, ck.Name, ck.Secure, tc.issuer)
					case strings.HasPrefix(ck.Name, "__Host-") != tc.secure:
						t.Errorf("%s: cookie %s: __Host- prefix must be used exactly on https", r.path, ck.Name)
					}
				}
			}
			prefix, suffix := "", "_8080"
			if tc.secure {
				prefix, suffix = "__Host-", ""
			}
			for _, base := range []string{cookieCSRF, cookieConsent, cookieState} {
				if !names[prefix+base+suffix] {
					t.Errorf("cookie %s%s%s was never set; seen %v", prefix, base, suffix, names)
				}
			}
		})
	}
}
