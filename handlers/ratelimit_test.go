package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

// fromIP sets the TCP peer address of r.
func fromIP(r *http.Request, ip string) *http.Request {
	r.RemoteAddr = netip.AddrPortFrom(netip.MustParseAddr(ip), 40000).String()
	return r
}

// registerFrom posts a valid registration from ip.
func registerFrom(s *asServer, ip string) *http.Response {
	s.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(`{"redirect_uris":["http://localhost:7777/cb"],"token_endpoint_auth_method":"none"}`))
	r.Header.Set("Content-Type", "application/json")
	return s.do(fromIP(r, ip))
}

// want429 checks a JSON rate-limit refusal and returns its Retry-After.
func want429(t *testing.T, resp *http.Response) int {
	t.Helper()
	body := wantOAuthError(t, resp, http.StatusTooManyRequests, wire.TemporarilyUnavailable)
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After %q, want a positive number of seconds", resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(body.ErrorDescription, "retry after") {
		t.Errorf("error_description %q does not say when to retry", body.ErrorDescription)
	}
	return secs
}

func withLimits(l Limits) func(*Config) {
	return func(c *Config) { c.Limits = l }
}

func TestRegisterLimitPerIP(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{RegisterPerIP: Rate{Limit: 2, Window: time.Hour}}))
	for i := range 2 {
		if resp := registerFrom(s, "198.51.100.1"); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registration %d: %d %s", i+1, resp.StatusCode, readBody(t, resp))
		}
	}
	resp := registerFrom(s, "198.51.100.1")
	secs := want429(t, resp)
	if secs > 2*3600 {
		t.Errorf("Retry-After %d s exceeds two windows", secs)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("the 429 of /register lacks CORS, so browser clients cannot read it")
	}
	if resp := registerFrom(s, "198.51.100.2"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("another address is limited too: %d", resp.StatusCode)
	}
	s.clock.Advance(time.Duration(secs) * time.Second)
	if resp := registerFrom(s, "198.51.100.1"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after Retry-After: %d %s", resp.StatusCode, readBody(t, resp))
	}
}

func TestRegisterLimitGlobal(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{
		RegisterPerIP:  Rate{Limit: 100, Window: time.Hour},
		RegisterGlobal: Rate{Limit: 3, Window: time.Hour},
	}))
	for _, ip := range []string{"198.51.100.1", "198.51.100.2", "2001:db8::1"} {
		if resp := registerFrom(s, ip); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registration from %s: %d", ip, resp.StatusCode)
		}
	}
	want429(t, registerFrom(s, "203.0.113.9"))
}

// tokenRequest posts a refresh with an unknown refresh token as c from ip:
// a request that authenticates and then fails with invalid_grant.
func tokenRequest(s *asServer, path string, c testClient, ip string) *http.Response {
	s.t.Helper()
	form := url.Values{}
	if path == pathRevoke {
		form.Set("token", "not-a-token")
	} else {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", "mcpgate_rt_unknown")
	}
	form = clientAuthForm(c, form)
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if b := clientBasic(c); b != nil {
		r.SetBasicAuth(b[0], b[1])
	}
	return s.do(fromIP(r, ip))
}

// TestTokenLimitIsPerClient is Claude's case: every user's client comes
// from the same address, and one busy client must not lock out the others.
func TestTokenLimitIsPerClient(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{
		TokenPerClient: Rate{Limit: 2, Window: time.Minute},
		TokenPerIP:     Rate{Limit: 100, Window: time.Minute},
	}))
	const anthropic = "160.79.104.10"
	busy := s.register(authMethodPost, "https://claude.ai/api/mcp/auth_callback")
	other := s.register(authMethodPost, "https://claude.ai/api/mcp/auth_callback")
	for range 2 {
		if resp := tokenRequest(s, pathToken, busy, anthropic); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("token request: %d %s", resp.StatusCode, readBody(t, resp))
		}
	}
	resp := tokenRequest(s, pathToken, busy, anthropic)
	want429(t, resp)
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("the 429 of /token lacks CORS")
	}
	if resp := tokenRequest(s, pathToken, other, anthropic); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("another client behind the same address is limited too: %d", resp.StatusCode)
	}
	// /revoke counts apart from /token.
	if resp := tokenRequest(s, pathRevoke, busy, anthropic); resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation after the token limit: %d %s", resp.StatusCode, readBody(t, resp))
	}
	// Unauthenticated requests do not spend a client's budget: only the
	// client itself can exhaust it.
	impostor := testClient{ID: other.ID, Secret: "mcpgate_cs_wrong", Method: authMethodPost}
	for range 5 {
		if resp := tokenRequest(s, pathToken, impostor, "203.0.113.66"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("impostor: %d", resp.StatusCode)
		}
	}
	if resp := tokenRequest(s, pathToken, other, anthropic); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("the impostor spent the client's budget: %d", resp.StatusCode)
	}
}

