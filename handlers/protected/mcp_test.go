package protected

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/internal/testlog"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	"github.com/mcpgate/mcpgate/upstream"
)

const (
	mcpTestIssuer   = "https://mcp.example.com"
	mcpTestResource = mcpTestIssuer + "/mcp"
	mcpTestPRM      = mcpTestIssuer + "/.well-known/oauth-protected-resource/mcp"
	mcpTestClientID = "client-1"
)

var mcpTestScopes = []string{"repo", "read:user"}

// newMCPClock is a settable clock at the wall clock's present, because
// the go-sdk's bearer middleware compares TokenInfo.Expiration with
// time.Now; every assertion is relative to it.
func newMCPClock() *testclock.Clock { return testclock.New(time.Now().Truncate(time.Second)) }

// seenCallers records the callers the test tool saw.
type seenCallers struct {
	mu      sync.Mutex
	callers []tokens.Caller
}

func (s *seenCallers) add(c tokens.Caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callers = append(s.callers, c)
}

func (s *seenCallers) all() []tokens.Caller {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callers)
}

// whoamiOut is what the test tool answers.
type whoamiOut struct {
	UserID  string `json:"user_id"`
	GrantID string `json:"grant_id"`
}

// mcpFixture is an MCP handler over a memory store, mounted on a mux.
type mcpFixture struct {
	h     *MCP
	mux   *http.ServeMux
	store *memory.Store
	keys  *tokens.Keyring
	clock *testclock.Clock
	seen  *seenCallers
	logs  *testlog.Buffer
}

type mcpFixtureOption func(*MCP)

func newMCPFixture(t testing.TB, opts ...mcpFixtureOption) *mcpFixture {
	t.Helper()
	clock := newMCPClock()
	store := memory.New(clock.Now)
	t.Cleanup(func() { store.Close() })
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i*7 + 3)
	}
	keys, err := tokens.NewKeyring(secret)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	seen := &seenCallers{}
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-test", Version: "0.0.1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "whoami", Description: "Returns the caller's user and grant IDs."},
		func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, whoamiOut, error) {
			c, ok := CallerFromRequest(req)
			if !ok {
				return nil, whoamiOut{}, errors.New("no verified caller")
			}
			seen.add(*c)
			return nil, whoamiOut{UserID: c.UserID, GrantID: c.GrantID}, nil
		})
	logs := &testlog.Buffer{}
	h := &MCP{ResourceServer: ResourceServer{
		Resource:            mcpTestResource,
		ResourceMetadataURL: mcpTestPRM,
		Scopes:              mcpTestScopes,
		Tokens:              store,
		Keys:                keys,
		Server:              srv,
		AllowedOrigins:      []string{"http://localhost:6274"},
		Logger:              slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:                 clock.Now,
	}}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	h.Mount(mux)
	return &mcpFixture{h: h, mux: mux, store: store, keys: keys, clock: clock, seen: seen, logs: logs}
}

// mcpGrant is a grant with its first token pair.
type mcpGrant struct {
	grantID, userID, access, refresh, code string
	key                                    tokens.DataKey
}

// mcpIssueOptions: access may hold "{grant}" where the grant ID goes.
type mcpIssueOptions struct {
	resource  string
	accessTTL time.Duration
	userID    string
	// idle makes the access token sliding (AccessToken.IdleTimeout).
	idle time.Duration
	// access is the access token string; a random one when empty.
	access string
}

