package handlers

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/internal/testlog"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	"github.com/mcpgate/mcpgate/upstream"
)

const (
	asTestIssuer   = "https://mcp.example.com"
	asTestResource = asTestIssuer + "/mcp"
	asTestIdP      = "https://idp.example.test"
)

// fakeProvider is an upstream identity provider that behaves like a real
// one: AuthCodeURL records the PKCE challenge and nonce of each state; the
// test "signs in" with login(state), which issues a code bound to them; and
// Exchange checks the verifier and nonce before returning the identity.
// Codes named in failCodes fail the exchange with the given error.
type fakeProvider struct {
	name, display, authURL string

	mu        sync.Mutex
	requests  map[string]upstream.AuthRequest // by state
	codes     map[string]upstream.AuthRequest // by code
	identity  upstream.Identity
	token     upstream.Token
	failNext  error
	exchanges int
}

func newFakeProvider(name, display, origin string) *fakeProvider {
	return &fakeProvider{
		name: name, display: display, authURL: origin + "/login/oauth/authorize",
		requests: map[string]upstream.AuthRequest{},
		codes:    map[string]upstream.AuthRequest{},
		identity: upstream.Identity{Subject: "4242", Login: "octocat", Email: "octo@example.com", Name: "Octo Cat"},
		token:    upstream.Token{AccessToken: "gho_upstreamsecret", TokenType: "bearer", Scopes: []string{"repo"}},
	}
}

func (p *fakeProvider) Name() string        { return p.name }
func (p *fakeProvider) DisplayName() string { return p.display }

func (p *fakeProvider) AuthCodeURL(r upstream.AuthRequest) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests[r.State] = r
	return p.authURL + "?" + url.Values{
		"client_id": {"upstream-client"}, "state": {r.State}, "code_challenge": {r.CodeChallenge},
		"code_challenge_method": {"S256"}, "nonce": {r.Nonce},
	}.Encode()
}

// login plays the person signing in at the provider: it returns the code
// the provider would send to the callback for state.
func (p *fakeProvider) login(t *testing.T, state string) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	req, ok := p.requests[state]
	if !ok {
		t.Fatalf("fake provider: no authorization request with this state")
	}
	code := "upstream-code-" + rand.Text()
	p.codes[code] = req
	return code
}

// failExchange makes the next Exchange fail with err.
func (p *fakeProvider) failExchange(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext = err
}

func (p *fakeProvider) Exchange(_ context.Context, code, verifier, nonce string) (upstream.Identity, upstream.Token, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.exchanges++
	if err := p.failNext; err != nil {
		p.failNext = nil
		return upstream.Identity{}, upstream.Token{}, err
	}
	req, ok := p.codes[code]
	if !ok {
		return upstream.Identity{}, upstream.Token{}, errors.New("fake provider: unknown code")
	}
	delete(p.codes, code)
	if oauth2.S256ChallengeFromVerifier(verifier) != req.CodeChallenge {
		return upstream.Identity{}, upstream.Token{}, errors.New("fake provider: PKCE verification failed")
	}
	if nonce != req.Nonce {
		return upstream.Identity{}, upstream.Token{}, errors.New("fake provider: nonce mismatch")
	}
	return p.identity, p.token, nil
}

// asServer is the whole HTTP surface built by New with the memory store and
// fake providers, driven in-process (no network): requests go straight to
// the handler, and a minimal browser keeps cookies.
type asServer struct {
	t       *testing.T
	handler http.Handler
	cfg     Config
	store   *memory.Store
	keys    *tokens.Keyring
	clock   *testclock.Clock
	idp     *fakeProvider
	logs    *testlog.Buffer
	cookies map[string]*http.Cookie // the browser's cookie jar, by name
}

// newTestServer builds the handler with New from a default configuration
// that mutate may change.
func newTestServer(t *testing.T, mutate func(*Config)) *asServer {
	t.Helper()
	// The present: the go-sdk's bearer middleware on /mcp compares
	// expiry with the wall clock.
	clock := testclock.New(time.Now().Truncate(time.Second))
	store := memory.New(clock.Now)
	t.Cleanup(func() { store.Close() })
	keys, err := tokens.NewKeyring([]byte(rand.Text() + rand.Text()))
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	idp := newFakeProvider("github", "GitHub", asTestIdP)
	logs := &testlog.Buffer{}
	cfg := Config{
		Issuer:          asTestIssuer,
		Store:           store,
		Keys:            keys,
		Providers:       []upstream.Provider{idp},
		MCPServer:       mcp.NewServer(&mcp.Implementation{Name: "mcpgate-test", Version: "0.0.1"}, nil),
		ScopesSupported: []string{"mcp:read", "mcp:write"},
		DefaultScopes:   []string{"mcp:read"},
		ServiceName:     "mcpgate test",
		Logger:          slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:             clock.Now,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &asServer{t: t, handler: h, cfg: cfg, store: store, keys: keys, clock: clock, idp: idp, logs: logs, cookies: map[string]*http.Cookie{}}
}

// do serves one request and returns the response (body fully buffered).
func (s *asServer) do(r *http.Request) *http.Response {
	s.t.Helper()
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, r)
	return rec.Result()
}

