package handlers

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenUpdate regenerates the golden files: UPDATE_GOLDEN=true go test.
func goldenUpdate() bool { return os.Getenv("UPDATE_GOLDEN") == "true" }

// checkGolden compares got with testdata/name byte for byte. A missing or
// different file fails unless UPDATE_GOLDEN=true, which rewrites it.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if goldenUpdate() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("writing %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden %s (run UPDATE_GOLDEN=true go test ./handlers/ to create it): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file (UPDATE_GOLDEN=true regenerates it)\n got: %s\nwant: %s", path, got, want)
	}
}

func TestMetadataGolden(t *testing.T) {
	tests := []struct {
		paths  []string
		golden string
	}{
		{[]string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}, "protected-resource-metadata.json"},
		{[]string{"/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/mcp"}, "authorization-server-metadata.json"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			s := newTestServer(t, func(c *Config) { c.ServiceName = "mcpgate" })
			var first []byte
			for _, path := range tt.paths {
				resp := s.do(httptest.NewRequest(http.MethodGet, path, nil))
				body := []byte(readBody(t, resp))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
				}
				for name, want := range map[string]string{
					"Content-Type":                "application/json",
					"Cache-Control":               "public, max-age=300",
					"Access-Control-Allow-Origin": "*",
				} {
					if got := resp.Header.Get(name); got != want {
						t.Errorf("GET %s: %s = %q, want %q", path, name, got, want)
					}
				}
				if bytes.Contains(body, []byte("null")) || bytes.Contains(body, []byte(`""`)) {
					t.Errorf("GET %s: null or empty value in %s", path, body)
				}
				if first == nil {
					first = body
					checkGolden(t, tt.golden, body)
				} else if !bytes.Equal(body, first) {
					t.Errorf("GET %s serves a different document", path)
				}
			}
		})
	}
}

func TestMetadataIgnoresHost(t *testing.T) {
	s := newTestServer(t, nil)
	r := httptest.NewRequest(http.MethodGet, "/.well-known/oauth-authorization-server", nil)
	r.Host = "evil.example"
	r.Header.Set("X-Forwarded-Host", "evil.example")
	if body := readBody(t, s.do(r)); strings.Contains(body, "evil") {
		t.Fatalf("metadata built from the request: %s", body)
	}
}

func TestMetadataPreflight(t *testing.T) {
	s := newTestServer(t, nil)
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server", "/register", "/token", "/revoke"} {
		r := httptest.NewRequest(http.MethodOptions, path, nil)
		r.Header.Set("Origin", "http://localhost:6274")
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "content-type, mcp-protocol-version")
		resp := s.do(r)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("preflight %s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}
}

func TestNoOpenIDConfiguration(t *testing.T) {
	s := newTestServer(t, nil)
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/openid-configuration/mcp", "/.well-known/oauth-protected-resource/other"} {
		resp := s.do(httptest.NewRequest(http.MethodGet, path, nil))
		wantOAuthError(t, resp, http.StatusNotFound, "not_found")
	}
}
