package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/upstream"
)

// sessionRecorder is a swapBearer that also records the Mcp-Session-Id of
// every response, so a test can tell whether the server ever set one.
type sessionRecorder struct {
	*mcptest.SwapBearer
	mu         sync.Mutex
	sessionIDs []string
}

func (s *sessionRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.SwapBearer.RoundTrip(r)
	if err == nil {
		if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" {
			s.mu.Lock()
			s.sessionIDs = append(s.sessionIDs, sid)
			s.mu.Unlock()
		}
	}
	return resp, err
}

func (s *sessionRecorder) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sessionIDs)
}

// connectStreamable opens a go-sdk client session to ts's /mcp through rt,
// with or without the client's own standalone GET stream.
func connectStreamable(t *testing.T, ts *httptest.Server, rt http.RoundTripper, standaloneSSE bool) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-test-client", Version: "0.0.1"}, nil)
	cs, err := client.Connect(mcptest.Bounded(t), &mcp.StreamableClientTransport{
		Endpoint:             ts.URL + protected.PathMCP,
		HTTPClient:           &http.Client{Transport: rt},
		DisableStandaloneSSE: !standaloneSSE,
	}, nil)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// sessionRequest sends one raw request on session sid with token and
// returns the response with its body read. A GET that opens the standalone
// stream returns as soon as the headers arrive; its body is not read.
func sessionRequest(t *testing.T, ts *httptest.Server, method, sid, token, body string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(mcptest.Bounded(t), mcptest.HangGuard)
	t.Cleanup(cancel)
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, method, ts.URL+protected.PathMCP, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Accept", "application/json, text/event-stream")
	r.Header.Set("MCP-Protocol-Version", "2025-11-25")
	r.Header.Set("Mcp-Session-Id", sid)
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := ts.Client().Do(r)
	if err != nil {
		t.Fatalf("%s /mcp: %v", method, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if method == http.MethodGet && resp.StatusCode == http.StatusOK {
		return resp, ""
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s /mcp: reading body: %v", method, err)
	}
	return resp, string(b)
}

const statefulToolsCall = `{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`

// TestMCPStatefulSessions runs a stateful /mcp, built by New, through the
// go-sdk client: a session with an Mcp-Session-Id at protocol 2025-11-25,
// bound to the user who opened it (another user's valid token gets the
// SDK's 403 on every method), kept across the same user's refreshed and
// re-issued tokens with the tool seeing each request's own caller, a
// standalone GET stream, and DELETE ending the session.
func TestMCPStatefulSessions(t *testing.T) {
	s := newTestServer(t, func(c *Config) {
		c.MCPServer = newCallerEchoServer()
		c.Stateful = true
	})
	c := s.register(authMethodNone, "http://localhost:3334/oauth/callback")
	first := s.tokenPair(c)
	alice, err := s.accessRecord(first.AccessToken)
	if err != nil {
		t.Fatalf("access record: %v", err)
	}
	s.idp.setIdentity(upstream.Identity{Subject: "5151", Login: "bob", Email: "bob@example.com"})
	bobPair := s.freshPair(c)
	bob, err := s.accessRecord(bobPair.AccessToken)
	if err != nil || bob.UserID == alice.UserID {
		t.Fatalf("bob's access record: user %q (alice %q), %v", bob.UserID, alice.UserID, err)
	}

	ts := httptest.NewServer(s.handler)
	t.Cleanup(ts.Close)
	rec := &sessionRecorder{SwapBearer: &mcptest.SwapBearer{Token: first.AccessToken, Base: ts.Client().Transport}}
	cs := connectStreamable(t, ts, rec, false) // the GET stream is opened by hand below

	sid := cs.ID()
	if sid == "" {
		t.Fatal("stateful /mcp: the client has no Mcp-Session-Id")
	}
	if got := rec.seen(); len(got) == 0 || got[0] != sid {
		t.Errorf("Mcp-Session-Id headers seen = %q, want %q", got, sid)
	}
	if v := cs.InitializeResult().ProtocolVersion; v != "2025-11-25" {
		t.Errorf("negotiated protocol version = %q, want 2025-11-25", v)
	}
	tools, err := cs.ListTools(mcptest.Bounded(t), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "whoami" {
		t.Fatalf("tools/list = %+v, want [whoami]", tools.Tools)
	}
	if got := callEcho(t, cs); got.UserID != alice.UserID || got.GrantID != alice.GrantID ||
		!slices.Equal(got.Scopes, []string{"mcp:read", "mcp:write"}) {
		t.Fatalf("whoami on the session = %+v, want alice's grant %s", got, alice.GrantID)
	}

	// Another user's valid token on alice's session: the SDK refuses every
	// method, after our bearer check accepted the token itself.
	for _, tt := range []struct{ method, body string }{
		{http.MethodPost, statefulToolsCall},
		{http.MethodGet, ""},
		{http.MethodDelete, ""},
	} {
		resp, body := sessionRequest(t, ts, tt.method, sid, bobPair.AccessToken, tt.body)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "session user mismatch") {
			t.Errorf("%s with bob's token on alice's session: status %d, body %q; want 403 session user mismatch", tt.method, resp.StatusCode, body)
		}
	}

	// Alice refreshes with a narrower scope: same session, same grant, and
	// the tool sees the refreshed token's scopes, not the opener's.
	resp := s.postForm("/token", clientAuthForm(c, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}, "scope": {"mcp:read"}, "resource": {asTestResource},
	}), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: status %d: %s", resp.StatusCode, readBody(t, resp))
	}
	var refreshed tokenResponse
	decodeJSON(t, resp, &refreshed)
	rec.Set(refreshed.AccessToken)
	if got := callEcho(t, cs); got.GrantID != alice.GrantID || !slices.Equal(got.Scopes, []string{"mcp:read"}) {
		t.Errorf("whoami after refresh = %+v, want grant %s with scopes [mcp:read]", got, alice.GrantID)
	}

	// Alice signs in again (a new grant): the session still takes her token
	// and the tool sees the new grant.
	s.idp.setIdentity(upstream.Identity{Subject: "4242", Login: "octocat", Email: "octo@example.com"})
	again := s.freshPair(c)
	newGrant, err := s.accessRecord(again.AccessToken)
	if err != nil || newGrant.UserID != alice.UserID || newGrant.GrantID == alice.GrantID {
		t.Fatalf("alice's second grant: %+v, %v", newGrant, err)
	}
	rec.Set(again.AccessToken)
	if got := callEcho(t, cs); got.UserID != alice.UserID || got.GrantID != newGrant.GrantID {
		t.Errorf("whoami with alice's new grant = %+v, want grant %s", got, newGrant.GrantID)
	}

	// The standalone stream opens for the session's user, once.
	get, _ := sessionRequest(t, ts, http.MethodGet, sid, again.AccessToken, "")
	if get.StatusCode != http.StatusOK || !strings.HasPrefix(get.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("GET on the session: status %d, Content-Type %q; want 200 text/event-stream", get.StatusCode, get.Header.Get("Content-Type"))
	}
	if second, body := sessionRequest(t, ts, http.MethodGet, sid, again.AccessToken, ""); second.StatusCode != http.StatusConflict {
		t.Errorf("second GET on the session: status %d: %s; want 409 (one standalone stream per session)", second.StatusCode, body)
	}

	// DELETE ends the session; it is gone afterwards.
	del, body := sessionRequest(t, ts, http.MethodDelete, sid, again.AccessToken, "")
	if del.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: status %d: %s", del.StatusCode, body)
	}
	after, body := sessionRequest(t, ts, http.MethodPost, sid, again.AccessToken, statefulToolsCall)
	if after.StatusCode != http.StatusNotFound {
		t.Errorf("POST on the deleted session: status %d: %s; want 404", after.StatusCode, body)
	}

	// The bearer check still comes first on a session: no token is a 401.
	noToken, _ := sessionRequest(t, ts, http.MethodPost, sid, "", statefulToolsCall)
	if noToken.StatusCode != http.StatusUnauthorized || noToken.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("POST without a token: status %d, WWW-Authenticate %q; want 401 with a challenge",
			noToken.StatusCode, noToken.Header.Get("WWW-Authenticate"))
	}
}

