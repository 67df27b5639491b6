package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

const (
	scopeRead  = "mcp:read"
	scopeWrite = "mcp:write"
)

// testToolScopes is a ToolScopes with the production shape: read tools
// need mcp:read, everything else (unknown names included) mcp:write, and
// mcp:write implies mcp:read.
type testToolScopes struct{}

func (testToolScopes) RequiredScope(tool string) string {
	switch tool {
	case "whoami", "read_thing":
		return scopeRead
	}
	return scopeWrite
}

func (testToolScopes) Satisfies(granted []string, required string) bool {
	return slices.Contains(granted, required) || (required == scopeRead && slices.Contains(granted, scopeWrite))
}

func (testToolScopes) Scopes() []string { return []string{scopeRead, scopeWrite} }

// scopeTools adds read_thing and write_thing to srv and counts their calls.
type scopeTools struct {
	reads, writes atomic.Int32
}

func addScopeTools(srv *mcp.Server) *scopeTools {
	st := &scopeTools{}
	mcp.AddTool(srv, &mcp.Tool{Name: "read_thing", Description: "Reads.", Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
			st.reads.Add(1)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "read done"}}}, struct{}{}, nil
		})
	mcp.AddTool(srv, &mcp.Tool{Name: "write_thing", Description: "Writes."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
			st.writes.Add(1)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "write done"}}}, struct{}{}, nil
		})
	return st
}

// scopedAccess stores a grant and an access token with exactly scopes, as
// the token endpoint would, and returns the token.
func (f *mcpFixture) scopedAccess(t *testing.T, scopes []string) string {
	t.Helper()
	ctx := context.Background()
	now := f.clock.Now()
	grantID := tokens.NewID()
	dk := tokens.NewDataKey()
	if err := f.store.CreateGrant(ctx, tokens.Grant{
		ID: grantID, ClientID: mcpTestClientID, UserID: "github:1001", Provider: "github", Subject: "1001",
		Scopes: scopes, Resource: mcpTestResource, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}); err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
	access, refresh := tokens.Mint(tokens.KindAccess, grantID), tokens.Mint(tokens.KindRefresh, grantID)
	wrap := func(tok string) []byte {
		t.Helper()
		w, err := f.keys.SealWithToken(tok, aadDataKey+grantID, dk[:])
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	if err := f.store.IssueTokens(ctx, grantID, tokens.Issue{
		AccessHash: f.keys.Hash(access),
		Access: tokens.AccessToken{GrantID: grantID, ClientID: mcpTestClientID, UserID: "github:1001", Scopes: scopes,
			Resource: mcpTestResource, WrappedKey: wrap(access), ExpiresAt: now.Add(time.Hour)},
		RefreshHash: f.keys.Hash(refresh),
		Refresh: tokens.RefreshToken{GrantID: grantID, ClientID: mcpTestClientID, Scopes: scopes,
			Resource: mcpTestResource, WrappedKey: wrap(refresh), ExpiresAt: now.Add(24 * time.Hour)},
		GrantExpiresAt: now.Add(24 * time.Hour),
	}); err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	return access
}

// mcpPost is a POST of body to /mcp as an MCP client sends it.
func mcpPost(body, bearer string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	r.Header.Set("Authorization", "Bearer "+bearer)
	return r
}

func toolCall(id int, name string) string {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call",
		"params": map[string]any{"name": name, "arguments": map[string]any{}}})
	return string(b)
}