// issue creates a grant and its first token pair exactly as the callback and
// the token endpoint do: a fresh data key seals the upstream token
// (tokens.SealUpstream) and is wrapped under each token
// (Keyring.WrapGrantKey); the store keeps keyed hashes only.
func (f *mcpFixture) issue(t testing.TB, o mcpIssueOptions) mcpGrant {
	t.Helper()
	if o.resource == "" {
		o.resource = mcpTestResource
	}
	if o.accessTTL == 0 {
		o.accessTTL = time.Hour
	}
	if o.userID == "" {
		o.userID = "github:1001"
	}
	ctx := context.Background()
	now := f.clock.Now()
	grantID := tokens.NewID()
	dk := tokens.NewDataKey()
	up, err := json.Marshal(upstream.Token{AccessToken: "gho_upstreamsecret", TokenType: "bearer"})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := tokens.SealUpstream(dk, grantID, up)
	if err != nil {
		t.Fatal(err)
	}
	_, subject, _ := tokens.SplitUserID(o.userID)
	if err := f.store.CreateGrant(ctx, tokens.Grant{
		ID: grantID, ClientID: mcpTestClientID, UserID: o.userID, Provider: "github", Subject: subject,
		Scopes: mcpTestScopes, Resource: o.resource, Upstream: sealed, CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour),
	}); err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
	access := tokens.Mint(tokens.KindAccess, grantID)
	if o.access != "" {
		access = strings.Replace(o.access, "{grant}", grantID, 1)
	}
	refresh := tokens.Mint(tokens.KindRefresh, grantID)
	wrap := func(tok string) []byte {
		t.Helper()
		w, err := f.keys.WrapGrantKey(tok, grantID, dk)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	if err := f.store.IssueTokens(ctx, grantID, tokens.Issue{
		AccessHash: f.keys.Hash(access),
		Access: tokens.AccessToken{GrantID: grantID, ClientID: mcpTestClientID, UserID: o.userID, Scopes: mcpTestScopes,
			Resource: o.resource, WrappedKey: wrap(access), ExpiresAt: now.Add(o.accessTTL), IdleTimeout: o.idle},
		RefreshHash: f.keys.Hash(refresh),
		Refresh: tokens.RefreshToken{GrantID: grantID, ClientID: mcpTestClientID, Scopes: mcpTestScopes,
			Resource: o.resource, WrappedKey: wrap(refresh), ExpiresAt: now.Add(30 * 24 * time.Hour)},
		GrantExpiresAt: now.Add(30 * 24 * time.Hour),
	}); err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	return mcpGrant{grantID: grantID, userID: o.userID, access: access, refresh: refresh,
		code: tokens.Mint(tokens.KindCode, grantID), key: dk}
}

// serve runs one request through the mux.
func (f *mcpFixture) serve(r *http.Request) *http.Response {
	return mcptest.ServeBounded(f.mux, r).Result()
}

const mcpInitializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`

func newMCPRequest(method, target, bearer string) *http.Request {
	var body *strings.Reader
	if method == http.MethodPost {
		body = strings.NewReader(mcpInitializeBody)
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, target, body)
	r.Header.Set("Accept", "application/json, text/event-stream")
	if method == http.MethodPost {
		r.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	return r
}

// checkChallenge asserts one Bearer challenge with an absolute
// resource_metadata, the default scopes, and the expected error code ("" for
// none).
func checkChallenge(t *testing.T, resp *http.Response, wantError string) {
	t.Helper()
	values := resp.Header.Values("WWW-Authenticate")
	if len(values) != 1 {
		t.Fatalf("WWW-Authenticate headers = %q, want exactly one", values)
	}
	if !strings.HasPrefix(values[0], "Bearer ") {
		t.Errorf("challenge %q does not start with %q", values[0], "Bearer ")
	}
	challenges, err := oauthex.ParseWWWAuthenticate(values)
	if err != nil {
		t.Fatalf("ParseWWWAuthenticate(%q): %v", values[0], err)
	}
	if len(challenges) != 1 || !strings.EqualFold(challenges[0].Scheme, "bearer") {
		t.Fatalf("challenges = %+v, want one Bearer challenge", challenges)
	}
	p := challenges[0].Params
	if u, err := url.Parse(p["resource_metadata"]); err != nil || !u.IsAbs() || p["resource_metadata"] != mcpTestPRM {
		t.Errorf("resource_metadata = %q, want absolute %q", p["resource_metadata"], mcpTestPRM)
	}
	if got, want := p["scope"], strings.Join(mcpTestScopes, " "); got != want {
		t.Errorf("scope = %q, want %q", got, want)
	}
	if got := p["error"]; got != wantError {
		t.Errorf("error = %q, want %q", got, wantError)
	}
	if wantError != "" && p["error_description"] == "" {
		t.Errorf("error_description missing in %q", values[0])
	}
	if wantError == "" {
		if _, ok := p["error_description"]; ok {
			t.Errorf("error_description present without error in %q", values[0])
		}
	}
}

// decodeErrorBody reads a JSON error body.
func decodeErrorBody(t *testing.T, resp *http.Response) wire.ErrorBody {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var b wire.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("decoding error body: %v", err)
	}
	return b
}

func TestMCPWithoutTokenGetsChallenge(t *testing.T) {
	f := newMCPFixture(t)
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			resp := f.serve(newMCPRequest(method, "/mcp", ""))
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", resp.StatusCode)
			}
			checkChallenge(t, resp, "")
			if b := decodeErrorBody(t, resp); b.Error != "unauthorized" || b.ErrorDescription == "" {
				t.Errorf("body = %+v, want error unauthorized with a description", b)
			}
		})
	}
}

func TestMCPUnauthorizedCarriesCORS(t *testing.T) {
	f := newMCPFixture(t)
	r := newMCPRequest(http.MethodPost, "/mcp", "")
	r.Header.Set("Origin", "http://localhost:6274")
	resp := f.serve(r)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", resp.StatusCode)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
	}
	expose := resp.Header.Get("Access-Control-Expose-Headers")
	for _, want := range []string{"WWW-Authenticate", "Mcp-Session-Id"} {
		if !strings.Contains(expose, want) {
			t.Errorf("Access-Control-Expose-Headers = %q, missing %s", expose, want)
		}
	}
	if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("Access-Control-Allow-Credentials must not be sent")
	}
}

func TestMCPPreflightNeedsNoToken(t *testing.T) {
	f := newMCPFixture(t)
	r := httptest.NewRequest(http.MethodOptions, "/mcp", nil)
	r.Header.Set("Origin", "http://localhost:6274")
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-protocol-version")
	resp := f.serve(r)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status = %d, want 204", resp.StatusCode)
	}
	if resp.Header.Get("WWW-Authenticate") != "" {
		t.Error("preflight answered with a challenge")
	}
	allow := resp.Header.Get("Access-Control-Allow-Headers")
	for _, want := range []string{"Authorization", "Content-Type", "Mcp-Session-Id", "MCP-Protocol-Version"} {
		if !strings.Contains(allow, want) {
			t.Errorf("Access-Control-Allow-Headers = %q, missing %s", allow, want)
		}
	}
	if got := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") || !strings.Contains(got, "DELETE") {
		t.Errorf("Access-Control-Allow-Methods = %q", got)
	}
}

func TestMCPRefusesTokens(t *testing.T) {
	f := newMCPFixture(t)
	valid := f.issue(t, mcpIssueOptions{})
	otherResource := f.issue(t, mcpIssueOptions{resource: "https://other.example.com/mcp"})
	revoked := f.issue(t, mcpIssueOptions{})
	if err := f.store.RevokeGrant(context.Background(), revoked.grantID); err != nil {
		t.Fatalf("RevokeGrant: %v", err)
	}

	tests := []struct {
		name      string
		target    string
		header    []string // Authorization header values
		wantError string
	}{
		{"token in query string with a valid header", "/mcp?access_token=" + valid.access, []string{"Bearer " + valid.access}, "invalid_request"},
		{"token in query string only", "/mcp?access_token=" + valid.access, nil, "invalid_request"},
		{"GitHub token", "/mcp", []string{"Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a"}, "invalid_token"},
		{"refresh token as bearer", "/mcp", []string{"Bearer " + valid.refresh}, "invalid_token"},
		{"authorization code as bearer", "/mcp", []string{"Bearer " + valid.code}, "invalid_token"},
		{"unknown access token", "/mcp", []string{"Bearer " + tokens.Mint(tokens.KindAccess, valid.grantID)}, "invalid_token"},
		{"token bound to another resource", "/mcp", []string{"Bearer " + otherResource.access}, "invalid_token"},
		{"revoked grant", "/mcp", []string{"Bearer " + revoked.access}, "invalid_token"},
		{"bearer without token", "/mcp", []string{"Bearer"}, "invalid_request"},
		{"bearer with two tokens", "/mcp", []string{"Bearer " + valid.access + " extra"}, "invalid_request"},
		{"two Authorization headers", "/mcp", []string{"Bearer " + valid.access, "Bearer " + valid.access}, "invalid_request"},
		{"other scheme", "/mcp", []string{"Basic Y2xpZW50OnNlY3JldA=="}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newMCPRequest(http.MethodPost, tt.target, "")
			for _, v := range tt.header {
				r.Header.Add("Authorization", v)
			}
			resp := f.serve(r)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", resp.StatusCode)
			}
			checkChallenge(t, resp, tt.wantError)
			if tt.wantError != "" {
				if b := decodeErrorBody(t, resp); b.Error != tt.wantError {
					t.Errorf("body error = %q, want %q", b.Error, tt.wantError)
				}
			}
		})
	}
	if len(f.seen.all()) != 0 {
		t.Errorf("the tool ran for a refused request")
	}
}

func TestMCPRefusesExpiredToken(t *testing.T) {
	t.Run("store has dropped it", func(t *testing.T) {
		f := newMCPFixture(t)
		tok := f.issue(t, mcpIssueOptions{accessTTL: time.Minute})
		f.clock.Advance(time.Minute)
		resp := f.serve(newMCPRequest(http.MethodPost, "/mcp", tok.access))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401", resp.StatusCode)
		}
		checkChallenge(t, resp, "invalid_token")
	})
	t.Run("store still returns it", func(t *testing.T) {
		// A store whose own expiry lags (Redis TTL granularity, clock skew
		// between replicas) must not make an expired token valid.
		handlerClock := newMCPClock()
		f := newMCPFixture(t, func(h *MCP) { h.Now = handlerClock.Now })
		handlerClock.Set(f.clock.Now())
		tok := f.issue(t, mcpIssueOptions{accessTTL: time.Minute})
		handlerClock.Advance(time.Minute)
		resp := f.serve(newMCPRequest(http.MethodPost, "/mcp", tok.access))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401", resp.StatusCode)
		}
		checkChallenge(t, resp, "invalid_token")
		if b := decodeErrorBody(t, resp); b.ErrorDescription != "token expired" {
			t.Errorf("error_description = %q, want %q", b.ErrorDescription, "token expired")
		}
	})
}

func TestMCPRefusesTokenWithForeignWrappedKey(t *testing.T) {
	// A record whose data key was wrapped under a different token (a
	// tampered or swapped record) does not authenticate.
	f := newMCPFixture(t)
	a := f.issue(t, mcpIssueOptions{})
	forged := tokens.Mint(tokens.KindAccess, a.grantID)
	now := f.clock.Now()
	if err := f.store.IssueTokens(context.Background(), a.grantID, tokens.Issue{
		AccessHash: f.keys.Hash(forged),
		Access: tokens.AccessToken{GrantID: a.grantID, ClientID: mcpTestClientID, UserID: a.userID, Scopes: mcpTestScopes,
			Resource: mcpTestResource, WrappedKey: mcpWrapKey(t, f.keys, a.access, a.grantID, a.key), ExpiresAt: now.Add(time.Hour)},
		RefreshHash:    f.keys.Hash(tokens.Mint(tokens.KindRefresh, a.grantID)),
		Refresh:        tokens.RefreshToken{GrantID: a.grantID, ClientID: mcpTestClientID, ExpiresAt: now.Add(time.Hour)},
		GrantExpiresAt: now.Add(24 * time.Hour),
	}); err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	resp := f.serve(newMCPRequest(http.MethodPost, "/mcp", forged))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", resp.StatusCode)
	}
	checkChallenge(t, resp, "invalid_token")
}

func mcpWrapKey(t *testing.T, keys *tokens.Keyring, token, grantID string, dk tokens.DataKey) []byte {
	t.Helper()
	w, err := keys.WrapGrantKey(token, grantID, dk)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestMCPOrigin(t *testing.T) {
	f := newMCPFixture(t)
	tok := f.issue(t, mcpIssueOptions{})
	tests := []struct {
		name       string
		origin     string
		bearer     string
		wantStatus int
	}{
		{"disallowed origin with a valid token", "https://evil.example", tok.access, http.StatusForbidden},
		{"disallowed origin without a token", "https://evil.example", "", http.StatusForbidden},
		{"null origin", "null", tok.access, http.StatusForbidden},
		// Origins that extend an allowed one: a prefix or suffix match
		// would let each of these through.
		{"allowed origin extended by a domain", "http://localhost:6274.evil.example", tok.access, http.StatusForbidden},
		{"allowed origin extended by a port digit", "http://localhost:62745", tok.access, http.StatusForbidden},
		{"allowed origin with a path", "http://localhost:6274/evil", tok.access, http.StatusForbidden},
		{"allowed origin as user info", "http://localhost:6274@evil.example", tok.access, http.StatusForbidden},
		{"allowed host on another port", "http://localhost:6275", tok.access, http.StatusForbidden},
		{"allowed host without its port", "http://localhost", tok.access, http.StatusForbidden},
		{"allowed origin over https", "https://localhost:6274", tok.access, http.StatusForbidden},
		{"allowed origin as a subdomain", "http://evil.localhost:6274", tok.access, http.StatusForbidden},
		{"allowed origin with a trailing dot", "http://localhost.:6274", tok.access, http.StatusForbidden},
		{"allowed origin", "http://localhost:6274", tok.access, http.StatusOK},
		{"allowed origin, other case", "HTTP://LOCALHOST:6274", tok.access, http.StatusOK},
		{"no origin", "", tok.access, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newMCPRequest(http.MethodPost, "/mcp", tt.bearer)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			resp := f.serve(r)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusForbidden {
				if b := decodeErrorBody(t, resp); b.Error != "forbidden" {
					t.Errorf("body error = %q, want forbidden", b.Error)
				}
				if resp.Header.Get("WWW-Authenticate") != "" {
					t.Error("403 for an origin carries a bearer challenge")
				}
			}
		})
	}
}

// TestOriginAllowedIsExact pins the Origin comparison itself: an allowed
// origin matches only as a whole (case aside), never as a prefix, suffix or
// part of a longer origin. These are the tricks a browser page can play
// with the Origin it is served from (its own domain under an allowed name,
// user info, another port).
func TestOriginAllowedIsExact(t *testing.T) {
	h := &ResourceServer{AllowedOrigins: []string{"http://localhost:6274", "https://claude.ai", "https://mcp.example.com:8443/"}}
	tests := []struct {
		origin string
		want   bool
	}{
		{"http://localhost:6274", true},
		{"HTTP://LocalHost:6274", true},
		{"https://claude.ai", true},
		{"https://mcp.example.com:8443", true},

		{"http://localhost:6274.evil.example", false},
		{"https://claude.ai.evil.example", false},
		{"https://claude.aievil.example", false},
		{"https://evil.claude.ai", false},
		{"https://claude.ai@evil.example", false},
		{"https://user@claude.ai", false},
		{"https://claude.ai:443", false},
		{"https://claude.ai:8443", false},
		{"https://claude.ai/", false},
		{"https://claude.ai/path", false},
		{"http://claude.ai", false},
		{"https://claude.a", false},
		{"http://localhost:62740", false},
		{"http://localhost:627", false},
		{"http://localhost", false},
		{"https://mcp.example.com", false},
		{"https://mcp.example.com:84430", false},
		{"https://mcp.example.com:8443/", false},
		{"null", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := h.originAllowed(tt.origin); got != tt.want {
			t.Errorf("originAllowed(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
}

// failingTokens is a token store whose lookups fail like an unreachable
// Redis.
type failingTokens struct {
	tokens.TokenStore
	calls int
}

func (s *failingTokens) UseAccess(context.Context, string, string) (tokens.AccessUse, error) {
	s.calls++
	return tokens.AccessUse{}, errStoreDown
}

func (s *failingTokens) GetAccessGrant(context.Context, string, string) (tokens.AccessToken, tokens.Grant, error) {
	s.calls++
	return tokens.AccessToken{}, tokens.Grant{}, errStoreDown
}

var errStoreDown = errors.New("dial tcp 10.0.0.7:6379: connectMCPClient: connection refused")

func TestMCPStoreFailureIs503(t *testing.T) {
	failing := &failingTokens{}
	f := newMCPFixture(t, func(h *MCP) { h.Tokens = failing })
	failing.TokenStore = f.store
	tok := f.issue(t, mcpIssueOptions{})
	resp := f.serve(newMCPRequest(http.MethodPost, "/mcp", tok.access))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", resp.StatusCode)
	}
	if got := resp.Header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q, want 5", got)
	}
	if resp.Header.Get("WWW-Authenticate") != "" {
		t.Error("503 carries a bearer challenge")
	}
	b := decodeErrorBody(t, resp)
	if b.Error != "temporarily_unavailable" {
		t.Errorf("body error = %q, want temporarily_unavailable", b.Error)
	}
	if strings.Contains(b.ErrorDescription, "10.0.0.7") {
		t.Errorf("error_description leaks internal details: %q", b.ErrorDescription)
	}
	if failing.calls != 1 {
		t.Errorf("the token store was asked %d times, want once", failing.calls)
	}
}

// bearerTransport adds an Authorization header to every request.
type bearerTransport struct {
	token string
	base  http.RoundTripper
}

func (b *bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// connectMCPClient opens a go-sdk client session to srv with token.
func connectMCPClient(t *testing.T, srv *httptest.Server, token string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-test-client", Version: "0.0.1"}, nil)
	cs, err := client.Connect(mcptest.Bounded(t), &mcp.StreamableClientTransport{
		Endpoint:             srv.URL + "/mcp",
		HTTPClient:           &http.Client{Transport: &bearerTransport{token: token, base: srv.Client().Transport}},
		DisableStandaloneSSE: true,
	}, nil)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func callWhoami(t *testing.T, cs *mcp.ClientSession) whoamiOut {
	t.Helper()
	res, err := cs.CallTool(mcptest.Bounded(t), &mcp.CallToolParams{Name: "whoami", Arguments: map[string]any{}})
	if err != nil {
		t.Fatalf("CallTool: %v", err)
	}
	if res.IsError {
		t.Fatalf("tool error: %+v", res.Content)
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var out whoamiOut
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return out
}

func TestMCPValidTokenThroughGoClient(t *testing.T) {
	f := newMCPFixture(t)
	alice := f.issue(t, mcpIssueOptions{userID: "github:1001"})
	bob := f.issue(t, mcpIssueOptions{userID: "github:1002"})
	srv := httptest.NewServer(f.mux)
	t.Cleanup(srv.Close)

	csAlice := connectMCPClient(t, srv, alice.access)
	tools, err := csAlice.ListTools(mcptest.Bounded(t), nil)
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "whoami" {
		t.Fatalf("tools = %+v, want [whoami]", tools.Tools)
	}
	csBob := connectMCPClient(t, srv, bob.access)

	// Interleaved calls: each request is authenticated on its own.
	for _, step := range []struct {
		cs   *mcp.ClientSession
		want mcpGrant
	}{{csAlice, alice}, {csBob, bob}, {csAlice, alice}} {
		got := callWhoami(t, step.cs)
		if got.UserID != step.want.userID || got.GrantID != step.want.grantID {
			t.Errorf("whoami = %+v, want user %s grant %s", got, step.want.userID, step.want.grantID)
		}
	}

	seen := f.seen.all()
	if len(seen) != 3 {
		t.Fatalf("tool saw %d callers, want 3", len(seen))
	}
	c := seen[0]
	if c.GrantID != alice.grantID || c.ClientID != mcpTestClientID || c.UserID != alice.userID || !slices.Equal(c.Scopes, mcpTestScopes) {
		t.Errorf("caller = %+v", c)
	}
	if c.Key != alice.key {
		t.Error("caller's data key is not the grant's data key")
	}
	if seen[1].Key != bob.key {
		t.Error("second caller's data key is not bob's")
	}
}

func TestMCPLegacyInitializeIsStateless(t *testing.T) {
	// mcp-remote, Inspector and the TypeScript SDK initialize at an older
	// protocol version and then send requests on their own.
	f := newMCPFixture(t)
	tok := f.issue(t, mcpIssueOptions{})
	srv := httptest.NewServer(f.mux)
	t.Cleanup(srv.Close)

	post := func(body string, wantStatus int) *http.Response {
		t.Helper()
		r, err := http.NewRequestWithContext(mcptest.Bounded(t), http.MethodPost, srv.URL+"/mcp", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json, text/event-stream")
		r.Header.Set("Authorization", "Bearer "+tok.access)
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != wantStatus {
			t.Fatalf("POST %s: status = %d, want %d", body, resp.StatusCode, wantStatus)
		}
		return resp
	}
	resp := post(mcpInitializeBody, http.StatusOK)
	if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" {
		t.Errorf("stateless handler set Mcp-Session-Id %q", sid)
	}
	if msg := readJSONRPC(t, resp); !strings.Contains(msg, `"protocolVersion":"2025-06-18"`) {
		t.Errorf("initialize result = %s", msg)
	}
	post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, http.StatusAccepted)
	resp = post(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`, http.StatusOK)
	if msg := readJSONRPC(t, resp); !strings.Contains(msg, tok.grantID) {
		t.Errorf("tools/call result = %s, want grant %s", msg, tok.grantID)
	}

	// Once authenticated, GET (no standalone stream in stateless mode) is
	// the SDK's 405, not a 401.
	r, err := http.NewRequestWithContext(mcptest.Bounded(t), http.MethodGet, srv.URL+"/mcp", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Accept", "text/event-stream")
	r.Header.Set("Authorization", "Bearer "+tok.access)
	get, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	if get.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("authenticated GET: status = %d, want 405", get.StatusCode)
	}
}

