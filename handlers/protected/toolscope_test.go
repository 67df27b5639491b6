package protected

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

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
		w, err := f.keys.WrapGrantKey(tok, grantID, dk)
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

func TestScopeEnforcedPerTool(t *testing.T) {
	read, write := []string{mcptest.ScopeRead}, []string{mcptest.ScopeWrite}
	both := []string{mcptest.ScopeRead, mcptest.ScopeWrite}
	tests := []struct {
		name    string
		granted []string
		body    string
		// wantScope is the challenge's scope for a 403; "" means the
		// request passes to the SDK.
		wantScope          string
		wantReads, wantWrt int32
	}{
		{"read tool, read scope", read, mcptest.ToolCall(1, "read_thing"), "", 1, 0},
		{"write tool, read scope", read, mcptest.ToolCall(1, "write_thing"), "mcp:read mcp:write", 0, 0},
		{"read tool, write scope (hierarchy)", write, mcptest.ToolCall(1, "read_thing"), "", 1, 0},
		{"write tool, write scope", write, mcptest.ToolCall(1, "write_thing"), "", 0, 1},
		{"write tool, both scopes", both, mcptest.ToolCall(1, "write_thing"), "", 0, 1},
		{"read tool, no scopes", nil, mcptest.ToolCall(1, "read_thing"), "mcp:read", 0, 0},
		{"write tool, no scopes", nil, mcptest.ToolCall(1, "write_thing"), "mcp:write", 0, 0},
		{"read tool, other scopes only", []string{"repo"}, mcptest.ToolCall(1, "read_thing"), "repo mcp:read", 0, 0},
		{"unknown tool, read scope", read, mcptest.ToolCall(1, "delete_everything"), "mcp:read mcp:write", 0, 0},
		{"unknown tool, write scope reaches the SDK", write, mcptest.ToolCall(1, "delete_everything"), "", 0, 0},
		{"tools/list, read scope", read, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, "", 0, 0},
		{"initialize, no scopes", nil, mcpInitializeBody, "", 0, 0},
		{"notification, read scope", read, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, "", 0, 0},
		{"batch with a write call", read,
			`[{"jsonrpc":"2.0","id":1,"method":"tools/list"},` + mcptest.ToolCall(2, "read_thing") + `,` + mcptest.ToolCall(3, "write_thing") + `]`,
			"mcp:read mcp:write", 0, 0},
		{"batch of read calls", read, `[` + mcptest.ToolCall(1, "read_thing") + `,` + mcptest.ToolCall(2, "read_thing") + `]`, "", 2, 0},
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
			f := newMCPFixture(t, func(h *MCP) { h.ToolScopes = mcptest.ToolScopes{} })
			st := mcptest.AddScopeTools(f.h.Server)
			token := f.scopedAccess(t, tt.granted)
			resp := f.serve(mcptest.Post(tt.body, token))
			if tt.wantScope != "" {
				mcptest.WantInsufficientScope(t, resp, tt.wantScope, mcpTestPRM)
				if !strings.Contains(f.logs.String(), "tool call refused: insufficient scope") || !strings.Contains(f.logs.String(), "grant_id=") {
					t.Errorf("refusal not logged with the grant:\n%s", f.logs.String())
				}
				if strings.Contains(f.logs.String(), token) {
					t.Errorf("the access token appears in the logs")
				}
			} else {
				body := mcptest.ReadBody(t, resp)
				if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized {
					t.Fatalf("status %d (%s), want the request to reach the SDK: %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
				}
			}
			if got := st.Reads.Load(); got != tt.wantReads {
				t.Errorf("read_thing ran %d times, want %d", got, tt.wantReads)
			}
			if got := st.Writes.Load(); got != tt.wantWrt {
				t.Errorf("write_thing ran %d times, want %d", got, tt.wantWrt)
			}
		})
	}
}

