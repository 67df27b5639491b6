package handlers

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
)

// GatewayConfig is gateway mode (protected.Gateway): backend MCP servers
// that mcpgate forwards to with the person's upstream token. Discovery,
// registration, consent, tokens and the 401 challenge stay this server's.
type GatewayConfig struct {
	// Default, when set, is served at /mcp instead of the built-in tools
	// (MCPGATE_BACKEND_URL); /sse then answers 404.
	Default *protected.Backend
	// Named are served at /mcp/{Name}, each its own protected resource
	// (RFC 8707 resource issuer + "/mcp/{Name}", RFC 9728 metadata at
	// /.well-known/oauth-protected-resource/mcp/{Name}), beside /mcp.
	Named []protected.Backend
	// Tokens is the upstream-token broker (protected.UpstreamTokens).
	Tokens protected.BackendTokens
	// ReadScope and WriteScope are the scopes of read-only and other
	// tools (mcp:read, mcp:write).
	ReadScope, WriteScope string
	// Transport carries requests to the backends; nil means
	// protected.NewBackendTransport(0).
	Transport http.RoundTripper
	// Grants gives the identity JWTs the person's login and e-mail;
	// required when a backend has the identity credential.
	Grants interface {
		GetGrant(ctx context.Context, id string) (tokens.Grant, error)
	}
	// Events gets a tool.called event per forwarded tools/call; nil
	// records nothing.
	Events *observe.Observer
}

// backendName is what a named backend's name may be: one path segment.
var backendName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// check reports what is wrong with g.
func (g *GatewayConfig) check() error {
	if g.Tokens == nil || g.ReadScope == "" || g.WriteScope == "" {
		return fmt.Errorf("gateway needs Tokens, ReadScope and WriteScope")
	}
	seen := map[string]bool{}
	for _, b := range g.Named {
		if !backendName.MatchString(b.Name) || seen[b.Name] {
			return fmt.Errorf("gateway: backend name %q must be unique, lower-case letters, digits, - and _", b.Name)
		}
		seen[b.Name] = true
	}
	return nil
}

// gatewayMounters are the handlers of gateway mode, and whether the
// built-in /mcp and /sse are replaced. /sse answers 404 then: the legacy
// HTTP+SSE transport is not forwarded (backends such as GitHub's server
// speak streamable HTTP only), and a clear error beats a half-working
// translation.
func gatewayMounters(g *GatewayConfig, rs protected.ResourceServer, issuer, serviceName string, scopes []string, resources *resourceSet) ([]mounter, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	var out []mounter
	var identity *protected.IdentityIssuer
	for _, b := range append(slices.Clip(g.Named), derefBackend(g.Default)...) {
		if b.Credential == protected.CredentialIdentity && identity == nil {
			if g.Grants == nil {
				return nil, fmt.Errorf("gateway: backend %q has the identity credential but Gateway.Grants is not set", b.Name)
			}
			identity = &protected.IdentityIssuer{Issuer: issuer, Keys: rs.Keys, Grants: g.Grants, Now: rs.Now}
			out = append(out, identity)
		}
	}
	gateway := func(b protected.Backend, path string, rs protected.ResourceServer) *protected.Gateway {
		return &protected.Gateway{ResourceServer: rs, Backend: b, Upstream: g.Tokens, ReadScope: g.ReadScope,
			WriteScope: g.WriteScope, Transport: g.Transport, Path: path, Identity: identity, Events: g.Events}
	}
	if g.Default != nil {
		out = append(out, gateway(*g.Default, protected.PathMCP, rs), sseGone{})
	}
	for _, b := range g.Named {
		path := protected.PathMCP + "/" + b.Name
		named := rs
		named.Resource = issuer + path
		named.ResourceMetadataURL = issuer + protected.PathMetadata + path
		if err := resources.addBackend(named.Resource); err != nil {
			return nil, err
		}
		out = append(out, gateway(b, path, named), documentAt{
			path: protected.PathMetadata + path,
			doc: protected.ResourceMetadata{Resource: named.Resource, AuthorizationServers: []string{issuer},
				ScopesSupported: scopes, BearerMethodsSupported: []string{"header"}, ResourceName: serviceName + " " + b.Name},
		})
	}
	return out, nil
}

func derefBackend(b *protected.Backend) []protected.Backend {
	if b == nil {
		return nil
	}
	return []protected.Backend{*b}
}

// documentAt serves a JSON document at one path.
type documentAt struct {
	path string
	doc  any
}

func (d documentAt) Mount(mux *http.ServeMux) {
	mux.Handle(d.path, wire.ServeDocument(wire.MarshalDocument(d.doc)))
}

// sseGone answers /sse when /mcp is a gateway.
type sseGone struct{}

func (sseGone) Mount(mux *http.ServeMux) {
	mux.Handle(protected.PathSSE, wire.WithCORS(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		wire.WriteError(w, http.StatusNotFound, wire.NotFound,
			"this server is an MCP gateway: connect to "+protected.PathMCP+" with the streamable HTTP transport; the legacy HTTP+SSE transport at /sse is not available")
	})))
}