func TestTokenLimitPerIPCeiling(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{
		TokenPerClient: Rate{Limit: 100, Window: time.Minute},
		TokenPerIP:     Rate{Limit: 3, Window: time.Minute},
	}))
	unknown := testClient{ID: "no-such-client", Method: authMethodNone}
	for range 3 {
		if resp := tokenRequest(s, pathToken, unknown, "203.0.113.7"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unknown client: %d", resp.StatusCode)
		}
	}
	want429(t, tokenRequest(s, pathToken, unknown, "203.0.113.7"))
	// The ceiling is checked before the body is read: a malformed request
	// is refused the same way.
	r := fromIP(httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("%%%")), "203.0.113.7")
	want429(t, s.do(r))
	if resp := tokenRequest(s, pathToken, unknown, "203.0.113.8"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another address: %d", resp.StatusCode)
	}
	for range 3 {
		tokenRequest(s, pathRevoke, unknown, "203.0.113.7")
	}
	want429(t, tokenRequest(s, pathRevoke, unknown, "203.0.113.7"))
}

// authorizeFrom is the browser at ip opening the authorization URL of c.
func authorizeFrom(s *asServer, c testClient, ip string) *http.Response {
	s.t.Helper()
	_, challenge := pkce()
	r := httptest.NewRequest(http.MethodGet, "/authorize?"+authParams(c, challenge).Encode(), nil)
	return s.do(fromIP(r, ip))
}

func TestAuthorizeLimit(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{
		AuthorizePerClientIP: Rate{Limit: 2, Window: time.Minute},
		AuthorizePerIP:       Rate{Limit: 4, Window: time.Minute},
	}))
	a := s.register(authMethodNone, "http://localhost:7777/cb")
	b := s.register(authMethodNone, "http://localhost:7777/cb")
	for range 2 {
		if resp := authorizeFrom(s, a, "192.0.2.10"); resp.StatusCode != http.StatusOK {
			t.Fatalf("consent page: %d", resp.StatusCode)
		}
	}
	resp := authorizeFrom(s, a, "192.0.2.10")
	wantErrorPage(t, resp, http.StatusTooManyRequests, "Too many sign-in attempts")
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if resp := authorizeFrom(s, a, "192.0.2.11"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the same client from another browser: %d", resp.StatusCode)
	}
	if resp := authorizeFrom(s, b, "192.0.2.10"); resp.StatusCode != http.StatusOK {
		t.Fatalf("another client from the same browser: %d", resp.StatusCode)
	}
	// The consent form's POST counts too (its client_id is in the body).
	form := url.Values{"client_id": {a.ID}}
	r := httptest.NewRequest(http.MethodPost, "/authorize", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantErrorPage(t, s.do(fromIP(r, "192.0.2.10")), http.StatusTooManyRequests, "Too many sign-in attempts")

	// Invented client IDs do not escape the per-address ceiling of 4: a,
	// a and b count (requests refused for their client do not), so one
	// more fits.
	invented := testClient{ID: strings.Repeat("z", 5000), RedirectURI: "http://localhost:7777/cb"}
	if resp := authorizeFrom(s, invented, "192.0.2.10"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown client: %d", resp.StatusCode)
	}
	invented.ID = "another-invented-id"
	wantErrorPage(t, authorizeFrom(s, invented, "192.0.2.10"), http.StatusTooManyRequests, "Too many sign-in attempts")
}

func TestClientAddressBehindTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies configured: the peer", "203.0.113.1:5000", []string{"198.51.100.1"}, nil, "203.0.113.1"},
		{"untrusted peer: its header is ignored", "203.0.113.1:5000", []string{"198.51.100.1"}, trusted, "203.0.113.1"},
		{"trusted peer without header", "10.0.0.1:5000", nil, trusted, "10.0.0.1"},
		{"one proxy", "10.0.0.1:5000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"rightmost untrusted wins over a spoofed left part", "10.0.0.1:5000", []string{"6.6.6.6, 198.51.100.1, 10.0.0.2"}, trusted, "198.51.100.1"},
		{"several headers are one list", "10.0.0.1:5000", []string{"6.6.6.6", "198.51.100.1", "10.0.0.2"}, trusted, "198.51.100.1"},
		{"every hop trusted: the leftmost", "10.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, trusted, "10.0.0.3"},
		{"garbage stops at the last trusted hop", "10.0.0.1:5000", []string{"198.51.100.1, garbage, 10.0.0.2"}, trusted, "10.0.0.2"},
		{"garbage right at the proxy: the proxy", "10.0.0.1:5000", []string{"198.51.100.1, unknown"}, trusted, "10.0.0.1"},
		{"hops with ports and brackets", "[fd00::1]:443", []string{"[2001:db8::7]:1234, 10.0.0.2:80"}, trusted, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:443", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"IPv4-mapped hop", "10.0.0.1:5000", []string{"::ffff:198.51.100.1"}, trusted, "198.51.100.1"},
		{"zone dropped", "[fe80::1%eth0]:443", nil, nil, "fe80::1"},
		{"non-IP peer", "@", nil, trusted, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := (proxyResolver{trusted: tt.trusted}).clientAddr(r).String(); got != tt.want {
				t.Fatalf("clientAddr = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestClientKeyGroupsIPv6By64(t *testing.T) {
	key := func(peer string) string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		return proxyResolver{}.clientKey(r)
	}
	if a, b := key("[2001:db8:1:2::1]:1"), key("[2001:db8:1:2:ffff::9]:1"); a != b || a != "2001:db8:1:2::/64" {
		t.Errorf("one /64 gave keys %q and %q", a, b)
	}
	if a, b := key("[2001:db8:1:2::1]:1"), key("[2001:db8:1:3::1]:1"); a == b {
		t.Errorf("two /64s share the key %q", a)
	}
	if got := key("192.0.2.1:1"); got != "192.0.2.1" {
		t.Errorf("IPv4 key %q", got)
	}
	if got := key("not an address"); got != "unknown" {
		t.Errorf("key of a non-IP peer %q", got)
	}
}

func TestLimitsFollowForwardedFor(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{
		RegisterPerIP:  Rate{Limit: 1, Window: time.Hour},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	}))
	via := func(peer, xff string) *http.Response {
		r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(`{"redirect_uris":["http://localhost:7777/cb"]}`))
		r.Header.Set("X-Forwarded-For", xff)
		return s.do(fromIP(r, peer))
	}
	if resp := via("10.0.0.1", "198.51.100.1"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	if resp := via("10.0.0.1", "198.51.100.2"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("a second client behind the same proxy is limited: %d", resp.StatusCode)
	}
	want429(t, via("10.0.0.2", "198.51.100.1"))
	// An untrusted peer cannot pick its budget with the header.
	if resp := via("203.0.113.1", "198.51.100.3"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("untrusted peer: %d", resp.StatusCode)
	}
	want429(t, via("203.0.113.1", "198.51.100.4"))
}

// recordingLimiter is a store whose RateLimiter records the keys it is
// asked about and admits everything, or fails.
type recordingLimiter struct {
	tokens.Store
	mu   sync.Mutex
	keys []string
	fail bool
}

func (l *recordingLimiter) Allow(_ context.Context, key string, _ int, _ time.Duration) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, key)
	if l.fail {
		return false, 0, errStoreDown
	}
	return true, 0, nil
}

func (l *recordingLimiter) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.keys)
}

func newRecordingServer(t *testing.T, fail bool) (*asServer, *recordingLimiter) {
	t.Helper()
	var rl *recordingLimiter
	s := newTestServer(t, func(c *Config) {
		rl = &recordingLimiter{Store: c.Store, fail: fail}
		c.Store = rl
		c.Limits = DefaultLimits()
	})
	return s, rl
}

