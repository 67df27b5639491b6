package main

import (
	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tools"
)

// gatewayConfig is gateway mode's part of handlers.Config: nil (the
// built-in tools only) unless MCPGATE_BACKEND_URL / backend_url or YAML
// backends is set. The backends' tools obey the built-in tools' scope
// names; one pooled transport serves them all.
func gatewayConfig(cfg *config.Config, broker *protected.UpstreamTokens, grants tokens.GrantStore, events *observe.Observer) *handlers.GatewayConfig {
	named := cfg.NamedBackends()
	backend, ok := cfg.GatewayBackend()
	if !ok && len(named) == 0 {
		return nil
	}
	g := &handlers.GatewayConfig{
		Named:      named,
		Tokens:     broker,
		Grants:     grants,
		ReadScope:  tools.ScopeRead,
		WriteScope: tools.ScopeWrite,
		Transport:  protected.NewBackendTransport(cfg.Backend.ResponseHeaderTimeout),
		Events:     events,
	}
	if ok {
		g.Default = &backend
	}
	return g
}
