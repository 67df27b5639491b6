package handlers

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
)

// TestOversizedBodiesAreRefused sends every POST endpoint a body one byte
// over its limit: each answers 413, or 400 in its protocol's own form,
// never a 5xx, and never reads on.
func TestOversizedBodiesAreRefused(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodPost, "https://claude.ai/api/mcp/auth_callback")
	at := s.tokenPair(c).AccessToken

	formOver := "client_id=" + strings.Repeat("a", maxFormBytes)
	jsonOver := `{"client_name":"` + strings.Repeat("a", maxFormBytes) + `"}`
	mcpOver := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("a", int(mcp.DefaultMaxRequestBodyBytes)) + `"}}`

	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		bearer      bool
		check       func(t *testing.T, resp *http.Response)
	}{
		{"register", pathRegister, "application/json", jsonOver, false, func(t *testing.T, resp *http.Response) {
			e := wantOAuthError(t, resp, http.StatusBadRequest, wire.InvalidClientMetadata)
			if !strings.Contains(e.ErrorDescription, "exceeds") {
				t.Errorf("description %q does not say the body is too large", e.ErrorDescription)
			}
		}},
		{"token", pathToken, "application/x-www-form-urlencoded", formOver, false, func(t *testing.T, resp *http.Response) {
			e := wantOAuthError(t, resp, http.StatusBadRequest, wire.InvalidRequest)
			if !strings.Contains(e.ErrorDescription, "too large") {
				t.Errorf("description %q does not say the body is too large", e.ErrorDescription)
			}
		}},
		{"revoke", pathRevoke, "application/x-www-form-urlencoded", formOver, false, func(t *testing.T, resp *http.Response) {
			wantOAuthError(t, resp, http.StatusBadRequest, wire.InvalidRequest)
		}},
		{"consent form", pathAuthorize, "application/x-www-form-urlencoded", formOver, false, func(t *testing.T, resp *http.Response) {
			wantErrorPage(t, resp, http.StatusBadRequest, "could not be read")
		}},
		{"mcp", protected.PathMCP, "application/json", mcpOver, true, func(t *testing.T, resp *http.Response) {
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %s", resp.StatusCode, readBody(t, resp))
			}
		}},
		{"sse message", sseMessageEndpoint(t, s, at), "application/json", mcpOver, true, func(t *testing.T, resp *http.Response) {
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %s", resp.StatusCode, readBody(t, resp))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.contentType)
			r.Header.Set("Accept", "application/json, text/event-stream")
			if tt.bearer {
				r.Header.Set("Authorization", "Bearer "+at)
			}
			resp := s.do(r)
			if resp.StatusCode >= 500 {
				t.Fatalf("status %d for an oversized body", resp.StatusCode)
			}
			tt.check(t, resp)
		})
	}
}

// sseMessageEndpoint opens a legacy SSE stream with token on a real server
// around s and returns the message endpoint it announces (path and query),
// so that a POST there reaches a live session. The stream stays open until
// the test ends.
func sseMessageEndpoint(t *testing.T, s *asServer, token string) string {
	t.Helper()
	srv := httptest.NewServer(s.handler)
	ctx, cancel := context.WithTimeout(t.Context(), mcptest.HangGuard)
	t.Cleanup(func() {
		cancel()
		srv.Close()
	})
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+protected.PathSSE, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Accept", "text/event-stream")
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatalf("GET /sse: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sse: %d %s", resp.StatusCode, readBody(t, resp))
	}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
			return data
		}
	}
	t.Fatalf("the SSE stream ended without announcing its endpoint: %v", lines.Err())
	return ""
}