func TestScopeAnswersOfTheSDK(t *testing.T) {
	f := newMCPFixture(t, func(h *MCP) { h.ToolScopes = mcptest.ToolScopes{} })
	mcptest.AddScopeTools(f.h.Server)
	read := f.scopedAccess(t, []string{mcptest.ScopeRead})
	write := f.scopedAccess(t, []string{mcptest.ScopeWrite})

	// A permitted call gets the tool's result.
	resp := f.serve(mcptest.Post(mcptest.ToolCall(7, "read_thing"), read))
	if msg := readJSONRPC(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(msg, "read done") {
		t.Errorf("read_thing: %d %s", resp.StatusCode, msg)
	}
	// Malformed JSON gets the SDK's own parse error, not a scope error.
	resp = f.serve(mcptest.Post(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_thing"`, read))
	if body := mcptest.ReadBody(t, resp); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("malformed JSON: %d %q %s, want the SDK's 400", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
	// An unknown tool on a token that may call it is the SDK's answer.
	resp = f.serve(mcptest.Post(mcptest.ToolCall(8, "delete_everything"), write))
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
	h := &ResourceServer{ResourceMetadataURL: mcpTestPRM, ToolScopes: mcptest.ToolScopes{}}
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_thing","arguments":{"pad":"` +
		strings.Repeat("x", 1<<20) + `"}}}`
	bodies := []string{
		mcptest.ToolCall(1, "read_thing"),
		big,
		`[` + mcptest.ToolCall(1, "read_thing") + `, {"jsonrpc":"2.0","id":2,"method":"tools/list"}]`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_thing"`,
		"  \n\t" + mcptest.ToolCall(2, "read_thing") + "\n",
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
		r := mcptest.Post(body, "unused")
		r = r.WithContext(context.WithValue(r.Context(), verifiedKey{}, &auth.TokenInfo{Scopes: []string{mcptest.ScopeRead}}))
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
	h := &ResourceServer{ResourceMetadataURL: mcpTestPRM, ToolScopes: mcptest.ToolScopes{}}
	called := false
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
	r := mcptest.Post(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write_thing","arguments":{"pad":"`+
		strings.Repeat("x", maxMCPBodyBytes)+`"}}}`, "unused")
	r = r.WithContext(context.WithValue(r.Context(), verifiedKey{}, &auth.TokenInfo{Scopes: []string{mcptest.ScopeRead}}))
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
		{mcptest.ToolCall(1, "get_me"), []string{"get_me"}},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, nil},
		{`[` + mcptest.ToolCall(1, "a") + `,` + mcptest.ToolCall(2, "b") + `]`, []string{"a", "b"}},
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
		// Escapes decode as the SDK decodes them.
		{`{"jsonrpc":"2.0","id":1,"meth\u006fd":"tools/call","params":{"name":"a"}}`, []string{"a"}},
		{`{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"a"}}`, []string{"a"}},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/c\u0061ll","params":{"name":"a"}}`, []string{"a"}},
		// Keys match exactly, as in the SDK; every params member counts.
		{`{"jsonrpc":"2.0","id":1,"Method":"tools/call","params":{"name":"a"}}`, nil},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","PARAMS":{"name":"a"}}`, nil},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"params":{"name":"b"}}`, []string{"a", "b"}},
		{`{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"a"}}`, []string{"a"}},
		// Not parsing to its end: the SDK refuses it.
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}`, nil},
		{" \n [ " + mcptest.ToolCall(1, "a") + " ] ", []string{"a"}},
		{`{"jsonrpc":"2.0","id":1,"method":"x","params":{"name":"tools/call"}}`, nil},
	}
	for _, tt := range tests {
		got := toolCallNames([]byte(tt.body))
		if !slices.Equal(got, tt.want) {
			t.Errorf("toolCallNames(%s) = %q, want %q", tt.body, got, tt.want)
		}
		// Whatever the SDK's own decoder dispatches as a tools/call, the
		// check saw too (single messages; the SDK splits batches itself).
		if msg, err := jsonrpc.DecodeMessage([]byte(tt.body)); err == nil {
			if req, ok := msg.(*jsonrpc.Request); ok && req.Method == methodToolsCall {
				for _, name := range paramNames(req.Params) {
					if !slices.Contains(got, name) {
						t.Errorf("toolCallNames(%s) = %q misses %q, which the SDK's decoder sees", tt.body, got, name)
					}
				}
			}
		}
	}
}
