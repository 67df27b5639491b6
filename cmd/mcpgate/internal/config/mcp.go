package config

import (
	"time"

	"github.com/mcpgate/mcpgate/handlers"
)

// MCPConfig is the /mcp transport (YAML key mcp; no environment variables).
//
// Stateless (the default) serves the go-sdk's stateless streamable HTTP: no
// Mcp-Session-Id, any replica serves any request, protocol 2026-07-28 for
// clients that speak it and the initialize handshake for the others.
// Stateful keeps MCP sessions in the process that opened them (protocol
// 2025-11-25 at most: Mcp-Session-Id, the standalone GET stream, DELETE),
// which several replicas can only serve with sticky routing on the
// Mcp-Session-Id header. Either way every request is authenticated on its
// own, and a session only ever serves the user who opened it.
type MCPConfig struct {
	// Stateless serves /mcp without sessions. Default true.
	Stateless bool `yaml:"stateless"`
	// SessionTimeout closes a stateful session after this long without a
	// request. Default 30m; unused when Stateless.
	SessionTimeout time.Duration `yaml:"session_timeout"`
}

// defaultMCP is the built-in /mcp transport: stateless.
func defaultMCP() MCPConfig {
	return MCPConfig{Stateless: true, SessionTimeout: handlers.DefaultSessionTimeout}
}

func (c *Config) validateMCP(p *problems) {
	if m := c.MCP; !m.Stateless && m.SessionTimeout < time.Second {
		p.add("mcp.session_timeout must be at least 1s when mcp.stateless is false, such as 30m: got %s", m.SessionTimeout)
	}
}

// HandlerSessions is the /mcp session setting of handlers.Config: stateful
// or not, and the idle timeout of a stateful session (zero when stateless,
// where it means nothing).
func (m MCPConfig) HandlerSessions() (stateful bool, timeout time.Duration) {
	if m.Stateless {
		return false, 0
	}
	return true, m.SessionTimeout
}
