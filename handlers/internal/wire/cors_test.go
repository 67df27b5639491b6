package wire

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWithCORS(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		preflight  bool // sends Access-Control-Request-Method
		wantStatus int
		wantNext   bool
	}{
		{"preflight is answered without next", http.MethodOptions, true, http.StatusNoContent, false},
		{"plain OPTIONS reaches next", http.MethodOptions, false, http.StatusTeapot, true},
		{"GET reaches next", http.MethodGet, false, http.StatusTeapot, true},
		{"POST reaches next", http.MethodPost, false, http.StatusTeapot, true},
		{"DELETE reaches next", http.MethodDelete, false, http.StatusTeapot, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				called = true
				w.WriteHeader(http.StatusTeapot)
			})
			r := httptest.NewRequest(tt.method, "/token", nil)
			r.Header.Set("Origin", "http://localhost:6274")
			if tt.preflight {
				r.Header.Set("Access-Control-Request-Method", "POST")
			}
			rec := httptest.NewRecorder()
			WithCORS(next).ServeHTTP(rec, r)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if called != tt.wantNext {
				t.Errorf("next called = %v, want %v", called, tt.wantNext)
			}
			want := map[string]string{
				"Access-Control-Allow-Origin":   "*",
				"Access-Control-Allow-Methods":  "GET, POST, DELETE, OPTIONS",
				"Access-Control-Allow-Headers":  "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID",
				"Access-Control-Expose-Headers": "WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version",
				"Access-Control-Max-Age":        "86400",
			}
			for k, v := range want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials = %q, want none", got)
			}
		})
	}
}