// readJSONRPC returns the first JSON-RPC message of a JSON or SSE response.
func readJSONRPC(t *testing.T, resp *http.Response) string {
	t.Helper()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var raw json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			return data
		}
	}
	t.Fatalf("no data event in response: %v", sc.Err())
	return ""
}

func TestMCPLogsIDsNeverTokens(t *testing.T) {
	f := newMCPFixture(t)
	tok := f.issue(t, mcpIssueOptions{})
	other := f.issue(t, mcpIssueOptions{resource: "https://other.example.com/mcp"})
	for _, bearer := range []string{tok.access, other.access, tok.refresh} {
		f.serve(newMCPRequest(http.MethodPost, "/mcp", bearer))
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "mcp request authorized") || !strings.Contains(logs, "grant_id="+tok.grantID) ||
		!strings.Contains(logs, "user_id="+tok.userID) || !strings.Contains(logs, "client_id="+mcpTestClientID) {
		t.Errorf("authorized request not logged with its IDs:\n%s", logs)
	}
	for _, secret := range []string{tok.access, other.access, tok.refresh} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a token:\n%s", logs)
		}
	}
}

func TestMCPMountNeedsDependencies(t *testing.T) {
	f := newMCPFixture(t)
	tests := []struct {
		name   string
		mutate func(*MCP)
	}{
		{"no resource", func(h *MCP) { h.Resource = "" }},
		{"no metadata URL", func(h *MCP) { h.ResourceMetadataURL = "" }},
		{"no token store", func(h *MCP) { h.Tokens = nil }},
		{"no keyring", func(h *MCP) { h.Keys = nil }},
		{"no server", func(h *MCP) { h.Server = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := *f.h
			tt.mutate(&h)
			defer func() {
				if recover() == nil {
					t.Error("Mount did not panic")
				}
			}()
			h.Mount(http.NewServeMux())
		})
	}
}

