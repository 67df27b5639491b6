package mcptest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// The scopes of ToolScopes.
const (
	ScopeRead  = "mcp:read"
	ScopeWrite = "mcp:write"
)

// ToolScopes is a tool-scope policy with the production shape: read tools
// need mcp:read, everything else (unknown names included) mcp:write, and
// mcp:write implies mcp:read.
type ToolScopes struct{}

// RequiredScope implements protected.ToolScopes.
func (ToolScopes) RequiredScope(tool string) string {
	switch tool {
	case "whoami", "read_thing":
		return ScopeRead
	}
	return ScopeWrite
}

// Satisfies implements protected.ToolScopes.
func (ToolScopes) Satisfies(granted []string, required string) bool {
	return slices.Contains(granted, required) || (required == ScopeRead && slices.Contains(granted, ScopeWrite))
}

// Scopes implements protected.ToolScopes.
func (ToolScopes) Scopes() []string { return []string{ScopeRead, ScopeWrite} }

// ScopeTools counts the calls of the tools AddScopeTools adds.
type ScopeTools struct {
	Reads, Writes atomic.Int32
}

// AddScopeTools adds read_thing and write_thing to srv.
func AddScopeTools(srv *mcp.Server) *ScopeTools {
	st := &ScopeTools{}
	mcp.AddTool(srv, &mcp.Tool{Name: "read_thing", Description: "Reads.", Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
			st.Reads.Add(1)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "read done"}}}, struct{}{}, nil
		})
	mcp.AddTool(srv, &mcp.Tool{Name: "write_thing", Description: "Writes."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
			st.Writes.Add(1)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "write done"}}}, struct{}{}, nil
		})
	return st
}

// Post is a POST of body to /mcp as an MCP client sends it.
func Post(body, bearer string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	r.Header.Set("Authorization", "Bearer "+bearer)
	return r
}

// ToolCall is the JSON-RPC tools/call of the named tool with id.
func ToolCall(id int, name string) string {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call",
		"params": map[string]any{"name": name, "arguments": map[string]any{}}})
	return string(b)
}

// WantInsufficientScope checks a 403 insufficient_scope answer: one Bearer
// challenge with exactly the scope wantScope, the resource metadata prm and
// a description within the RFC 6750 character set, the same error as JSON,
// and the CORS exposure that lets browser clients read the challenge.
func WantInsufficientScope(t *testing.T, resp *http.Response, wantScope, prm string) {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	body := string(raw)
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
	if p["resource_metadata"] != prm {
		t.Errorf("resource_metadata = %q, want %q", p["resource_metadata"], prm)
	}
	desc := p["error_description"]
	if desc == "" {
		t.Errorf("error_description missing")
	}
	if c, ok := outsideRFC6750(desc); ok {
		t.Errorf("error_description %q has %q, outside RFC 6750 §3", desc, c)
	}
	if len(p) != 4 {
		t.Errorf("challenge params %v, want exactly error, scope, resource_metadata, error_description", p)
	}
	wantInsufficientScopeBody(t, resp, body, desc)
}

// wantInsufficientScopeBody checks the JSON side of a 403
// insufficient_scope: no-store, the challenge's error and description, and
// the CORS exposure of the challenge.
func wantInsufficientScopeBody(t *testing.T, resp *http.Response, body, desc string) {
	t.Helper()
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

// outsideRFC6750 returns the first byte of s that RFC 6750 §3 does not
// allow in error_description (%x20-21 / %x23-5B / %x5D-7E).
func outsideRFC6750(s string) (byte, bool) {
	for _, c := range []byte(s) {
		if c < 0x20 || c == '"' || c == '\\' || c > 0x7e {
			return c, true
		}
	}
	return 0, false
}