// wantInsufficientScope checks a 403 insufficient_scope answer: one Bearer
// challenge with exactly the scope wantScope, the resource metadata and a
// description within the RFC 6750 character set, the same error as JSON,
// and the CORS exposure that lets browser clients read the challenge.
func wantInsufficientScope(t *testing.T, resp *http.Response, wantScope string) {
	t.Helper()
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403; body %s", resp.StatusCode, body)
	}
	values := resp.Header.Values("WWW-Authenticate")
	if len(values) != 1 || !strings.HasPrefix(values[0], "Bearer ") {
		t.Fatalf("WWW-Authenticate = %q, want one Bearer challenge", values)
	}
	challenges, err := oauthex.ParseWWWAuthenticate(values)
	if err != nil || len(challenges) != 1 || challenges[0].Scheme != "bearer" {
		t.Fatalf("ParseWWWAuthenticate(%q) = %+v, %v", values, challenges, err)
	}
	p := challenges[0].Params
	if p["error"] != wire.InsufficientScope {
		t.Errorf("error = %q, want insufficient_scope", p["error"])
	}
	if p["scope"] != wantScope {
		t.Errorf("scope = %q, want %q", p["scope"], wantScope)
	}
	if p["resource_metadata"] != mcpTestPRM {
		t.Errorf("resource_metadata = %q, want %q", p["resource_metadata"], mcpTestPRM)
	}
	desc := p["error_description"]
	if desc == "" {
		t.Errorf("error_description missing")
	}
	for _, c := range []byte(desc) {
		if c < 0x20 || c == '"' || c == '\\' || c > 0x7e {
			t.Errorf("error_description %q has %q, outside RFC 6750 §3", desc, c)
			break
		}
	}
	if len(p) != 4 {
		t.Errorf("challenge params %v, want exactly error, scope, resource_metadata, error_description", p)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
		t.Errorf("the 403 does not expose WWW-Authenticate to browsers")
	}
	var e wire.ErrorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error != wire.InsufficientScope || e.ErrorDescription != desc {
		t.Errorf("body %s, want {error: insufficient_scope, error_description: the challenge's}", body)
	}
}

func TestScopeEnforcedPerTool(t *testing.T) {
	read, write := []string{scopeRead}, []string{scopeWrite}
	both := []string{scopeRead, scopeWrite}
	tests := []struct {
		name    string
		granted []string
		body    string
		// wantScope is the challenge's scope for a 403; "" means the
		// request passes to the SDK.
		wantScope          string
		wantReads, wantWrt int32
	}{
		{"read tool, read scope", read, toolCall(1, "read_thing"), "", 1, 0},
		{"write tool, read scope", read, toolCall(1, "write_thing"), "mcp:read mcp:write", 0, 0},
		{"read tool, write scope (hierarchy)", write, toolCall(1, "read_thing"), "", 1, 0},
		{"write tool, write scope", write, toolCall(1, "write_thing"), "", 0, 1},
		{"write tool, both scopes", both, toolCall(1, "write_thing"), "", 0, 1},
		{"read tool, no scopes", nil, toolCall(1, "read_thing"), "mcp:read", 0, 0},
		{"write tool, no scopes", nil, toolCall(1, "write_thing"), "mcp:write", 0, 0},
		{"read tool, other scopes only", []string{"repo"}, toolCall(1, "read_thing"), "repo mcp:read", 0, 0},
		{"unknown tool, read scope", read, toolCall(1, "delete_everything"), "mcp:read mcp:write", 0, 0},
		{"unknown tool, write scope reaches the SDK", write, toolCall(1, "delete_everything"), "", 0, 0},
		{"tools/list, read scope", read, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, "", 0, 0},
		{"initialize, no scopes", nil, mcpInitializeBody, "", 0, 0},
		{"notification, read scope", read, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, "", 0, 0},
		{"batch with a write call", read,
			`[{"jsonrpc":"2.0","id":1,"method":"tools/list"},` + toolCall(2, "read_thing") + `,` + toolCall(3, "write_thing") + `]`,
			"mcp:read mcp:write", 0, 0},
		{"batch of read calls", read, `[` + toolCall(1, "read_thing") + `,` + toolCall(2, "read_thing") + `]`, "", 2, 0},
		{"name in another letter case", read,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_thing","NAME":"write_thing"}}`, "mcp:read mcp:write", 0, 0},
		{"duplicate name keys", read,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_thing","name":"read_thing"}}`, "mcp:read mcp:write", 0, 0},
		{"escaped name key", read,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"n\u0061me":"write_thing"}}`, "mcp:read mcp:write", 0, 0},
		{"name is not a string", read,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":{"x":"write_thing"}}}`, "mcp:read mcp:write", 0, 0},
		{"method key in another case is no tool call", read,
			`{"jsonrpc":"2.0","id":1,"Method":"tools/call","params":{"name":"write_thing"}}`, "", 0, 0},
		{"malformed JSON reaches the SDK", read,
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_thing"`, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newMCPFixture(t, func(h *MCP) { h.ToolScopes = testToolScopes{} })
			st := addScopeTools(f.h.Server)
			token := f.scopedAccess(t, tt.granted)
			resp := f.serve(mcpPost(tt.body, token))
			if tt.wantScope != "" {
				wantInsufficientScope(t, resp, tt.wantScope)
				if !strings.Contains(f.logs.String(), "tool call refused: insufficient scope") || !strings.Contains(f.logs.String(), "grant_id=") {
					t.Errorf("refusal not logged with the grant:\n%s", f.logs.String())
				}
				if strings.Contains(f.logs.String(), token) {
					t.Errorf("the access token appears in the logs")
				}
			} else {
				body := readBody(t, resp)
				if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized {
					t.Fatalf("status %d (%s), want the request to reach the SDK: %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
				}
			}
			if got := st.reads.Load(); got != tt.wantReads {
				t.Errorf("read_thing ran %d times, want %d", got, tt.wantReads)
			}
			if got := st.writes.Load(); got != tt.wantWrt {
				t.Errorf("write_thing ran %d times, want %d", got, tt.wantWrt)
			}
		})
	}
}

