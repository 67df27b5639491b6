package handlers

import "testing"

func TestValidateRedirectURI(t *testing.T) {
	tests := []struct {
		uri string
		ok  bool
	}{
		{"https://claude.ai/api/mcp/auth_callback", true},
		{"https://app.example.com:8443/cb?x=1", true},
		{"http://localhost/callback", true},
		{"http://localhost:6274/oauth/callback/debug", true},
		{"http://127.0.0.1:33418/cb", true},
		{"http://[::1]:8080/cb", true},
		{"com.example.app:/oauth2redirect", true},
		{"com.example.app://callback", true},
		{"HTTPS://APP.EXAMPLE.COM/cb", true},
		{"http://example.com/cb", false},
		{"http://localhost.example.com/cb", false},
		{"http://10.0.0.1/cb", false},
		{"https://app.example.com/cb#", false},
		{"https://app.example.com/cb#x", false},
		{"https://u@app.example.com/cb", false},
		{"https://u:p@app.example.com/cb", false},
		{"https://", false},
		{"https:app.example.com", false},
		{"//app.example.com/cb", false},
		{"cb", false},
		{"javascript:alert(1)", false},
		{"data:,x", false},
		{"vbscript:x", false},
		{"cursor://callback", false},
		{"https://app.example.com/\x00", false},
		{"https://app.example.com/a\tb", false},
		{"https://app.example.com/" + string(make([]byte, maxRedirectURILen)), false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			err := validateRedirectURI(tt.uri)
			if (err == nil) != tt.ok {
				t.Fatalf("validateRedirectURI(%q) = %v, want ok=%v", tt.uri, err, tt.ok)
			}
		})
	}
}

func TestMatchRedirectURI(t *testing.T) {
	tests := []struct {
		name       string
		registered []string
		requested  string
		want       string
		ok         bool
	}{
		{"exact", []string{"https://a.example/cb"}, "https://a.example/cb", "https://a.example/cb", true},
		{"second registered", []string{"https://a.example/x", "https://a.example/cb"}, "https://a.example/cb", "https://a.example/cb", true},
		{"case differs", []string{"https://a.example/cb"}, "https://A.example/cb", "", false},
		{"omitted, one registered", []string{"https://a.example/cb"}, "", "https://a.example/cb", true},
		{"omitted, two registered", []string{"https://a.example/a", "https://a.example/b"}, "", "", false},
		{"loopback port changes", []string{"http://localhost:6274/oauth/callback"}, "http://localhost:1/oauth/callback", "http://localhost:1/oauth/callback", true},
		{"loopback no port registered", []string{"http://localhost/callback"}, "http://localhost:49152/callback", "http://localhost:49152/callback", true},
		{"loopback port removed", []string{"http://127.0.0.1:5000/cb"}, "http://127.0.0.1/cb", "http://127.0.0.1/cb", true},
		{"loopback query must match", []string{"http://localhost:1/cb?a=1"}, "http://localhost:2/cb?a=2", "", false},
		{"loopback query kept", []string{"http://localhost:1/cb?a=1"}, "http://localhost:2/cb?a=1", "http://localhost:2/cb?a=1", true},
		{"loopback path must match", []string{"http://localhost:1/cb"}, "http://localhost:1/cb2", "", false},
		{"loopback host must match", []string{"http://localhost:1/cb"}, "http://127.0.0.1:1/cb", "", false},
		{"loopback bad port", []string{"http://localhost:1/cb"}, "http://localhost:99999/cb", "", false},
		{"loopback userinfo", []string{"http://localhost:1/cb"}, "http://x@localhost:1/cb", "", false},
		{"loopback rule does not apply to https", []string{"https://localhost:1/cb"}, "https://localhost:2/cb", "", false},
		{"non-loopback port", []string{"https://a.example/cb"}, "https://a.example:444/cb", "", false},
		{"claude twin", []string{claudeAICallback}, claudeComCallback, claudeComCallback, true},
		{"claude twin reverse", []string{claudeComCallback}, claudeAICallback, claudeAICallback, true},
		{"no twin for others", []string{"https://claude.ai/other"}, "https://claude.com/other", "", false},
		{"fragment", []string{"https://a.example/cb"}, "https://a.example/cb#x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := matchRedirectURI(tt.registered, tt.requested)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("matchRedirectURI(%q, %q) = %q, %v; want %q, %v", tt.registered, tt.requested, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRedirectDisplay(t *testing.T) {
	tests := []struct{ uri, host, origin string }{
		{"https://claude.ai/api/mcp/auth_callback", "claude.ai", "https://claude.ai"},
		{"http://localhost:3335/oauth/callback", "localhost:3335", "http://localhost:3335"},
		{"com.example.app:/cb", "com.example.app:", "com.example.app:"},
		{"http://[::1]:8976/cb", "[::1]:8976", "http:"},
	}
	for _, tt := range tests {
		if got := redirectDisplay(tt.uri); got != tt.host {
			t.Errorf("redirectDisplay(%q) = %q, want %q", tt.uri, got, tt.host)
		}
		if got := redirectOrigin(tt.uri); got != tt.origin {
			t.Errorf("redirectOrigin(%q) = %q, want %q", tt.uri, got, tt.origin)
		}
	}
}