// browse serves a request as the browser: it sends the jar's cookies and
// stores the ones the response sets. Redirects are not followed.
func (s *asServer) browse(r *http.Request) *http.Response {
	s.t.Helper()
	for _, c := range s.cookies {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp := s.do(r)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(s.cookies, c.Name)
		} else {
			s.cookies[c.Name] = c
		}
	}
	return resp
}

func (s *asServer) browserGet(path string, q url.Values) *http.Response {
	s.t.Helper()
	target := path
	if q != nil {
		target += "?" + q.Encode()
	}
	return s.browse(httptest.NewRequest(http.MethodGet, target, nil))
}

func (s *asServer) browserPost(path string, form url.Values) *http.Response {
	s.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.browse(r)
}

// postForm is a client's form POST (no cookies); basic, when set, is
// sent as HTTP Basic credentials (already form-encoded by the caller).
func (s *asServer) postForm(path string, form url.Values, basic *[2]string) *http.Response {
	s.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		r.SetBasicAuth(basic[0], basic[1])
	}
	return s.do(r)
}

// testClient is a registered client as the tests know it.
type testClient struct {
	ID, Secret, Method string
	RedirectURI        string
}

// register registers a client through POST /register.
func (s *asServer) register(method string, redirectURIs ...string) testClient {
	s.t.Helper()
	body := map[string]any{
		"redirect_uris": redirectURIs,
		"client_name":   "Test Client",
		"grant_types":   []string{"authorization_code", "refresh_token"},
	}
	if method != "" {
		body["token_endpoint_auth_method"] = method
	}
	b, _ := json.Marshal(body)
	r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(string(b)))
	r.Header.Set("Content-Type", "application/json")
	resp := s.do(r)
	if resp.StatusCode != http.StatusCreated {
		s.t.Fatalf("register: status %d: %s", resp.StatusCode, readBody(s.t, resp))
	}
	var reg registrationResponse
	decodeJSON(s.t, resp, &reg)
	return testClient{ID: reg.ClientID, Secret: reg.ClientSecret, Method: reg.TokenEndpointAuthMethod, RedirectURI: redirectURIs[0]}
}

// pkce returns a fresh verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	v := oauth2.GenerateVerifier()
	return v, oauth2.S256ChallengeFromVerifier(v)
}

// authParams is a valid authorization request for c.
func authParams(c testClient, challenge string) url.Values {
	return url.Values{
		"client_id":             {c.ID},
		"redirect_uri":          {c.RedirectURI},
		"response_type":         {"code"},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
		"state":                 {"client-state-123"},
		"scope":                 {"mcp:read mcp:write"},
		"resource":              {asTestResource},
	}
}

// hiddenInputRE finds the hidden inputs of the consent form.
var hiddenInputRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// consentForm extracts the hidden fields of the consent page's form, as a
// browser would submit them.
func consentForm(t *testing.T, page string) url.Values {
	t.Helper()
	form := url.Values{}
	for _, m := range hiddenInputRE.FindAllStringSubmatch(page, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if form.Get("csrf_token") == "" {
		t.Fatalf("consent page has no csrf_token field:\n%s", page)
	}
	return form
}

// approve shows the consent page for params and approves it with the
// provider; it returns the 302 towards the provider.
func (s *asServer) approve(params url.Values, provider string) *http.Response {
	s.t.Helper()
	resp := s.browserGet("/authorize", params)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET /authorize: status %d, Location %q: %s", resp.StatusCode, resp.Header.Get("Location"), readBody(s.t, resp))
	}
	form := consentForm(s.t, readBody(s.t, resp))
	form.Set("provider", provider)
	return s.browserPost("/authorize", form)
}

// upstreamState checks that resp sends the browser to the fake provider
// and returns the state it carries.
func upstreamState(t *testing.T, resp *http.Response) string {
	t.Helper()
	loc := location(t, resp)
	if !strings.HasPrefix(loc.String(), asTestIdP+"/") {
		t.Fatalf("expected a redirect to the identity provider, got %s", loc)
	}
	return loc.Query().Get("state")
}

