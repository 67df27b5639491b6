package protected

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/internal/testlog"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	"github.com/mcpgate/mcpgate/upstream"
)

const (
	gwRead  = "mcp:read"
	gwWrite = "mcp:write"
)

// gwBackend is a go-sdk MCP server standing in for GitHub's: a read-only
// tool that echoes the Authorization header it received, a write tool, a
// second read-only tool for deny lists, and an HTTP layer that records
// every request's headers and refuses the upstream tokens in refused.
type gwBackend struct {
	srv *httptest.Server

	mu       sync.Mutex
	headers  []http.Header
	refused  map[string]bool
	sessions map[string]bool
}

type gwBackendOptions struct {
	stateful bool // issue Mcp-Session-Id
	json     bool // answer POSTs with application/json instead of SSE
}

func newGWBackend(t testing.TB, o gwBackendOptions) *gwBackend {
	t.Helper()
	b := &gwBackend{refused: map[string]bool{}, sessions: map[string]bool{}}
	srv := mcp.NewServer(&mcp.Implementation{Name: "backend", Version: "1"}, nil)
	echo := func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, struct{}, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: req.Extra.Header.Get("Authorization")}}}, struct{}{}, nil
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "echo_auth", Description: "Echoes Authorization.", Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}}, echo)
	mcp.AddTool(srv, &mcp.Tool{Name: "secret_read", Description: "Read-only, denied by policy.", Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}}, echo)
	mcp.AddTool(srv, &mcp.Tool{Name: "create_issue", Description: "Writes."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "created"}}}, struct{}{}, nil
		})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{Stateless: !o.stateful, JSONResponse: o.json})
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.headers = append(b.headers, r.Header.Clone())
		refused := b.refused[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		b.mu.Unlock()
		if refused {
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="https://backend.example/.well-known/oauth-protected-resource"`)
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		rec := &sessionRecorder{ResponseWriter: w, b: b}
		h.ServeHTTP(rec, r)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// sessionRecorder notes the session IDs the backend issues.
type sessionRecorder struct {
	http.ResponseWriter
	b *gwBackend
}

func (s *sessionRecorder) WriteHeader(code int) {
	if id := s.Header().Get("Mcp-Session-Id"); id != "" {
		s.b.mu.Lock()
		s.b.sessions[id] = true
		s.b.mu.Unlock()
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *sessionRecorder) Flush() { http.NewResponseController(s.ResponseWriter).Flush() }

func (b *gwBackend) refuse(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refused[token] = true
}

func (b *gwBackend) seen() []http.Header {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.headers)
}

func (b *gwBackend) issuedSession(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions[id]
}

// gwProvider refreshes upstream tokens as scripted: "<name>-<n>" becomes
// "<name>-<n+1>", or refresh fails with upstream.ErrRevoked when dead.
type gwProvider struct {
	mu    sync.Mutex
	dead  bool
	calls int
}

func (p *gwProvider) Name() string        { return "github" }
func (p *gwProvider) DisplayName() string { return "GitHub" }
func (p *gwProvider) AuthCodeURL(upstream.AuthRequest) string {
	return "https://github.example/authorize"
}
func (p *gwProvider) Exchange(context.Context, string, string, string) (upstream.Identity, upstream.Token, error) {
	return upstream.Identity{}, upstream.Token{}, errors.New("no exchange in this test")
}

func (p *gwProvider) Refresh(_ context.Context, t upstream.Token) (upstream.Token, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.dead {
		return upstream.Token{}, upstream.ErrRevoked
	}
	next := upstream.Token{AccessToken: t.AccessToken + "-refreshed", RefreshToken: t.RefreshToken + "-next", TokenType: "bearer"}
	if t.IDToken != "" {
		next.IDToken = t.IDToken + "-refreshed"
	}
	return next, nil
}

// gwFixture is a Gateway in front of a backend, on a memory store.
type gwFixture struct {
	gw       *Gateway
	srv      *httptest.Server
	store    *memory.Store
	keys     *tokens.Keyring
	clock    *testclock.Clock
	provider *gwProvider
	logs     *testlog.Buffer
	// extraHeaders are set on rawPost's requests.
	extraHeaders http.Header
}

func newGWFixture(t testing.TB, backendURL string, opts ...func(*Gateway)) *gwFixture {
	t.Helper()
	clock := newMCPClock()
	store := memory.New(clock.Now)
	t.Cleanup(func() { store.Close() })
	keys, err := tokens.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	provider := &gwProvider{}
	gw := &Gateway{
		ResourceServer: ResourceServer{
			Resource:            mcpTestResource,
			ResourceMetadataURL: mcpTestPRM,
			Scopes:              []string{gwRead},
			Tokens:              store,
			Keys:                keys,
			Logger:              logger,
			Now:                 clock.Now,
		},
		Backend: Backend{Name: "gh", URL: backendURL, Headers: map[string]string{"X-MCP-Toolsets": "default,actions"}},
		Upstream: &UpstreamTokens{Store: store, Providers: map[string]upstream.Provider{"github": provider},
			Now: clock.Now, Logger: logger},
		ReadScope:  gwRead,
		WriteScope: gwWrite,
	}
	for _, o := range opts {
		o(gw)
	}
	mux := http.NewServeMux()
	gw.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &gwFixture{gw: gw, srv: srv, store: store, keys: keys, clock: clock, provider: provider, logs: logs}
}

// signIn stores a grant for userID holding upstreamToken, as the callback
// does, and returns its mcpgate access token.
func (f *gwFixture) signIn(t testing.TB, userID, upstreamToken string, scopes ...string) string {
	t.Helper()
	return f.signInToken(t, userID, upstream.Token{AccessToken: upstreamToken, RefreshToken: upstreamToken + "-rt", TokenType: "bearer"}, scopes...)
}

// signInToken is signIn with the whole upstream token given.
func (f *gwFixture) signInToken(t testing.TB, userID string, upstreamToken upstream.Token, scopes ...string) string {
	t.Helper()
	ctx := context.Background()
	now := f.clock.Now()
	grantID := tokens.NewID()
	dk := tokens.NewDataKey()
	up, _ := json.Marshal(upstreamToken)
	sealed, err := tokens.SealUpstream(dk, grantID, up)
	if err != nil {
		t.Fatal(err)
	}
	_, subject, _ := tokens.SplitUserID(userID)
	if err := f.store.CreateGrant(ctx, tokens.Grant{ID: grantID, ClientID: mcpTestClientID, UserID: userID, Provider: "github",
		Subject: subject, Scopes: scopes, Resource: mcpTestResource, Upstream: sealed, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	access := tokens.Mint(tokens.KindAccess, grantID)
	wrapped, err := f.keys.WrapGrantKey(access, grantID, dk)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.IssueTokens(ctx, grantID, tokens.Issue{
		AccessHash: f.keys.Hash(access),
		Access: tokens.AccessToken{GrantID: grantID, ClientID: mcpTestClientID, UserID: userID, Scopes: scopes,
			Resource: mcpTestResource, WrappedKey: wrapped, ExpiresAt: now.Add(time.Hour)},
		GrantExpiresAt: now.Add(24 * time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	return access
}

// connect opens a go-sdk client session through the gateway.
func (f *gwFixture) connect(t *testing.T, token string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "gw-test-client", Version: "1"}, nil)
	cs, err := client.Connect(mcptest.Bounded(t), &mcp.StreamableClientTransport{
		Endpoint:             f.srv.URL + "/mcp",
		HTTPClient:           &http.Client{Transport: &bearerTransport{token: token, base: http.DefaultTransport}},
		DisableStandaloneSSE: true,
		MaxRetries:           -1,
	}, nil)
	if err != nil {
		t.Fatalf("Connect through the gateway: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func callText(t *testing.T, cs *mcp.ClientSession, tool string) string {
	t.Helper()
	res, err := cs.CallTool(mcptest.Bounded(t), &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}})
	if err != nil {
		t.Fatalf("CallTool %s: %v", tool, err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("CallTool %s = %+v", tool, res)
	}
	return res.Content[0].(*mcp.TextContent).Text
}

func listNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(mcptest.Bounded(t), nil)
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// rawPost sends one JSON-RPC message through the gateway.
func (f *gwFixture) rawPost(t *testing.T, token, sessionID, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(mcptest.Bounded(t), http.MethodPost, f.srv.URL+"/mcp", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	req.Header.Set("Authorization", "Bearer "+token)
	if sessionID != "" {
		req.Header.Set("Mcp-Session-Id", sessionID)
	}
	for name, values := range f.extraHeaders {
		req.Header[name] = values
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /mcp: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const gwCallCreate = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"create_issue","arguments":{}}}`

var gwBackendKinds = []struct {
	name string
	opts gwBackendOptions
}{
	{"stateless SSE", gwBackendOptions{}},
	{"stateless JSON", gwBackendOptions{json: true}},
	{"stateful SSE", gwBackendOptions{stateful: true}},
}

// Two people at once each reach the backend with their own upstream
// token, and the backend never sees an mcpgate token, cookie, Origin or
// any header outside the MCP set and the configured static ones.
func TestGatewayTokenSwap(t *testing.T) {
	for _, kind := range gwBackendKinds {
		t.Run(kind.name, func(t *testing.T) {
			b := newGWBackend(t, kind.opts)
			f := newGWFixture(t, b.srv.URL+"/mcp")
			alice := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
			bob := f.signIn(t, "github:2", "up-bob", gwRead, gwWrite)
			ca, cb := f.connect(t, alice), f.connect(t, bob)
			for range 2 {
				if got := callText(t, ca, "echo_auth"); got != "Bearer up-alice" {
					t.Fatalf("alice's call reached the backend with %q", got)
				}
				if got := callText(t, cb, "echo_auth"); got != "Bearer up-bob" {
					t.Fatalf("bob's call reached the backend with %q", got)
				}
			}
			allowed := []string{"Accept", "Content-Type", "Content-Length", "Mcp-Protocol-Version", "Mcp-Session-Id",
				"Last-Event-Id", "Mcp-Method", "Mcp-Name", "Authorization", "X-Mcp-Toolsets", "User-Agent", "Accept-Encoding"}
			for _, h := range b.seen() {
				auth := h.Get("Authorization")
				if auth != "Bearer up-alice" && auth != "Bearer up-bob" {
					t.Errorf("backend saw Authorization %q", auth)
				}
				if h.Get("X-Mcp-Toolsets") != "default,actions" {
					t.Errorf("static header missing: %v", h)
				}
				if h.Get("X-Mcp-Readonly") != "" {
					t.Errorf("a write grant sent X-MCP-Readonly")
				}
				for name, values := range h {
					if !slices.Contains(allowed, name) {
						t.Errorf("backend saw header %s", name)
					}
					for _, v := range values {
						if strings.Contains(v, alice) || strings.Contains(v, bob) || strings.Contains(v, "mcp_") {
							t.Errorf("backend saw an mcpgate token in %s", name)
						}
					}
				}
			}
			if strings.Contains(f.logs.String(), "up-alice") || strings.Contains(f.logs.String(), alice) {
				t.Error("the gateway logged a token")
			}
		})
	}
}

// A client header outside the MCP set (cookies, Origin-like, custom)
// never reaches the backend.
func TestGatewayDropsClientHeaders(t *testing.T) {
	b := newGWBackend(t, gwBackendOptions{json: true})
	f := newGWFixture(t, b.srv.URL+"/mcp")
	tok := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
	req, _ := http.NewRequestWithContext(mcptest.Bounded(t), http.MethodPost, f.srv.URL+"/mcp", strings.NewReader(mcpInitializeBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Cookie", "mcpgate_session=secret")
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	req.Header.Set("Mcp-Method", "initialize")
	req.Header.Set("Mcp-Param-Owner", "mona")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	seen := b.seen()
	if len(seen) != 1 {
		t.Fatalf("backend saw %d requests", len(seen))
	}
	if seen[0].Get("Cookie") != "" || seen[0].Get("X-Forwarded-For") != "" || seen[0].Get("Mcp-Method") != "initialize" ||
		seen[0].Get("Mcp-Param-Owner") != "mona" {
		t.Fatalf("backend headers: %v", seen[0])
	}
}

func TestGatewayReadOnlyGrant(t *testing.T) {
	for _, kind := range gwBackendKinds {
		t.Run(kind.name, func(t *testing.T) {
			b := newGWBackend(t, kind.opts)
			f := newGWFixture(t, b.srv.URL+"/mcp")
			reader := f.signIn(t, "github:1", "up-reader", gwRead)
			writer := f.signIn(t, "github:2", "up-writer", gwRead, gwWrite)

			cr := f.connect(t, reader)
			if got := listNames(t, cr); !slices.Equal(got, []string{"echo_auth", "secret_read"}) {
				t.Fatalf("read-only grant lists %v", got)
			}
			if got := callText(t, cr, "echo_auth"); got != "Bearer up-reader" {
				t.Fatalf("read-only call got %q", got)
			}
			cw := f.connect(t, writer)
			if got := listNames(t, cw); !slices.Equal(got, []string{"create_issue", "echo_auth", "secret_read"}) {
				t.Fatalf("write grant lists %v", got)
			}
			if got := callText(t, cw, "create_issue"); got != "created" {
				t.Fatalf("write call got %q", got)
			}

			// The reader's write call: 403 insufficient_scope naming both
			// scopes, the challenge of the built-in tools.
			resp := f.rawPost(t, reader, cr.ID(), gwCallCreate)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("write call by a read-only grant: status %d", resp.StatusCode)
			}
			challenge := resp.Header.Get("WWW-Authenticate")
			for _, want := range []string{`error="insufficient_scope"`, `scope="mcp:read mcp:write"`, `resource_metadata="` + mcpTestPRM + `"`} {
				if !strings.Contains(challenge, want) {
					t.Fatalf("challenge %q lacks %s", challenge, want)
				}
			}
			for _, h := range b.seen() {
				ro := h.Get("X-Mcp-Readonly")
				switch h.Get("Authorization") {
				case "Bearer up-reader":
					if ro != "true" {
						t.Errorf("read-only grant's request without X-MCP-Readonly: true")
					}
				default:
					if ro != "" {
						t.Errorf("write grant's request with X-MCP-Readonly %q", ro)
					}
				}
			}
		})
	}
}

// A backend may decode JSON-RPC members in any letter case (encoding/json
// does), so a read-only grant's write call spelt with "Method" or
// "PARAMS" is checked like any other, never forwarded unchecked.
func TestGatewayChecksCallsSpeltInAnyCase(t *testing.T) {
	bodies := map[string]string{
		"Method":        `{"jsonrpc":"2.0","id":7,"Method":"tools/call","params":{"name":"create_issue","arguments":{}}}`,
		"PARAMS":        `{"jsonrpc":"2.0","id":7,"method":"tools/call","PARAMS":{"name":"create_issue","arguments":{}}}`,
		"Name":          `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"Name":"create_issue","arguments":{}}}`,
		"second params": `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo_auth"},"Params":{"name":"create_issue"}}`,
		"in a batch":    `[{"jsonrpc":"2.0","id":6,"method":"ping"},{"jsonrpc":"2.0","id":7,"mEthod":"tools/call","params":{"name":"create_issue"}}]`,
	}
	b := newGWBackend(t, gwBackendOptions{json: true})
	f := newGWFixture(t, b.srv.URL+"/mcp")
	reader := f.signIn(t, "github:1", "up-reader", gwRead)
	// A read-only call first, so that the gateway has the backend's tool
	// annotations and sends nothing of its own below.
	if resp := f.rawPost(t, reader, "", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo_auth","arguments":{}}}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("read-only call: status %d", resp.StatusCode)
	}
	// The same read-only call, with headers that name a write tool.
	bodies["Mcp-Name header"] = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo_auth","arguments":{}}}`
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			before := len(b.seen())
			if name == "Mcp-Name header" {
				f.extraHeaders = http.Header{"Mcp-Method": {"tools/call"}, "Mcp-Name": {"create_issue"}}
				defer func() { f.extraHeaders = nil }()
			}
			resp := f.rawPost(t, reader, "", body)
			if resp.StatusCode != http.StatusForbidden {
				raw, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d (%s), want 403 insufficient_scope", resp.StatusCode, raw)
			}
			if len(b.seen()) != before {
				t.Fatal("the call reached the backend")
			}
		})
	}
}

