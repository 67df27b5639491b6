package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHomePage: a person who opens the public URL sees the server's name,
// its MCP URL and /connections, on a page with the pages' CSP; the page is
// the golden file testdata/home.html.
func TestHomePage(t *testing.T) {
	s := newTestServer(t, nil)
	resp := s.do(httptest.NewRequest(http.MethodGet, "/", nil))
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d %s", resp.StatusCode, body)
	}
	for name, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("GET /: %s = %q, want %q", name, got, want)
		}
	}
	if len(resp.Cookies()) > 0 {
		t.Errorf("GET / set cookies: %v", resp.Cookies())
	}
	for _, want := range []string{"mcpgate test", asTestIssuer + "/mcp", asTestIssuer + "/connections"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET / lacks %q", want)
		}
	}
	checkGolden(t, "home.html", []byte(body))
}

func TestHomeRoutes(t *testing.T) {
	s := newTestServer(t, nil)
	tests := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/", http.StatusOK},
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodGet, "/favicon.ico", http.StatusNoContent},
		{http.MethodGet, "/nothing-here", http.StatusNotFound},
	}
	for _, tt := range tests {
		resp := s.do(httptest.NewRequest(tt.method, tt.path, nil))
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
	}
	// The Host header changes nothing: URLs come from the issuer.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host = "evil.example"
	if body := readBody(t, s.do(r)); strings.Contains(body, "evil") {
		t.Errorf("GET / built a URL from Host: %s", body)
	}
}
