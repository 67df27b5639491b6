package main

import (
	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/tools"
)

// gatewayConfig is gateway mode's part of handlers.Config: nil (the
// built-in tools) unless MCPGATE_BACKEND_URL / backend_url is set. The
// backend's tools obey the built-in tools' scope names.
func gatewayConfig(cfg *config.Config, broker *protected.UpstreamTokens) *handlers.GatewayConfig {
	backend, ok := cfg.GatewayBackend()
	if !ok {
		return nil
	}
	return &handlers.GatewayConfig{
		Backend:    backend,
		Tokens:     broker,
		ReadScope:  tools.ScopeRead,
		WriteScope: tools.ScopeWrite,
		Transport:  protected.NewBackendTransport(cfg.Backend.ResponseHeaderTimeout),
	}
}
