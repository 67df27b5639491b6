package protected

import (
	"net/http"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// ResourceMetadata is the RFC 9728 §2 document. Our own type, with
// omitempty on every optional field: clients reject null and "" values
// (mcp-auth-checklist §3.3).
type ResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// Metadata serves the protected resource metadata (RFC 9728 §3):
//
//	/.well-known/oauth-protected-resource/mcp   §3.1, path form for R
//	/.well-known/oauth-protected-resource       the same document at the root
//	/.well-known/oauth-protected-resource/sse   the legacy /sse endpoint's (see SSE)
//
// The documents are built once from the configuration (never from the
// request's Host) and served with CORS and a short public cache lifetime.
// authorization_servers[0] is the issuer, byte for byte.
type Metadata struct {
	// Issuer is the authorization server's issuer, which is also the
	// origin of the resource.
	Issuer string
	// Resource is R, issuer + PathMCP.
	Resource        string
	ScopesSupported []string
	// ServiceName is the resource_name.
	ServiceName string
	// WithoutSSE leaves out /sse's document: /sse is not served (a gateway
	// answers it with 404), and a document would send a legacy client to
	// sign in for an endpoint it cannot use.
	WithoutSSE bool
}

// Mount registers the documents (two when WithoutSSE).
func (h *Metadata) Mount(mux *http.ServeMux) {
	prm := wire.ServeDocument(wire.MarshalDocument(h.document(h.Resource)))
	mux.Handle(PathMetadata+PathMCP, prm)
	mux.Handle(PathMetadata, prm)
	// /sse's document names the URL legacy clients connect to (RFC 9728
	// §3.3), issuer + "/sse"; the authorization server maps that resource
	// to R, so its tokens are R's (see SSE).
	if h.WithoutSSE {
		return
	}
	mux.Handle(PathMetadata+PathSSE, wire.ServeDocument(wire.MarshalDocument(h.document(h.Issuer+PathSSE))))
}

func (h *Metadata) document(resource string) ResourceMetadata {
	return ResourceMetadata{
		Resource:               resource,
		AuthorizationServers:   []string{h.Issuer},
		ScopesSupported:        h.ScopesSupported,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           h.ServiceName,
	}
}