func TestCallerFromRequest(t *testing.T) {
	caller := &tokens.Caller{GrantID: "g", UserID: "github:1"}
	tests := []struct {
		name   string
		req    *mcp.CallToolRequest
		wantOK bool
	}{
		{"nil request", nil, false},
		{"no extra", &mcp.CallToolRequest{}, false},
		{"no token info", &mcp.CallToolRequest{Extra: &mcp.RequestExtra{}}, false},
		{"token info without caller", &mcp.CallToolRequest{Extra: &mcp.RequestExtra{TokenInfo: &auth.TokenInfo{UserID: "github:1"}}}, false},
		{"caller of the wrong type", &mcp.CallToolRequest{Extra: &mcp.RequestExtra{TokenInfo: &auth.TokenInfo{Extra: map[string]any{callerKey: "github:1"}}}}, false},
		{"verified caller", &mcp.CallToolRequest{Extra: &mcp.RequestExtra{TokenInfo: &auth.TokenInfo{Extra: map[string]any{callerKey: caller}}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CallerFromRequest(tt.req)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && got != caller {
				t.Errorf("caller = %+v, want %+v", got, caller)
			}
		})
	}
}

func BenchmarkBearerCheck(b *testing.B) {
	f := newMCPFixture(b, func(h *MCP) { h.Logger = nil })
	tok := f.issue(b, mcpIssueOptions{}).access
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	h := f.h.requireBearer(next)
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("status = %d", rec.Code)
		}
	}
}

// TestMCPAnswersJSON: a POST of one message is answered application/json,
// without SSE framing, stateless and stateful alike (every client must
// accept both).
func TestMCPAnswersJSON(t *testing.T) {
	for _, stateful := range []bool{false, true} {
		t.Run(fmt.Sprintf("stateful=%v", stateful), func(t *testing.T) {
			f := newMCPFixture(t, func(h *MCP) { h.Stateful = stateful })
			tok := f.issue(t, mcpIssueOptions{})
			resp := f.serve(newMCPRequest(http.MethodPost, "/mcp", tok.access))
			body := mcptest.ReadBody(t, resp)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("initialize: %d %q %s, want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			var msg struct {
				ID     int             `json:"id"`
				Result json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal([]byte(body), &msg); err != nil || msg.ID != 1 || len(msg.Result) == 0 {
				t.Errorf("initialize answer %s is not one JSON-RPC result: %v", body, err)
			}
			if sid := resp.Header.Get("Mcp-Session-Id"); (sid != "") != stateful {
				t.Errorf("Mcp-Session-Id %q with stateful=%v", sid, stateful)
			}
		})
	}
}
