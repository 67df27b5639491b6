package handlers

import (
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

func TestNormaliseResource(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp", true},
		{"https://mcp.example.com/mcp/", "https://mcp.example.com/mcp", true},
		{"HTTPS://MCP.Example.COM/mcp", "https://mcp.example.com/mcp", true},
		{"https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp", true},
		{"http://localhost:80/mcp", "http://localhost/mcp", true},
		{"http://localhost:8080/mcp", "http://localhost:8080/mcp", true},
		{"https://mcp.example.com:8443/mcp", "https://mcp.example.com:8443/mcp", true},
		{"https://mcp.example.com", "https://mcp.example.com", true},
		{"https://mcp.example.com/", "https://mcp.example.com", true},
		{"https://mcp.example.com/mcp//", "https://mcp.example.com/mcp//", true}, // an empty segment, not a trailing slash: kept (idempotent)
		{"https://mcp.example.com/MCP", "https://mcp.example.com/MCP", true},     // paths are case-sensitive
		{"https://mcp.example.com/mcp?x=1", "https://mcp.example.com/mcp?x=1", true},
		{"http://[::1]:8080/mcp", "http://[::1]:8080/mcp", true},
		{"https://mcp.example.com/mcp#frag", "", false},
		{"mcp.example.com/mcp", "", false},
		{"/mcp", "", false},
		{"urn:example:mcp", "", false},
		{"ftp://mcp.example.com/mcp", "", false},
		{"https://user@mcp.example.com/mcp", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := normaliseResource(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("normaliseResource(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestResourceSetResolve(t *testing.T) {
	rs, err := newResourceSet("https://mcp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		values []string
		ok     bool
	}{
		{nil, true},
		{[]string{"https://mcp.example.com/mcp"}, true},
		{[]string{"https://mcp.example.com/mcp/"}, true},
		{[]string{"https://MCP.EXAMPLE.COM:443/mcp"}, true},
		{[]string{"https://mcp.example.com"}, true},
		{[]string{"https://mcp.example.com/"}, true},
		{[]string{"https://mcp.example.com/mcp", "https://mcp.example.com/"}, true},
		{[]string{"https://mcp.example.com/sse"}, true}, // the legacy SSE endpoint names itself in its metadata
		{[]string{"https://mcp.example.com/sse/"}, true},
		{[]string{"https://mcp.example.com/sse/x"}, false},
		{[]string{"https://mcp.example.com/mcp/x"}, false},
		{[]string{"http://mcp.example.com/mcp"}, false},
		{[]string{"https://mcp.example.com:8443/mcp"}, false},
		{[]string{"https://evil.example/mcp"}, false},
		{[]string{"https://api.github.com"}, false},
		{[]string{"https://mcp.example.com/mcp", "https://evil.example"}, false},
		{[]string{""}, false},
	}
	for _, tt := range tests {
		got, oerr := rs.resolve(tt.values)
		if tt.ok && (oerr != nil || got != "https://mcp.example.com/mcp") {
			t.Errorf("resolve(%q) = %q, %v; want R", tt.values, got, oerr)
		}
		if !tt.ok && (oerr == nil || oerr.Code != wire.InvalidTarget) {
			t.Errorf("resolve(%q) = %q, %v; want invalid_target", tt.values, got, oerr)
		}
	}
}