func TestLimiterKeys(t *testing.T) {
	s, rl := newRecordingServer(t, false)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	pair := s.tokenPair(c) // /authorize (GET and the consent POST), callback, /token
	_, grantID, err := tokens.Parse(pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	s.refresh(c, pair.RefreshToken)
	conf := s.register(authMethodPost, "https://app.example.com/cb")
	confPair := s.tokenPair(conf)
	_, confGrant, _ := tokens.Parse(confPair.RefreshToken)
	keys := rl.seen()
	for _, want := range []string{
		"register:ip:192.0.2.1",
		"register:net:192.0.2.0/24",
		"authorize:ip:192.0.2.1",
		"authorize:client:" + c.ID + ":ip:192.0.2.1",
		"token:ip:192.0.2.1",
		"token:client:" + c.ID + ":grant:" + grantID, // public: per grant
		"token:client:" + conf.ID,                    // confidential: per client
	} {
		if !slices.Contains(keys, want) {
			t.Errorf("no limiter key %q in %q", want, keys)
		}
	}
	for _, k := range keys {
		if strings.Contains(k, confGrant) || k == "register:all" {
			t.Errorf("unexpected limiter key %q (a confidential client per grant, or the global registration ceiling that is off by default)", k)
		}
	}
}

func TestLimiterKeyOfMetadataDocumentClient(t *testing.T) {
	rl := &recordingLimiter{}
	l := &limiter{Store: rl, Limits: DefaultLimits()}
	const claude = "https://claude.ai/oauth/mcp-oauth-client-metadata"
	grantID := tokens.NewID()
	rt := tokens.Mint(tokens.KindRefresh, grantID)
	form := url.Values{"refresh_token": {rt}}
	r := httptest.NewRequest(http.MethodPost, "/token", nil)
	if !l.endpointClient(httptest.NewRecorder(), r, "token", claude, form) {
		t.Fatal("refused")
	}
	if !l.endpointClient(httptest.NewRecorder(), r, "token", "public-client", form) {
		t.Fatal("refused")
	}
	if !l.endpointClient(httptest.NewRecorder(), r, "token", "confidential-client", url.Values{"refresh_token": {rt}, "client_secret": {"s"}}) {
		t.Fatal("refused")
	}
	want := []string{"token:client:" + claude + ":grant:" + grantID, "token:client:public-client:grant:" + grantID, "token:client:confidential-client"}
	if keys := rl.seen(); !slices.Equal(keys, want) {
		t.Fatalf("keys %q, want %q: per grant for public clients, per client for one that authenticated with a secret", keys, want)
	}
}

// TestLimiterFailureModes: when the store cannot count, /register and
// /authorize fail closed (503 with Retry-After: they are what strangers
// flood, and what they store), /token and /revoke fail open with a log
// line (refusing them would disconnect every connected client).
func TestLimiterFailureModes(t *testing.T) {
	s, rl := newRecordingServer(t, false)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	pair := s.tokenPair(c)
	rl.mu.Lock()
	rl.fail = true
	rl.mu.Unlock()

	want503(t, registerFrom(s, "198.51.100.9"))
	if resp := registerFrom(s, "198.51.100.9"); resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("the 503 of /register lacks CORS")
	}
	resp := authorizeFrom(s, c, "198.51.100.9")
	wantErrorPage(t, resp, http.StatusServiceUnavailable, "right now")
	if resp.Header.Get("Retry-After") == "" {
		t.Errorf("the /authorize 503 has no Retry-After")
	}
	if !strings.Contains(s.logs.String(), "rate limiter unavailable; request refused") {
		t.Errorf("the refusal is not logged:\n%s", s.logs)
	}

	if resp := s.refresh(c, pair.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh while the limiter is down: %d %s", resp.StatusCode, readBody(t, resp))
	}
	if resp := tokenRequest(s, pathRevoke, c, "198.51.100.9"); resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation while the limiter is down: %d", resp.StatusCode)
	}
	if !strings.Contains(s.logs.String(), "rate limiter unavailable; request admitted") {
		t.Errorf("the admitted request's limiter failure is not logged:\n%s", s.logs)
	}
}

func TestLimitsValidated(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"negative limit", withLimits(Limits{TokenPerIP: Rate{Limit: -1, Window: time.Minute}}), "Limits.TokenPerIP.Limit"},
		{"window too short", withLimits(Limits{RegisterGlobal: Rate{Limit: 5, Window: time.Millisecond}}), "Limits.RegisterGlobal.Window"},
		{"negative cap", withLimits(Limits{MaxClients: -1}), "Limits.MaxClients"},
		{"negative age", withLimits(Limits{UnusedClientAge: -time.Hour}), "Limits.UnusedClientAge"},
		{"invalid prefix", withLimits(Limits{TrustedProxies: []netip.Prefix{{}}}), "Limits.TrustedProxies[0]"},
		{"store without a limiter", func(c *Config) {
			c.Store = storeWithoutLimiter{c.Store}
			c.Limits = Limits{TokenPerIP: Rate{Limit: 1, Window: time.Minute}}
		}, "tokens.RateLimiter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newTestServer(t, nil).cfg
			tt.mutate(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error %v, want one naming %s", err, tt.want)
			}
		})
	}
	// A store without a limiter is fine when nothing is rate-limited.
	cfg := newTestServer(t, nil).cfg
	cfg.Store = storeWithoutLimiter{cfg.Store}
	cfg.Limits = Limits{MaxClients: 10}
	if _, err := New(cfg); err != nil {
		t.Fatalf("New: %v", err)
	}
}