func TestGatewayAllowDeny(t *testing.T) {
	tests := []struct {
		name        string
		allow, deny []string
		wantList    []string
		refused     string
	}{
		{"deny", nil, []string{"secret_read"}, []string{"create_issue", "echo_auth"}, "secret_read"},
		{"allow", []string{"echo_auth"}, nil, []string{"echo_auth"}, "create_issue"},
		{"deny wins", []string{"echo_auth", "secret_read"}, []string{"secret_read"}, []string{"echo_auth"}, "secret_read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newGWBackend(t, gwBackendOptions{})
			f := newGWFixture(t, b.srv.URL+"/mcp", func(g *Gateway) { g.Backend.Allow, g.Backend.Deny = tt.allow, tt.deny })
			tok := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
			cs := f.connect(t, tok)
			if got := listNames(t, cs); !slices.Equal(got, tt.wantList) {
				t.Fatalf("tools/list = %v, want %v", got, tt.wantList)
			}
			before := len(b.seen())
			_, err := cs.CallTool(mcptest.Bounded(t), &mcp.CallToolParams{Name: tt.refused, Arguments: map[string]any{}})
			if err == nil || !strings.Contains(err.Error(), "unknown tool "+tt.refused) {
				t.Fatalf("call of %s: %v, want unknown tool", tt.refused, err)
			}
			if len(b.seen()) != before {
				t.Fatal("a refused call reached the backend")
			}
		})
	}
}

