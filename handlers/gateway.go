package handlers

import (
	"net/http"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
)

// GatewayConfig puts /mcp in gateway mode: instead of the built-in tools
// it forwards to one backend MCP server with the person's upstream token
// (protected.Gateway). Discovery, registration, consent, tokens and the
// 401 challenge stay this server's.
type GatewayConfig struct {
	// Backend is the MCP server /mcp forwards to.
	Backend protected.Backend
	// Tokens is the upstream-token broker (protected.UpstreamTokens).
	Tokens protected.BackendTokens
	// ReadScope and WriteScope are the scopes of read-only and other
	// tools (mcp:read, mcp:write).
	ReadScope, WriteScope string
	// Transport carries requests to the backend; nil means
	// protected.NewBackendTransport(0).
	Transport http.RoundTripper
}

// gatewayMounters are the /mcp and /sse handlers of gateway mode. /sse
// answers 404: the legacy HTTP+SSE transport is not forwarded (backends
// such as GitHub's server speak streamable HTTP only), and a clear error
// beats a half-working translation.
func gatewayMounters(g *GatewayConfig, rs protected.ResourceServer) []mounter {
	return []mounter{
		&protected.Gateway{
			ResourceServer: rs,
			Backend:        g.Backend,
			Upstream:       g.Tokens,
			ReadScope:      g.ReadScope,
			WriteScope:     g.WriteScope,
			Transport:      g.Transport,
		},
		sseGone{},
	}
}

// sseGone answers /sse in gateway mode.
type sseGone struct{}

func (sseGone) Mount(mux *http.ServeMux) {
	mux.Handle(protected.PathSSE, wire.WithCORS(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		wire.WriteError(w, http.StatusNotFound, wire.NotFound,
			"this server is an MCP gateway: connect to "+protected.PathMCP+" with the streamable HTTP transport; the legacy HTTP+SSE transport at /sse is not available")
	})))
}