func TestScopeAnswersOfTheSDK(t *testing.T) {
	f := newMCPFixture(t, func(h *MCP) { h.ToolScopes = testToolScopes{} })
	addScopeTools(f.h.Server)
	read := f.scopedAccess(t, []string{scopeRead})
	write := f.scopedAccess(t, []string{scopeWrite})

	// A permitted call gets the tool's result.
	resp := f.serve(mcpPost(toolCall(7, "read_thing"), read))
	if msg := readJSONRPC(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(msg, "read done") {
		t.Errorf("read_thing: %d %s", resp.StatusCode, msg)
	}
	// Malformed JSON gets the SDK's own parse error, not a scope error.
	resp = f.serve(mcpPost(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_thing"`, read))
	if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("malformed JSON: %d %q %s, want the SDK's 400", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
	// An unknown tool on a token that may call it is the SDK's answer.
	resp = f.serve(mcpPost(toolCall(8, "delete_everything"), write))
	if msg := readJSONRPC(t, resp); !strings.Contains(msg, `unknown tool`) {
		t.Errorf("unknown tool: %d %s", resp.StatusCode, msg)
	}
	// GET and DELETE carry no tool call and are not read.
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		resp := f.serve(newMCPRequest(m, "/mcp", read))
		if resp.StatusCode == http.StatusForbidden {
			t.Errorf("%s: 403", m)
		}
	}
}

// TestScopeCheckKeepsTheBody checks that the SDK receives the body exactly
// as the client sent it, whatever the check decided to let through.
func TestScopeCheckKeepsTheBody(t *testing.T) {
	h := &ResourceServer{ResourceMetadataURL: mcpTestPRM, ToolScopes: testToolScopes{}}
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_thing","arguments":{"pad":"` +
		strings.Repeat("x", 1<<20) + `"}}}`
	bodies := []string{
		toolCall(1, "read_thing"),
		big,
		`[` + toolCall(1, "read_thing") + `, {"jsonrpc":"2.0","id":2,"method":"tools/list"}]`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_thing"`,
		"  \n\t" + toolCall(2, "read_thing") + "\n",
		"not json at all \x00\xff",
	}
	for i, body := range bodies {
		var got []byte
		var gotLen int64
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var err error
			got, err = io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("body %d: reading in next: %v", i, err)
			}
			gotLen = r.ContentLength
			w.WriteHeader(http.StatusTeapot)
		})
		r := mcpPost(body, "unused")
		r = r.WithContext(context.WithValue(r.Context(), verifiedKey{}, &auth.TokenInfo{Scopes: []string{scopeRead}}))
		rec := httptest.NewRecorder()
		h.requireToolScope(next).ServeHTTP(rec, r)
		if rec.Code != http.StatusTeapot {
			t.Fatalf("body %d: status %d, want it passed on: %s", i, rec.Code, rec.Body)
		}
		if !bytes.Equal(got, []byte(body)) {
			t.Errorf("body %d: the next handler read %d bytes, want the %d sent, unchanged", i, len(got), len(body))
		}
		if gotLen != int64(len(body)) {
			t.Errorf("body %d: ContentLength %d, want %d", i, gotLen, len(body))
		}
	}
}