// The session ID a client sees is sealed to its person: the backend's own
// ID is never shown, and another person's copy is refused with 404.
func TestGatewaySessionBinding(t *testing.T) {
	b := newGWBackend(t, gwBackendOptions{stateful: true})
	f := newGWFixture(t, b.srv.URL+"/mcp")
	alice := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
	bob := f.signIn(t, "github:2", "up-bob", gwRead, gwWrite)
	ca := f.connect(t, alice)
	if ca.ID() == "" || b.issuedSession(ca.ID()) {
		t.Fatalf("client sees session ID %q, want a sealed one distinct from the backend's", ca.ID())
	}
	if got := callText(t, ca, "echo_auth"); got != "Bearer up-alice" {
		t.Fatalf("got %q", got)
	}
	const listBody = `{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}}`
	tests := []struct {
		name, token, session string
		want                 int
	}{
		{"owner", alice, ca.ID(), http.StatusOK},
		{"another person", bob, ca.ID(), http.StatusNotFound},
		{"forged", alice, "not-a-sealed-id", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(b.seen())
			resp := f.rawPost(t, tt.token, tt.session, listBody)
			if resp.StatusCode != tt.want {
				body, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tt.want)
			}
			if tt.want == http.StatusNotFound && len(b.seen()) != before {
				t.Fatal("a refused session ID reached the backend")
			}
		})
	}
}

