package urlcheck

import (
	"strings"
	"testing"
)

func TestHTTP(t *testing.T) {
	tests := []struct {
		raw, wantErr string // wantErr "" means accepted
	}{
		{"https://github.example", ""},
		{"http://127.0.0.1:3000/cb", ""},
		{"http://[::1]:3000", ""},
		{"http://localhost:8080", ""},
		{"http://app.localhost", ""},
		{"", "is required"},
		{"/oauth/callback", "must be absolute"},
		{"https://u:p@github.example", "must not contain credentials"},
		{"https://github.example/#x", "must not have a fragment"},
		{"http://github.example", "must use https"},
		{"ftp://github.example", "must be an http(s) URL"},
		{"http://%zz", "is not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := HTTP("base URL", tt.raw)
			if tt.wantErr == "" {
				if err != nil || u == nil {
					t.Fatalf("HTTP(%q) = %v, %v; want it accepted", tt.raw, u, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "base URL") {
				t.Fatalf("HTTP(%q) error = %v, want one naming the base URL with %q", tt.raw, err, tt.wantErr)
			}
		})
	}
}