func TestScopeCheckBodyLimit(t *testing.T) {
	h := &ResourceServer{ResourceMetadataURL: mcpTestPRM, ToolScopes: testToolScopes{}}
	called := false
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
	r := mcpPost(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_thing","arguments":{"pad":"`+
		strings.Repeat("x", maxMCPBodyBytes)+`"}}}`, "unused")
	r = r.WithContext(context.WithValue(r.Context(), verifiedKey{}, &auth.TokenInfo{Scopes: []string{scopeRead}}))
	rec := httptest.NewRecorder()
	h.requireToolScope(next).ServeHTTP(rec, r)
	if called {
		t.Fatal("an oversized body was passed on unchecked")
	}
	var e wire.ErrorBody
	if rec.Code != http.StatusRequestEntityTooLarge || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error != wire.InvalidRequest {
		t.Errorf("oversized body: %d %s, want 413 invalid_request", rec.Code, rec.Body)
	}
}

func TestToolNameCandidates(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{toolCall(1, "get_me"), []string{"get_me"}},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, nil},
		{`[` + toolCall(1, "a") + `,` + toolCall(2, "b") + `]`, []string{"a", "b"}},
		{`[]`, nil},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call"}`, nil},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}`, nil},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["x"]}`, nil},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":null}}`, []string{""}},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"Name":"a","nAmE":"b"}}`, []string{"a", "b"}},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"name":"inner"},"name":"outer"}}`, []string{"outer"}},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"ſ":"x","name":"a"}}`, []string{"a"}},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"nameſ":"x","na\u006de":"a"}}`, []string{"a"}},
		{`{"jsonrpc":"2.0","id":1,"result":{"name":"x"}}`, nil},
		{`garbage`, nil},
	}
	for _, tt := range tests {
		if got := toolCallNames([]byte(tt.body)); !slices.Equal(got, tt.want) {
			t.Errorf("toolCallNames(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestNewChecksToolScopesAreSupported(t *testing.T) {
	s := newTestServer(t, nil)
	cfg := s.cfg
	cfg.ScopesSupported = []string{"mcp"}
	cfg.DefaultScopes = []string{"mcp"}
	cfg.ToolScopes = testToolScopes{}
	_, err := New(cfg)
	if err == nil || !strings.Contains(err.Error(), `ScopesSupported lacks "mcp:read"`) || !strings.Contains(err.Error(), `"mcp:write"`) {
		t.Fatalf("New: %v, want an error naming the tool scopes ScopesSupported lacks", err)
	}
}

// newScopeServer is the whole HTTP surface with per-tool scopes, default
// scope mcp:read, and the test tools.
func newScopeServer(t *testing.T) (*asServer, *scopeTools) {
	t.Helper()
	var st *scopeTools
	s := newTestServer(t, func(c *Config) {
		c.ToolScopes = testToolScopes{}
		st = addScopeTools(c.MCPServer)
	})
	return s, st
}

func TestUnauthorizedChallengeNamesTheDefaultScopes(t *testing.T) {
	s, _ := newScopeServer(t)
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(toolCall(1, "read_thing")))
	r.Header.Set("Content-Type", "application/json")
	resp := s.do(r)
	challenges, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if resp.StatusCode != http.StatusUnauthorized || err != nil || len(challenges) != 1 {
		t.Fatalf("no token: %d %q", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
	}
	if got := challenges[0].Params["scope"]; got != "mcp:read" {
		t.Errorf("401 scope = %q, want the default scopes %q", got, "mcp:read")
	}
	// The metadata still advertises every supported scope.
	var prm struct {
		ScopesSupported []string `json:"scopes_supported"`
	}
	decodeJSON(t, s.do(httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource/mcp", nil)), &prm)
	if !slices.Equal(prm.ScopesSupported, []string{scopeRead, scopeWrite}) {
		t.Errorf("PRM scopes_supported = %q", prm.ScopesSupported)
	}
	var asm struct {
		ScopesSupported []string `json:"scopes_supported"`
	}
	decodeJSON(t, s.do(httptest.NewRequest(http.MethodGet, "/.well-known/oauth-authorization-server", nil)), &asm)
	if !slices.Equal(asm.ScopesSupported, []string{scopeRead, scopeWrite}) {
		t.Errorf("AS scopes_supported = %q", asm.ScopesSupported)
	}
}

// TestScopeNarrowedAtRefresh: a refresh with a narrower scope yields an
// access token that may read but gets the step-up challenge for a write,
// while the grant (and the next refresh) keeps both scopes.
func TestScopeNarrowedAtRefresh(t *testing.T) {
	s, st := newScopeServer(t)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	pair := s.tokenPair(c) // authParams asks for mcp:read mcp:write
	if pair.Scope != "mcp:read mcp:write" {
		t.Fatalf("granted %q", pair.Scope)
	}

	resp := s.postForm("/token", clientAuthForm(c, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {pair.RefreshToken}, "scope": {"mcp:read"},
	}), nil)
	var narrow tokenResponse
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("narrowing refresh: %d %s", resp.StatusCode, readBody(t, resp))
	}
	decodeJSON(t, resp, &narrow)
	if narrow.Scope != "mcp:read" {
		t.Fatalf("narrowed scope %q, want mcp:read", narrow.Scope)
	}
	if resp := s.do(mcpPost(toolCall(1, "read_thing"), narrow.AccessToken)); resp.StatusCode != http.StatusOK {
		t.Errorf("read with the narrowed token: %d %s", resp.StatusCode, readBody(t, resp))
	}
	wantInsufficientScopeAS(t, s.do(mcpPost(toolCall(2, "write_thing"), narrow.AccessToken)), "mcp:read mcp:write")
	if st.writes.Load() != 0 {
		t.Fatalf("write_thing ran on a read-only token")
	}

	// A broader scope than the grant's is refused at refresh.
	resp = s.postForm("/token", clientAuthForm(c, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {narrow.RefreshToken}, "scope": {"mcp:read mcp:admin"},
	}), nil)
	wantOAuthError(t, resp, http.StatusBadRequest, wire.InvalidScope)

	// The rotated refresh token still carries the grant's two scopes.
	resp = s.postForm("/token", clientAuthForm(c, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {narrow.RefreshToken},
	}), nil)
	var full tokenResponse
	decodeJSON(t, resp, &full)
	if full.Scope != "mcp:read mcp:write" {
		t.Fatalf("refresh without scope: %q, want the grant's scopes", full.Scope)
	}
	if resp := s.do(mcpPost(toolCall(3, "write_thing"), full.AccessToken)); resp.StatusCode != http.StatusOK || st.writes.Load() != 1 {
		t.Errorf("write with the full token: %d, %d writes", resp.StatusCode, st.writes.Load())
	}
}

// wantInsufficientScopeAS is wantInsufficientScope for the asServer, whose
// resource metadata URL is the authorization-server tests' one.
func wantInsufficientScopeAS(t *testing.T, resp *http.Response, wantScope string) {
	t.Helper()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403: %s", resp.StatusCode, readBody(t, resp))
	}
	challenges, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil || len(challenges) != 1 {
		t.Fatalf("challenge %q: %v", resp.Header.Values("WWW-Authenticate"), err)
	}
	p := challenges[0].Params
	if p["error"] != wire.InsufficientScope || p["scope"] != wantScope || p["resource_metadata"] != asTestIssuer+"/.well-known/oauth-protected-resource/mcp" {
		t.Errorf("challenge params %v, want insufficient_scope, scope %q and the resource metadata", p, wantScope)
	}
}

// TestConsentCoversTheApprovedScopes: a remembered approval skips the
// consent page only for the scopes it approved, so a step-up to a broader
// scope asks the person again.
func TestConsentCoversTheApprovedScopes(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	withScope := func(scope string) url.Values {
		p := authParams(c, challenge)
		p.Set("scope", scope)
		return p
	}
	consentShown := func(scope string) bool {
		t.Helper()
		resp := s.browserGet("/authorize", withScope(scope))
		switch resp.StatusCode {
		case http.StatusOK:
			return true
		case http.StatusFound:
			upstreamState(t, resp)
			return false
		}
		t.Fatalf("GET /authorize scope=%q: %d %s", scope, resp.StatusCode, readBody(t, resp))
		return false
	}

	upstreamState(t, s.approve(withScope("mcp:read"), "github"))
	if consentShown("mcp:read") {
		t.Errorf("consent for mcp:read was not remembered")
	}
	resp := s.browserGet("/authorize", withScope("mcp:read mcp:write"))
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "mcp:write") {
		t.Fatalf("step-up to mcp:write skipped the consent page: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The person approves the broader request; it is remembered too.
	form := consentForm(t, page)
	form.Set("provider", "github")
	upstreamState(t, s.browserPost("/authorize", form))
	if consentShown("mcp:write mcp:read") {
		t.Errorf("consent for mcp:read mcp:write was not remembered (scope order must not matter)")
	}
	if consentShown("mcp:read") {
		t.Errorf("the earlier approval for mcp:read was forgotten")
	}
}