// storeWithoutLimiter hides the memory store's RateLimiter.
type storeWithoutLimiter struct{ tokens.Store }

func TestRetrySeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {time.Second + time.Millisecond, 2}, {75 * time.Second, 75}} {
		if got := retrySeconds(tc.d); got != tc.want {
			t.Errorf("retrySeconds(%s) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestRateKeyPart(t *testing.T) {
	for _, s := range []string{strings.Repeat("a", 65), "with space", "{tag}", "é", "a\x00b"} {
		if got := rateKeyPart(s); !strings.HasPrefix(got, "sha256:") || len(got) != len("sha256:")+32 {
			t.Errorf("rateKeyPart(%q) = %q, want a hash", s, got)
		}
	}
	if got := rateKeyPart("0123abc-_.:/"); got != "0123abc-_.:/" {
		t.Errorf("a plain ID changed: %q", got)
	}
}

// TestClientCap fills the store to the cap: registration first prunes the
// clients that never completed an authorization, then refuses with 503.
func TestClientCap(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{MaxClients: 3, UnusedClientAge: 24 * time.Hour}))
	used := s.register(authMethodNone, "http://localhost:7777/cb")
	s.tokenPair(used)
	got, err := s.store.GetClient(context.Background(), used.ID)
	if err != nil || !got.LastUsedAt.Equal(s.clock.Now()) {
		t.Fatalf("after the code exchange LastUsedAt = %v (%v), want now", got.LastUsedAt, err)
	}
	s.register(authMethodNone, "http://localhost:7777/cb")
	s.register(authMethodNone, "http://localhost:7777/cb")

	resp := registerFrom(s, "198.51.100.1")
	wantOAuthError(t, resp, http.StatusServiceUnavailable, wire.TemporarilyUnavailable)
	if resp.Header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}

	// A day later the two never-used clients may go; the used one stays
	// (its grant is revoked first, so only LastUsedAt protects it).
	s.clock.Advance(25 * time.Hour)
	grants, err := s.store.ListGrants(context.Background(), "", used.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		if err := s.store.RevokeGrant(context.Background(), g.ID); err != nil {
			t.Fatal(err)
		}
	}
	if resp := registerFrom(s, "198.51.100.1"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after pruning: %d %s", resp.StatusCode, readBody(t, resp))
	}
	clients, err := s.store.ListClients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(clients) != 2 || clients[0].ID != used.ID {
		var ids []string
		for _, c := range clients {
			ids = append(ids, c.ID)
		}
		t.Fatalf("clients after pruning %v, want the used one %s and the new one", ids, used.ID)
	}
	if !strings.Contains(s.logs.String(), "pruned unused clients") {
		t.Errorf("pruning not logged")
	}
}

// TestClientCapPrunesOncePerMinute checks that a full store of live clients
// does not make every registration list every client.
func TestClientCapPrunesOncePerMinute(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{MaxClients: 1}))
	s.register(authMethodNone, "http://localhost:7777/cb")
	for range 3 {
		wantOAuthError(t, registerFrom(s, "198.51.100.1"), http.StatusServiceUnavailable, wire.TemporarilyUnavailable)
	}
	if n := strings.Count(s.logs.String(), "pruned unused clients"); n != 1 {
		t.Fatalf("pruned %d times, want once", n)
	}
	s.clock.Advance(pruneEvery)
	wantOAuthError(t, registerFrom(s, "198.51.100.1"), http.StatusServiceUnavailable, wire.TemporarilyUnavailable)
	if n := strings.Count(s.logs.String(), "pruned unused clients"); n != 2 {
		t.Fatalf("pruned %d times after a minute, want twice", n)
	}
}

func TestClientCapStoreFailureIs503(t *testing.T) {
	s := newTestServer(t, func(c *Config) {
		c.Store = countFails{c.Store}
		c.Limits = Limits{MaxClients: 5}
	})
	want503(t, registerFrom(s, "198.51.100.1"))
}

type countFails struct{ tokens.Store }

func (countFails) CountClients(context.Context) (int, error) { return 0, errStoreDown }

// TestLimitResponsesAreProtocolErrors decodes a 429 body strictly: RFC 6749
// §5.2 members only.
func TestLimitResponsesAreProtocolErrors(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{RegisterGlobal: Rate{Limit: 1, Window: time.Hour}}))
	registerFrom(s, "198.51.100.1")
	resp := registerFrom(s, "198.51.100.1")
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body) != 2 || body["error"] != wire.TemporarilyUnavailable {
		t.Fatalf("body %v", body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", resp.Header)
	}
}