// authorize runs the browser part of the flow for c and returns the
// client's redirect (with code, state and iss).
func (s *asServer) authorize(c testClient, challenge string) *url.URL {
	s.t.Helper()
	state := upstreamState(s.t, s.approve(authParams(c, challenge), s.idp.name))
	return s.callback(state, s.idp.login(s.t, state))
}

// callback delivers the provider's redirect and returns the redirect to
// the client.
func (s *asServer) callback(state, code string) *url.URL {
	s.t.Helper()
	resp := s.browserGet("/oauth/callback/"+s.idp.name, url.Values{"state": {state}, "code": {code}})
	return location(s.t, resp)
}

// exchange redeems code at /token as c.
func (s *asServer) exchange(c testClient, code, verifier string) *http.Response {
	s.t.Helper()
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"code_verifier": {verifier},
		"redirect_uri":  {c.RedirectURI},
		"resource":      {asTestResource},
	}
	return s.postForm("/token", clientAuthForm(c, form), clientBasic(c))
}

// refresh uses a refresh token as c.
func (s *asServer) refresh(c testClient, rt string) *http.Response {
	s.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	return s.postForm("/token", clientAuthForm(c, form), clientBasic(c))
}

// clientAuthForm adds c's credentials to form as its method requires.
func clientAuthForm(c testClient, form url.Values) url.Values {
	switch c.Method {
	case authMethodNone:
		form.Set("client_id", c.ID)
	case authMethodPost:
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret)
	}
	return form
}

func clientBasic(c testClient) *[2]string {
	if c.Method != authMethodBasic {
		return nil
	}
	return &[2]string{url.QueryEscape(c.ID), url.QueryEscape(c.Secret)}
}

// tokenPair runs the whole flow for c and returns the token response.
func (s *asServer) tokenPair(c testClient) tokenResponse {
	s.t.Helper()
	verifier, challenge := pkce()
	code := s.authorize(c, challenge).Query().Get("code")
	resp := s.exchange(c, code, verifier)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("token exchange: status %d: %s", resp.StatusCode, readBody(s.t, resp))
	}
	var tr tokenResponse
	decodeJSON(s.t, resp, &tr)
	return tr
}

// accessRecord looks an access token up in the store.
func (s *asServer) accessRecord(at string) (tokens.AccessToken, error) {
	_, grantID, err := tokens.Parse(at)
	if err != nil {
		return tokens.AccessToken{}, err
	}
	return s.store.GetAccess(context.Background(), grantID, s.keys.Hash(at))
}

func location(t *testing.T, resp *http.Response) *url.URL {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("expected 302, got %d: %s", resp.StatusCode, readBody(t, resp))
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		t.Fatalf("bad Location %q: %v", resp.Header.Get("Location"), err)
	}
	return u
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

func decodeJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	body := readBody(t, resp)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json; body %s", ct, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
}

// wantOAuthError checks an RFC 6749 JSON error answer.
func wantOAuthError(t *testing.T, resp *http.Response, status int, code string) oauthErrorBody {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, readBody(t, resp))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var e oauthErrorBody
	decodeJSON(t, resp, &e)
	if e.Error != code {
		t.Fatalf("error %q (%s), want %q", e.Error, e.ErrorDescription, code)
	}
	return e
}

// wantErrorPage checks an HTML error page: status, no redirect, the HTML
// security headers, and a phrase of its explanation.
func wantErrorPage(t *testing.T, resp *http.Response, status int, phrase string) {
	t.Helper()
	body := readBody(t, resp)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Fatalf("error page must not redirect, Location %q", loc)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q, want text/html", ct)
	}
	wantHTMLHeaders(t, resp)
	if !strings.Contains(body, phrase) {
		t.Fatalf("error page does not say %q:\n%s", phrase, body)
	}
}

func wantHTMLHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	for name, want := range map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// wantRedirectError checks an authorization error response sent back to
// the client's redirect URI.
func wantRedirectError(t *testing.T, resp *http.Response, redirectURI, code, state string) {
	t.Helper()
	loc := location(t, resp)
	if got := strings.SplitN(loc.String(), "?", 2)[0]; got != redirectURI {
		t.Fatalf("redirected to %s, want %s", got, redirectURI)
	}
	q := loc.Query()
	if q.Get("error") != code {
		t.Fatalf("error %q (%s), want %q", q.Get("error"), q.Get("error_description"), code)
	}
	if q.Get("state") != state {
		t.Errorf("state %q, want %q", q.Get("state"), state)
	}
	if q.Get("iss") != asTestIssuer {
		t.Errorf("iss %q, want %q", q.Get("iss"), asTestIssuer)
	}
	if q.Has("code") {
		t.Errorf("an error response carries a code")
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no issuer", func(c *Config) { c.Issuer = "" }, "Issuer"},
		{"http issuer off loopback", func(c *Config) { c.Issuer = "http://mcp.example.com" }, "must be https"},
		{"issuer with trailing slash", func(c *Config) { c.Issuer = "https://mcp.example.com/" }, "origin only"},
		{"issuer with path", func(c *Config) { c.Issuer = "https://mcp.example.com/x" }, "origin only"},
		{"issuer upper case", func(c *Config) { c.Issuer = "https://MCP.example.com" }, "canonically"},
		{"issuer default port", func(c *Config) { c.Issuer = "https://mcp.example.com:443" }, "canonically"},
		{"no store", func(c *Config) { c.Store = nil }, "Store is required"},
		{"no keys", func(c *Config) { c.Keys = nil }, "Keys is required"},
		{"no MCP server", func(c *Config) { c.MCPServer = nil }, "MCPServer is required"},
		{"no providers", func(c *Config) { c.Providers = nil }, "at least one upstream provider"},
		{"duplicate provider", func(c *Config) { c.Providers = append(c.Providers, c.Providers[0]) }, "used twice"},
		{"bad provider name", func(c *Config) {
			c.Providers = []upstream.Provider{newFakeProvider("Git Hub", "GitHub", asTestIdP)}
		}, "path segment"},
		{"provider without absolute URL", func(c *Config) {
			c.Providers = []upstream.Provider{newFakeProvider("github", "GitHub", "")}
		}, "AuthCodeURL"},
		{"no scopes", func(c *Config) { c.ScopesSupported = nil }, "ScopesSupported"},
		{"bad scope", func(c *Config) { c.ScopesSupported = []string{"a b"} }, "scope token"},
		{"unsupported default", func(c *Config) { c.DefaultScopes = []string{"admin"} }, "DefaultScopes"},
		{"negative TTL", func(c *Config) { c.AccessTTL = -time.Second }, "AccessTTL must not be negative"},
		{"long code TTL", func(c *Config) { c.CodeTTL = time.Hour }, "CodeTTL"},
		{"access outlives refresh", func(c *Config) { c.AccessTTL = 48 * time.Hour; c.RefreshTTL = 24 * time.Hour }, "AccessTTL must not exceed RefreshTTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			cfg := s.cfg
			tt.mutate(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestNewAcceptsLoopbackHTTPIssuer(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.Issuer = "http://localhost:8080" })
	resp := s.do(httptest.NewRequest(http.MethodGet, "/.well-known/oauth-authorization-server", nil))
	var m authServerMetadata
	decodeJSON(t, resp, &m)
	if m.Issuer != "http://localhost:8080" || m.TokenEndpoint != "http://localhost:8080/token" {
		t.Fatalf("metadata %+v", m)
	}
}

func TestMethodNotAllowedIsJSON(t *testing.T) {
	s := newTestServer(t, nil)
	for _, tt := range []struct{ method, path, allow string }{
		{http.MethodGet, "/token", "POST"},
		{http.MethodPut, "/register", "POST"},
		{http.MethodDelete, "/authorize", "GET, POST, HEAD"},
		{http.MethodPost, "/.well-known/oauth-authorization-server", "GET, HEAD"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := s.do(httptest.NewRequest(tt.method, tt.path, nil))
			wantOAuthError(t, resp, http.StatusMethodNotAllowed, errInvalidRequest)
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestRecoverPanics(t *testing.T) {
	logs := &testlog.Buffer{}
	h := recoverPanics(slog.New(slog.NewTextHandler(logs, nil)), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		var m map[string]int
		//lint:ignore SA5000 the nil map write is the panic under test
		m["boom"]++ // nil map write: a runtime error
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/token?secret=hunter2", nil))
	resp := rec.Result()
	e := wantOAuthError(t, resp, http.StatusInternalServerError, errServerError)
	if e.ErrorDescription != "internal error" {
		t.Errorf("description %q leaks details", e.ErrorDescription)
	}
	if !strings.Contains(logs.String(), "panic while serving a request") || strings.Contains(logs.String(), "hunter2") {
		t.Errorf("log = %s", logs.String())
	}

	logs2 := &testlog.Buffer{}
	h = recoverPanics(slog.New(slog.NewTextHandler(logs2, nil)), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret-data")
	}))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(logs2.String(), "secret-data") || strings.Contains(rec.Body.String(), "secret-data") {
		t.Errorf("a panic value that is not a runtime error must not be printed: log %s body %s", logs2.String(), rec.Body.String())
	}
}