func TestGatewayUpstreamRefused(t *testing.T) {
	t.Run("refresh and retry", func(t *testing.T) {
		b := newGWBackend(t, gwBackendOptions{})
		f := newGWFixture(t, b.srv.URL+"/mcp")
		tok := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
		b.refuse("up-alice")
		cs := f.connect(t, tok)
		if got := callText(t, cs, "echo_auth"); got != "Bearer up-alice-refreshed" {
			t.Fatalf("after refresh the backend saw %q", got)
		}
		if f.provider.calls != 1 {
			t.Fatalf("provider refreshed %d times, want 1", f.provider.calls)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		b := newGWBackend(t, gwBackendOptions{})
		f := newGWFixture(t, b.srv.URL+"/mcp")
		tok := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
		b.refuse("up-alice")
		f.provider.dead = true
		resp := f.rawPost(t, tok, "", mcpInitializeBody)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
		challenge := resp.Header.Get("WWW-Authenticate")
		if !strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, mcpTestPRM) ||
			strings.Contains(challenge, "backend.example") {
			t.Fatalf("challenge %q, want mcpgate's invalid_token", challenge)
		}
		// The grant is gone: the next request is refused before the backend.
		before := len(b.seen())
		if resp := f.rawPost(t, tok, "", mcpInitializeBody); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after revocation: status %d", resp.StatusCode)
		}
		if len(b.seen()) != before {
			t.Fatal("a revoked grant's request reached the backend")
		}
	})
}

