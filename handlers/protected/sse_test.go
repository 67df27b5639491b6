package protected

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/testlog"
)

const (
	sseTestPRM = mcpTestIssuer + "/.well-known/oauth-protected-resource/sse"
)

// sseFixture is the MCP fixture (memory store, keys, clock, whoami tool)
// with SSE mounted next to /mcp, served over loopback.
type sseFixture struct {
	*mcpFixture
	sse  *SSE
	hub  *sseHub
	srv  *httptest.Server
	logs *testlog.Buffer // everything SSE logs, readable while streams run
}

func newSSEFixture(t *testing.T, opts ...func(*SSE)) *sseFixture {
	t.Helper()
	f := newMCPFixture(t)
	logs := &testlog.Buffer{}
	h := &SSE{ResourceServer: ResourceServer{
		Resource:            mcpTestResource,
		ResourceMetadataURL: sseTestPRM,
		Scopes:              mcpTestScopes,
		Tokens:              f.store,
		Keys:                f.keys,
		Server:              f.h.Server,
		AllowedOrigins:      f.h.AllowedOrigins,
		Logger:              slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:                 f.clock.Now,
	}}
	for _, o := range opts {
		o(h)
	}
	hub := h.newHub()
	f.mux.Handle(PathSSE, h.chain(hub))
	srv := httptest.NewServer(f.mux)
	t.Cleanup(srv.Close)
	return &sseFixture{mcpFixture: f, sse: h, hub: hub, srv: srv, logs: logs}
}

// sseEvent is one server-sent event, or a comment line.
type sseEvent struct {
	name, data, comment string
}

// sseTestStream is a raw client of one stream: what a 2024-11-05 client
// does by hand.
type sseTestStream struct {
	t        *testing.T
	srv      *httptest.Server
	resp     *http.Response
	r        *bufio.Reader
	endpoint string // the absolute message URL announced by the stream
}

// openSSE opens a stream with token (and extra request headers) and reads
// its endpoint event.
func openSSE(t *testing.T, srv *httptest.Server, token string, header http.Header) *sseTestStream {
	t.Helper()
	resp := getSSE(t, srv, token, header)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sse: status %d: %s", resp.StatusCode, mcptest.ReadBody(t, resp))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	s := &sseTestStream{t: t, srv: srv, resp: resp, r: bufio.NewReader(resp.Body)}
	ev := s.next()
	if ev.name != "endpoint" || !strings.HasPrefix(ev.data, PathSSE+"?"+sseSessionParam+"=") {
		t.Fatalf("first event = %+v, want the endpoint %s?%s=…", ev, PathSSE, sseSessionParam)
	}
	base, _ := url.Parse(srv.URL + PathSSE)
	ep, err := base.Parse(ev.data)
	if err != nil {
		t.Fatalf("endpoint %q: %v", ev.data, err)
	}
	s.endpoint = ep.String()
	return s
}

// getSSE sends GET /sse and returns the response; the body is closed when
// the test ends.
func getSSE(t *testing.T, srv *httptest.Server, token string, header http.Header) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), mcptest.HangGuard)
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+PathSSE, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		r.Header[k] = v
	}
	r.Header.Set("Accept", "text/event-stream")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(r)
	if err != nil {
		cancel()
		t.Fatalf("GET /sse: %v", err)
	}
	t.Cleanup(func() {
		resp.Body.Close()
		cancel()
	})
	return resp
}

// sessionID is the session named by the endpoint.
func (s *sseTestStream) sessionID() string {
	u, _ := url.Parse(s.endpoint)
	return u.Query().Get(sseSessionParam)
}

// next reads the next event or comment.
func (s *sseTestStream) next() sseEvent {
	s.t.Helper()
	var ev sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if ev != (sseEvent{}) {
				return ev
			}
		case strings.HasPrefix(line, ":"):
			ev.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event:"):
			ev.name = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			if ev.data != "" {
				ev.data += "\n"
			}
			ev.data += strings.TrimPrefix(line[len("data:"):], " ")
		}
	}
}

