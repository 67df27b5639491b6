package handlers

import (
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
)

// TestUpstreamLegIsReadOnlyForReadGrants: the upstream sign-in is asked
// to be read-only exactly when the scopes being granted allow no tool
// that writes (they do not satisfy the strongest tool scope), so the
// upstream token follows the tools that can be called.
func TestUpstreamLegIsReadOnlyForReadGrants(t *testing.T) {
	for _, tt := range []struct {
		scope    string
		readOnly bool
	}{
		{"mcp:read", true},
		{"mcp:read mcp:write", false},
		{"mcp:write", false},
	} {
		t.Run(tt.scope, func(t *testing.T) {
			s := newTestServer(t, func(c *Config) { c.ToolScopes = mcptest.ToolScopes{} })
			c := s.register(authMethodNone, "http://localhost:7777/cb")
			_, challenge := pkce()
			params := authParams(c, challenge)
			params.Set("scope", tt.scope)
			state := upstreamState(t, s.approve(params, s.idp.name))
			s.idp.mu.Lock()
			got := s.idp.requests[state].ReadOnly
			s.idp.mu.Unlock()
			if got != tt.readOnly {
				t.Errorf("scope %q: upstream ReadOnly = %v, want %v", tt.scope, got, tt.readOnly)
			}
		})
	}
}

// TestUpstreamLegReadOnlyWhenNoToolWrites: with Config.ToolsReadOnly (no
// tool group nor the default choice serves a tool that writes), every
// upstream sign-in is read-only, whatever the scopes.
func TestUpstreamLegReadOnlyWhenNoToolWrites(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.ToolScopes = mcptest.ToolScopes{}; c.ToolsReadOnly = true })
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	params := authParams(c, challenge)
	params.Set("scope", "mcp:read mcp:write")
	state := upstreamState(t, s.approve(params, s.idp.name))
	s.idp.mu.Lock()
	got := s.idp.requests[state].ReadOnly
	s.idp.mu.Unlock()
	if !got {
		t.Errorf("upstream ReadOnly = false for mcp:write with no tool that writes, want true")
	}
}