// A read-only grant's tool call makes the gateway list the backend's tools
// as the caller (to read their annotations). That list is the first
// request the backend sees, so it meets a refused upstream token first:
// the broker replaces the token and the list is retried; a sign-in that
// has ended answers 401 invalid_token (the client signs in again), not 502.
func TestGatewayToolListFetchUpstreamRefused(t *testing.T) {
	const callEcho = `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo_auth","arguments":{}}}`
	tests := []struct {
		name       string
		dead       bool
		wantStatus int
		wantBody   string
	}{
		{"refresh and retry", false, http.StatusOK, "Bearer up-alice-refreshed"},
		{"sign-in ended", true, http.StatusUnauthorized, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newGWBackend(t, gwBackendOptions{json: true})
			f := newGWFixture(t, b.srv.URL+"/mcp")
			tok := f.signIn(t, "github:1", "up-alice", gwRead)
			b.refuse("up-alice")
			f.provider.dead = tt.dead
			resp := f.rawPost(t, tok, "", callEcho)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("body %s lacks %q", body, tt.wantBody)
			}
			if f.provider.calls != 1 {
				t.Fatalf("provider refreshed %d times, want 1", f.provider.calls)
			}
			if tt.wantStatus != http.StatusUnauthorized {
				return
			}
			challenge := resp.Header.Get("WWW-Authenticate")
			if !strings.Contains(challenge, `error="invalid_token"`) || !strings.Contains(challenge, mcpTestPRM) {
				t.Fatalf("challenge %q, want mcpgate's invalid_token", challenge)
			}
		})
	}
}