// TestMCPStatelessByDefault checks the default: no Mcp-Session-Id on any
// response, and the go-sdk client negotiates the stateless protocol
// 2026-07-28.
func TestMCPStatelessByDefault(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.MCPServer = newCallerEchoServer() })
	c := s.register(authMethodNone, "http://localhost:3334/oauth/callback")
	pair := s.tokenPair(c)
	ts := httptest.NewServer(s.handler)
	t.Cleanup(ts.Close)

	rec := &sessionRecorder{SwapBearer: &mcptest.SwapBearer{Token: pair.AccessToken, Base: ts.Client().Transport}}
	cs := connectStreamable(t, ts, rec, false)
	if v := cs.InitializeResult().ProtocolVersion; v != "2026-07-28" {
		t.Errorf("negotiated protocol version = %q, want 2026-07-28", v)
	}
	if got := callEcho(t, cs); got.GrantID == "" {
		t.Errorf("whoami = %+v", got)
	}
	if cs.ID() != "" {
		t.Errorf("client session ID = %q, want none", cs.ID())
	}
	if got := rec.seen(); len(got) != 0 {
		t.Errorf("stateless /mcp set Mcp-Session-Id %q", got)
	}
}

// TestSessionTimeoutConfig checks Config.SessionTimeout: zero takes the
// default, a negative or sub-second value is refused by New.
func TestSessionTimeoutConfig(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		wantErr bool
	}{
		{"zero is the default", 0, false},
		{"set", 5 * time.Minute, false},
		{"negative", -time.Minute, true},
		{"under a second", time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newTestServer(t, nil).cfg
			cfg.Stateful = true
			cfg.SessionTimeout = tt.timeout
			_, err := New(cfg)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("New with SessionTimeout %s: err = %v, want error %t", tt.timeout, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "SessionTimeout") {
				t.Errorf("error %q does not name SessionTimeout", err)
			}
		})
	}
	cfg := Config{SessionTimeout: 0}
	_ = cfg.normalise() // reports the missing dependencies; the default is filled regardless
	if cfg.SessionTimeout != DefaultSessionTimeout {
		t.Errorf("normalised SessionTimeout = %s, want %s", cfg.SessionTimeout, DefaultSessionTimeout)
	}
}

// TestMCPStatefulStreamEndsOnShutdown checks that an open standalone GET
// stream of a stateful session does not hold a graceful shutdown: Shutdown
// ends it and returns without reaching its deadline.
func TestMCPStatefulStreamEndsOnShutdown(t *testing.T) {
	s := newTestServer(t, func(c *Config) {
		c.MCPServer = newCallerEchoServer()
		c.Stateful = true
	})
	pair := s.tokenPair(s.register(authMethodNone, "http://localhost:3334/oauth/callback"))
	ts := httptest.NewServer(s.handler)
	t.Cleanup(ts.Close)
	cs := connectStreamable(t, ts, &mcptest.SwapBearer{Token: pair.AccessToken, Base: ts.Client().Transport}, false)

	get, _ := sessionRequest(t, ts, http.MethodGet, cs.ID(), pair.AccessToken, "")
	if get.StatusCode != http.StatusOK {
		t.Fatalf("GET on the session: status %d, want 200", get.StatusCode)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := ts.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with an open stream: %v", err)
	}
	// The stream is over: reading it ends (EOF, or a reset of the closed
	// connection) instead of blocking.
	io.Copy(io.Discard, get.Body)
}