// rpcMessage is a JSON-RPC response as read from the stream.
type rpcMessage struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// nextMessage reads message events until one is a response (skipping
// comments and server notifications).
func (s *sseTestStream) nextMessage() rpcMessage {
	s.t.Helper()
	for {
		ev := s.next()
		if ev.name != "message" {
			continue
		}
		var m rpcMessage
		if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
			s.t.Fatalf("message %q: %v", ev.data, err)
		}
		if len(m.ID) > 0 {
			return m
		}
	}
}

// post sends body to the stream's endpoint with token.
func (s *sseTestStream) post(token, body string) *http.Response {
	s.t.Helper()
	return postSSE(s.t, s.srv, s.endpoint, token, "application/json", body)
}

func postSSE(t *testing.T, srv *httptest.Server, target, token, contentType, body string) *http.Response {
	t.Helper()
	r, err := http.NewRequestWithContext(mcptest.Bounded(t), http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", contentType)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// mustAccept posts body and requires 202.
func (s *sseTestStream) mustAccept(token, body string) {
	s.t.Helper()
	resp := s.post(token, body)
	if resp.StatusCode != http.StatusAccepted {
		s.t.Fatalf("POST %s: status %d, want 202: %s", body, resp.StatusCode, mcptest.ReadBody(s.t, resp))
	}
}

// initialize runs the 2024-11-05 handshake by hand at version and returns
// the version the server answered.
func (s *sseTestStream) initialize(token, version string) string {
	s.t.Helper()
	s.mustAccept(token, fmt.Sprintf(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`, version))
	m := s.nextMessage()
	if m.Error != nil {
		s.t.Fatalf("initialize: error %+v", m.Error)
	}
	var res struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if err := json.Unmarshal(m.Result, &res); err != nil {
		s.t.Fatalf("initialize result %s: %v", m.Result, err)
	}
	s.mustAccept(token, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return res.ProtocolVersion
}

// whoamiResult decodes the structured content of a whoami tools/call result.
func whoamiResult(t *testing.T, raw json.RawMessage) whoamiOut {
	t.Helper()
	var res struct {
		IsError           bool      `json:"isError"`
		StructuredContent whoamiOut `json:"structuredContent"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("tools/call result %s: %v", raw, err)
	}
	if res.IsError {
		t.Fatalf("tools/call failed: %s", raw)
	}
	return res.StructuredContent
}

// checkSSEChallenge asserts one Bearer challenge naming /sse's metadata.
func checkSSEChallenge(t *testing.T, resp *http.Response, wantError string) {
	t.Helper()
	values := resp.Header.Values("WWW-Authenticate")
	if len(values) != 1 || !strings.HasPrefix(values[0], "Bearer ") {
		t.Fatalf("WWW-Authenticate = %q, want one Bearer challenge", values)
	}
	challenges, err := oauthex.ParseWWWAuthenticate(values)
	if err != nil || len(challenges) != 1 {
		t.Fatalf("ParseWWWAuthenticate(%q) = %+v, %v", values, challenges, err)
	}
	p := challenges[0].Params
	if p["resource_metadata"] != sseTestPRM {
		t.Errorf("resource_metadata = %q, want %q", p["resource_metadata"], sseTestPRM)
	}
	if got, want := p["scope"], strings.Join(mcpTestScopes, " "); got != want {
		t.Errorf("scope = %q, want %q", got, want)
	}
	if p["error"] != wantError {
		t.Errorf("error = %q, want %q", p["error"], wantError)
	}
}

func checkCORS(t *testing.T, resp *http.Response) {
	t.Helper()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
	}
	if got := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(got, "WWW-Authenticate") {
		t.Errorf("Access-Control-Expose-Headers = %q, want WWW-Authenticate in it", got)
	}
}

func TestSSEWithoutValidTokenGetsChallenge(t *testing.T) {
	fx := newSSEFixture(t)
	tok := fx.issue(t, mcpIssueOptions{})
	other := fx.issue(t, mcpIssueOptions{resource: "https://other.example.com/mcp"})
	tests := []struct {
		name, method, target, bearer, wantError string
	}{
		{"GET without token", http.MethodGet, "/sse", "", ""},
		{"POST without token", http.MethodPost, "/sse?sessionid=ABC", "", ""},
		{"DELETE without token", http.MethodDelete, "/sse", "", ""},
		{"GitHub token", http.MethodGet, "/sse", "gho_16C7e42F292c6912E7710c838347Ae178B4a", wire.InvalidToken},
		{"refresh token", http.MethodGet, "/sse", tok.refresh, wire.InvalidToken},
		{"token of another resource", http.MethodGet, "/sse", other.access, wire.InvalidToken},
		{"token in the query", http.MethodGet, "/sse?access_token=" + url.QueryEscape(tok.access), tok.access, wire.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(`{}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "text/event-stream")
			if tt.bearer != "" {
				r.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			resp := fx.serve(r)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", resp.StatusCode)
			}
			checkSSEChallenge(t, resp, tt.wantError)
			checkCORS(t, resp)
			if b := decodeErrorBody(t, resp); b.ErrorDescription == "" {
				t.Errorf("body %+v has no description", b)
			}
		})
	}
}

func TestSSEPreflightNeedsNoToken(t *testing.T) {
	fx := newSSEFixture(t)
	r := httptest.NewRequest(http.MethodOptions, "/sse", nil)
	r.Header.Set("Origin", "http://localhost:6274")
	r.Header.Set("Access-Control-Request-Method", http.MethodPost)
	r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	resp := fx.serve(r)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status = %d, want 204", resp.StatusCode)
	}
	checkCORS(t, resp)
	if got := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(got, "Authorization") {
		t.Errorf("Access-Control-Allow-Headers = %q", got)
	}
}

func TestSSEOrigin(t *testing.T) {
	fx := newSSEFixture(t)
	tok := fx.issue(t, mcpIssueOptions{})

	r := httptest.NewRequest(http.MethodGet, "/sse", nil)
	r.Header.Set("Origin", "https://evil.example")
	r.Header.Set("Authorization", "Bearer "+tok.access)
	resp := fx.serve(r)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("disallowed Origin: status = %d, want 403", resp.StatusCode)
	}
	checkCORS(t, resp)
	if b := decodeErrorBody(t, resp); b.Error != "forbidden" {
		t.Errorf("body = %+v", b)
	}

	// An allowed browser origin (Inspector) opens a stream and talks on it.
	s := openSSE(t, fx.srv, tok.access, http.Header{"Origin": {"http://localhost:6274"}})
	if v := s.initialize(tok.access, "2024-11-05"); v != "2024-11-05" {
		t.Errorf("negotiated %q", v)
	}
}

func TestSSEGoClient(t *testing.T) {
	fx := newSSEFixture(t)
	alice := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	cs := mcptest.ConnectSSE(t, fx.srv, &mcptest.SwapBearer{Token: alice.access, Base: fx.srv.Client().Transport}, nil)

	tools, err := cs.ListTools(mcptest.Bounded(t), nil)
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "whoami" {
		t.Fatalf("tools = %+v, want [whoami]", tools.Tools)
	}
	if got := callWhoami(t, cs); got.UserID != alice.userID || got.GrantID != alice.grantID {
		t.Errorf("whoami = %+v, want alice's grant %s", got, alice.grantID)
	}
	seen := fx.seen.all()
	if len(seen) != 1 {
		t.Fatalf("tool saw %d callers, want 1", len(seen))
	}
	c := seen[0]
	if c.GrantID != alice.grantID || c.ClientID != mcpTestClientID || c.UserID != alice.userID || !slices.Equal(c.Scopes, mcpTestScopes) {
		t.Errorf("caller = %+v", c)
	}
	if c.Key != alice.key {
		t.Error("the caller's data key is not the grant's")
	}
}

func TestSSECallerIsThePOSTs(t *testing.T) {
	// The stream is opened with alice's first token; the client then
	// switches to a second token of hers (another grant), then to bob's.
	fx := newSSEFixture(t)
	alice1 := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	alice2 := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	bob := fx.issue(t, mcpIssueOptions{userID: "github:1002"})
	bearer := &mcptest.SwapBearer{Token: alice1.access, Base: fx.srv.Client().Transport}
	cs := mcptest.ConnectSSE(t, fx.srv, bearer, nil)

	if got := callWhoami(t, cs); got.GrantID != alice1.grantID {
		t.Errorf("first call: grant %s, want %s", got.GrantID, alice1.grantID)
	}
	bearer.Set(alice2.access)
	if got := callWhoami(t, cs); got.GrantID != alice2.grantID || got.UserID != alice2.userID {
		t.Errorf("after the switch: %+v, want the POST's grant %s, not the stream's", got, alice2.grantID)
	}
	bearer.Set(bob.access)
	if _, err := cs.CallTool(mcptest.Bounded(t), &mcp.CallToolParams{Name: "whoami", Arguments: map[string]any{}}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("bob's call on alice's session: err = %v, want a 403", err)
	}
	seen := fx.seen.all()
	if len(seen) != 2 || seen[0].Key != alice1.key || seen[1].Key != alice2.key {
		t.Errorf("tool saw %d callers (%+v), want alice's two grants with their own data keys", len(seen), seen)
	}
	if logs := fx.logs.String(); !strings.Contains(logs, "the session belongs to another user") || !strings.Contains(logs, "user_id="+bob.userID) {
		t.Errorf("refused message not logged with its IDs:\n%s", logs)
	}
}

func TestSSEMessageRules(t *testing.T) {
	fx := newSSEFixture(t)
	alice := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	alice2 := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	bob := fx.issue(t, mcpIssueOptions{userID: "github:1002"})
	s := openSSE(t, fx.srv, alice.access, nil)
	endpoint := s.endpoint
	base := fx.srv.URL + PathSSE
	ping := `{"jsonrpc":"2.0","id":7,"method":"ping"}`

	tests := []struct {
		name, method, target, token, contentType, body string
		wantStatus                                     int
		wantError                                      string
	}{
		{"another user's token", http.MethodPost, endpoint, bob.access, "application/json", ping, http.StatusForbidden, "forbidden"},
		{"no session", http.MethodPost, base, alice.access, "application/json", ping, http.StatusBadRequest, wire.InvalidRequest},
		{"unknown session", http.MethodPost, base + "?sessionid=NOSUCHSESSION", alice.access, "application/json", ping, http.StatusNotFound, "not_found"},
		{"not JSON content", http.MethodPost, endpoint, alice.access, "text/plain", ping, http.StatusUnsupportedMediaType, wire.InvalidRequest},
		{"not JSON-RPC", http.MethodPost, endpoint, alice.access, "application/json", `{"hello":`, http.StatusBadRequest, wire.InvalidRequest},
		{"batch", http.MethodPost, endpoint, alice.access, "application/json", "[" + ping + "]", http.StatusBadRequest, wire.InvalidRequest},
		{"too large", http.MethodPost, endpoint, alice.access, "application/json",
			`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"` + strings.Repeat("a", int(mcp.DefaultMaxRequestBodyBytes)) + `"}}`,
			http.StatusRequestEntityTooLarge, wire.InvalidRequest},
		{"PUT", http.MethodPut, endpoint, alice.access, "application/json", ping, http.StatusMethodNotAllowed, wire.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequestWithContext(mcptest.Bounded(t), tt.method, tt.target, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", tt.contentType)
			r.Header.Set("Authorization", "Bearer "+tt.token)
			resp, err := fx.srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.wantStatus, mcptest.ReadBody(t, resp))
			}
			if b := decodeErrorBody(t, resp); b.Error != tt.wantError || b.ErrorDescription == "" {
				t.Errorf("body = %+v, want error %q with a description", b, tt.wantError)
			}
			if tt.method == http.MethodPut && resp.Header.Get("Allow") != "GET, POST" {
				t.Errorf("Allow = %q, want GET, POST", resp.Header.Get("Allow"))
			}
			checkCORS(t, resp)
		})
	}

	// None of the refused messages reached the session; a message with
	// another token of the same user does.
	s.mustAccept(alice2.access, ping)
	if m := s.nextMessage(); string(m.ID) != "7" || m.Error != nil {
		t.Errorf("ping answer = %+v", m)
	}
}

func TestSSEConcurrentMessagesSeeTheirOwnCaller(t *testing.T) {
	fx := newSSEFixture(t)
	alice1 := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	alice2 := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	s := openSSE(t, fx.srv, alice1.access, nil)
	s.initialize(alice1.access, "2024-11-05")

	const n = 24
	grants := []mcpGrant{alice1, alice2}
	var wg sync.WaitGroup
	statuses := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			g := grants[i%2]
			body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`, i)
			r, err := http.NewRequestWithContext(mcptest.Bounded(t), http.MethodPost, s.endpoint, strings.NewReader(body))
			if err != nil {
				statuses <- err.Error()
				return
			}
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+g.access)
			resp, err := fx.srv.Client().Do(r)
			if err != nil {
				statuses <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				statuses <- fmt.Sprintf("message %d: status %d", i, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		t.Error(st)
	}
	for range n {
		m := s.nextMessage()
		var id int
		if err := json.Unmarshal(m.ID, &id); err != nil || m.Error != nil {
			t.Fatalf("answer %+v", m)
		}
		if got, want := whoamiResult(t, m.Result).GrantID, grants[id%2].grantID; got != want {
			t.Errorf("message %d: the tool saw grant %s, want %s (the grant of the POST)", id, got, want)
		}
	}
}

func TestSSEToolScopeChecked(t *testing.T) {
	// The per-tool scope check of /mcp runs on every POST to /sse too, with
	// /sse's challenge, before the message reaches the session.
	fx := newSSEFixture(t, func(h *SSE) { h.ToolScopes = mcptest.ToolScopes{} })
	readOnly := fx.scopedAccess(t, []string{mcptest.ScopeRead})
	s := openSSE(t, fx.srv, readOnly, nil)
	s.initialize(readOnly, "2024-11-05")

	resp := s.post(readOnly, mcptest.ToolCall(5, "write_thing"))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("write tool with a read-only token: status %d, want 403: %s", resp.StatusCode, mcptest.ReadBody(t, resp))
	}
	ch, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil || len(ch) != 1 {
		t.Fatalf("challenge %q: %v", resp.Header.Values("WWW-Authenticate"), err)
	}
	if p := ch[0].Params; p["error"] != wire.InsufficientScope || p["scope"] != mcptest.ScopeRead+" "+mcptest.ScopeWrite || p["resource_metadata"] != sseTestPRM {
		t.Errorf("challenge params %v, want insufficient_scope for %q naming %s", p, mcptest.ScopeRead+" "+mcptest.ScopeWrite, sseTestPRM)
	}
	checkCORS(t, resp)

	// A call the token covers goes through, and is the first answer on the
	// stream: the refused one never reached the session.
	s.mustAccept(readOnly, mcptest.ToolCall(6, "whoami"))
	if m := s.nextMessage(); string(m.ID) != "6" || m.Error != nil {
		t.Errorf("answer %+v, want the whoami call (id 6)", m)
	}
}

func TestSSEStreamsPerUser(t *testing.T) {
	fx := newSSEFixture(t, func(h *SSE) { h.MaxStreamsPerUser = 1 })
	alice := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	bob := fx.issue(t, mcpIssueOptions{userID: "github:1002"})
	openSSE(t, fx.srv, alice.access, nil)

	resp := getSSE(t, fx.srv, alice.access, nil)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second stream of alice: status %d, want 429", resp.StatusCode)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if b := decodeErrorBody(t, resp); b.Error != "too_many_requests" {
		t.Errorf("body = %+v", b)
	}
	openSSE(t, fx.srv, bob.access, nil) // another user is not affected
	if got := fx.hub.openStreams(); got != 2 {
		t.Errorf("open streams = %d, want 2", got)
	}
}

func TestSSEKeepAlive(t *testing.T) {
	fx := newSSEFixture(t, func(h *SSE) { h.KeepAlive = time.Millisecond })
	tok := fx.issue(t, mcpIssueOptions{})
	s := openSSE(t, fx.srv, tok.access, nil)
	if ev := s.next(); ev.comment != "keep-alive" || ev.name != "" || ev.data != "" {
		t.Errorf("idle stream sent %+v, want a keep-alive comment", ev)
	}
	// Comments do not disturb messages.
	s.mustAccept(tok.access, `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	if m := s.nextMessage(); string(m.ID) != "1" {
		t.Errorf("ping answer = %+v", m)
	}
}

func TestSSEShutdownEndsStreams(t *testing.T) {
	fx := newSSEFixture(t)
	alice := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	bob := fx.issue(t, mcpIssueOptions{userID: "github:1002"})
	cs := mcptest.ConnectSSE(t, fx.srv, &mcptest.SwapBearer{Token: alice.access, Base: fx.srv.Client().Transport}, nil)
	callWhoami(t, cs)
	raw := openSSE(t, fx.srv, bob.access, nil)
	if got := fx.hub.openStreams(); got != 2 {
		t.Fatalf("open streams = %d, want 2", got)
	}

	// Shutdown returns only once every handler has returned: the streams
	// must end by themselves, not wait out the context.
	ctx, cancel := context.WithTimeout(t.Context(), mcptest.HangGuard)
	defer cancel()
	if err := fx.srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v (open SSE streams held it)", err)
	}
	if got := fx.hub.openStreams(); got != 0 {
		t.Errorf("open streams after shutdown = %d, want 0", got)
	}
	if rest, err := io.ReadAll(raw.r); err != nil || len(rest) != 0 {
		t.Errorf("raw stream after shutdown: %q, %v; want a clean end", rest, err)
	}
	cs.Wait() // the Go client sees its stream end
	if logs := fx.logs.String(); !strings.Contains(logs, "closing sse streams") {
		t.Errorf("shutdown not logged:\n%s", logs)
	}
}

func TestSSEShutdownAbortsAStuckWrite(t *testing.T) {
	// A client that stops reading while a large answer is being written
	// leaves the write blocked on a full connection. Shutdown must still
	// end the stream, by aborting that write.
	fx := newSSEFixture(t)
	const size = 16 << 20 // well beyond what loopback socket buffers hold
	mcp.AddTool(fx.h.Server, &mcp.Tool{Name: "flood", Description: "Answers a lot."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.Repeat("x", size)}}}, struct{}{}, nil
		})
	tok := fx.issue(t, mcpIssueOptions{})
	s := openSSE(t, fx.srv, tok.access, nil)
	s.initialize(tok.access, "2024-11-05")
	st := fx.hub.lookup(s.sessionID())
	if st == nil {
		t.Fatal("the stream is not registered")
	}
	s.mustAccept(tok.access, mcptest.ToolCall(9, "flood"))
	// The client reads nothing more; wait until the answer's write is
	// under way (it cannot finish: nobody reads it).
	ctx, cancel := context.WithTimeout(t.Context(), mcptest.HangGuard)
	defer cancel()
	for !st.writing.Load() {
		if ctx.Err() != nil {
			t.Fatal("the answer was never written")
		}
		time.Sleep(time.Millisecond)
	}

	if err := fx.srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v (a stuck write held the stream open)", err)
	}
	if got := fx.hub.openStreams(); got != 0 {
		t.Errorf("open streams after shutdown = %d, want 0", got)
	}
}

func TestSSERefusesNewStreamsWhileShuttingDown(t *testing.T) {
	fx := newSSEFixture(t)
	tok := fx.issue(t, mcpIssueOptions{})
	s := openSSE(t, fx.srv, tok.access, nil)

	fx.hub.shutdown(fx.srv.Config) // what the server's RegisterOnShutdown hook runs
	if rest, err := io.ReadAll(s.r); err != nil || len(rest) != 0 {
		t.Errorf("stream after shutdown: %q, %v; want a clean end", rest, err)
	}
	resp := getSSE(t, fx.srv, tok.access, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("new stream during shutdown: status %d, Retry-After %q; want 503 with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if b := decodeErrorBody(t, resp); b.Error != wire.TemporarilyUnavailable {
		t.Errorf("body = %+v", b)
	}
	// The session is gone: its messages get 404.
	if resp := s.post(tok.access, `{"jsonrpc":"2.0","id":1,"method":"ping"}`); resp.StatusCode != http.StatusNotFound {
		t.Errorf("message to a closed session: status %d, want 404", resp.StatusCode)
	}
}

func TestSSELogsIDsNeverTokens(t *testing.T) {
	fx := newSSEFixture(t)
	alice := fx.issue(t, mcpIssueOptions{userID: "github:1001"})
	bob := fx.issue(t, mcpIssueOptions{userID: "github:1002"})
	s := openSSE(t, fx.srv, alice.access, nil)
	s.initialize(alice.access, "2024-11-05")
	s.post(bob.access, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)

	logs := fx.logs.String()
	for _, want := range []string{"sse stream opened", "session_id=" + s.sessionID(), "user_id=" + alice.userID,
		"grant_id=" + alice.grantID, "client_id=" + mcpTestClientID} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{alice.access, alice.refresh, bob.access} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a token:\n%s", logs)
		}
	}
}

func TestForwardedHeaderDropsCredentials(t *testing.T) {
	h := http.Header{"Authorization": {"Bearer mcpat_x"}, "Cookie": {"a=b"}, "User-Agent": {"ua"}}
	got := forwardedHeader(h)
	if got.Get("Authorization") != "" || got.Get("Cookie") != "" || got.Get("User-Agent") != "ua" {
		t.Errorf("forwardedHeader = %v", got)
	}
	if h.Get("Authorization") == "" {
		t.Error("forwardedHeader changed the request's header")
	}
}

func TestSSEMountNeedsDependencies(t *testing.T) {
	fx := newSSEFixture(t)
	tests := []struct {
		name   string
		mutate func(*SSE)
	}{
		{"no resource", func(h *SSE) { h.Resource = "" }},
		{"no metadata URL", func(h *SSE) { h.ResourceMetadataURL = "" }},
		{"no token store", func(h *SSE) { h.Tokens = nil }},
		{"no keyring", func(h *SSE) { h.Keys = nil }},
		{"no server", func(h *SSE) { h.Server = nil }},
		{"negative stream limit", func(h *SSE) { h.MaxStreamsPerUser = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := *fx.sse
			tt.mutate(&h)
			defer func() {
				if recover() == nil {
					t.Error("Mount did not panic")
				}
			}()
			h.Mount(http.NewServeMux())
		})
	}
	h := *fx.sse
	mux := http.NewServeMux()
	h.Mount(mux)
	if _, pattern := mux.Handler(httptest.NewRequest(http.MethodGet, "/sse", nil)); pattern != PathSSE {
		t.Errorf("Mount registered %q, want %q", pattern, PathSSE)
	}
}