func TestGatewayBackendDown(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL + "/mcp"
	dead.Close()
	f := newGWFixture(t, url)
	tok := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
	resp := f.rawPost(t, tok, "", mcpInitializeBody)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	var body struct {
		JSONRPC string `json:"jsonrpc"`
		Error   struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.JSONRPC != "2.0" || body.Error.Code != rpcInternalError || !strings.Contains(body.Error.Message, "backend gh is unreachable") {
		t.Fatalf("body %+v", body)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "backend=gh") || strings.Contains(logs, "up-alice") || strings.Contains(logs, tok) {
		t.Fatalf("logs should name the backend and no token:\n%s", logs)
	}
}

// A backend that sends no response headers in time gets 504; a stream
// whose headers came in time is not cut by the same timeout.
func TestGatewayBackendTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	f := newGWFixture(t, slow.URL, func(g *Gateway) { g.Transport = NewBackendTransport(50 * time.Millisecond) })
	tok := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
	resp := f.rawPost(t, tok, "", mcpInitializeBody)
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", resp.StatusCode)
	}
}

// SSE events arrive at the client one by one, while the backend's stream
// is still open, and the client going away cancels the backend request.
func TestGatewayStreamsEvents(t *testing.T) {
	next := make(chan string)
	cancelled := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		for {
			select {
			case ev := <-next:
				fmt.Fprintf(w, "id: %s\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"n\":%q}}\n\n", ev, ev)
				http.NewResponseController(w).Flush()
			case <-r.Context().Done():
				close(cancelled)
				return
			}
		}
	}))
	t.Cleanup(backend.Close)
	f := newGWFixture(t, backend.URL)
	tok := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
	ctx, cancel := context.WithCancel(mcptest.Bounded(t))
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				lines <- string(buf[:n])
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	deadline := mcptest.Bounded(t)
	for _, ev := range []string{"1", "2"} {
		next <- ev
		var got string
		for !strings.Contains(got, "\n\n") {
			select {
			case chunk := <-lines:
				got += chunk
			case <-deadline.Done():
				t.Fatalf("event %s did not arrive while the stream was open (got %q)", ev, got)
			}
		}
		if !strings.Contains(got, "id: "+ev+"\n") {
			t.Fatalf("event %s arrived as %q", ev, got)
		}
	}
	cancel()
	select {
	case <-cancelled:
	case <-deadline.Done():
		t.Fatal("the client went away but the backend request was not cancelled")
	}
}
