package handlers

import (
	"encoding/json"
	"net/http"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
)

// metadataCacheControl lets clients and proxies keep discovery documents
// for five minutes.
const metadataCacheControl = "public, max-age=300"

// protectedResourceMetadata is the RFC 9728 §2 document. Our own type, with
// omitempty on every optional field: clients reject null and "" values
// (mcp-auth-checklist §3.3).
type protectedResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// authServerMetadata is the RFC 8414 §2 document.
type authServerMetadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint,omitempty"`
	RevocationEndpoint                         string   `json:"revocation_endpoint,omitempty"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported,omitempty"`
	ScopesSupported                            []string `json:"scopes_supported,omitempty"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported,omitempty"`
	GrantTypesSupported                        []string `json:"grant_types_supported,omitempty"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported,omitempty"`
	ClientIDMetadataDocumentSupported          bool     `json:"client_id_metadata_document_supported,omitempty"`
}

// clientAuthMethods are the client authentication methods of the token and
// revocation endpoints (RFC 6749 §2.3.1; "none" for public clients).
func clientAuthMethods() []string {
	return []string{authMethodNone, authMethodPost, authMethodBasic}
}

// metadataHandler serves the discovery documents:
//
//	/.well-known/oauth-protected-resource/mcp   RFC 9728 §3.1, path form for R
//	/.well-known/oauth-protected-resource       the same document at the root
//	/.well-known/oauth-authorization-server     RFC 8414 §3
//	/.well-known/oauth-authorization-server/mcp the same (clients that take R as issuer)
//	/.well-known/oauth-protected-resource/sse   RFC 9728 for the legacy /sse endpoint (see SSE)
//	/.well-known/oauth-authorization-server/sse the AS metadata again, as for /mcp
//	/.well-known/openid-configuration           404: we are not an OpenID Provider, and
//	                                            a partial OIDC document breaks the TypeScript SDK
//
// Both documents are built once from the configuration (never from the
// request's Host) and served with CORS and a short public cache lifetime.
// issuer equals authorization_servers[0] and the iss of every
// authorization response byte for byte.
type metadataHandler struct {
	Issuer          string
	Resource        string
	ScopesSupported []string
	ServiceName     string
}

// Mount registers the discovery routes.
func (h *metadataHandler) Mount(mux *http.ServeMux) {
	prm, asm := h.documents()
	serveDoc := func(body []byte) http.Handler {
		return wire.WithCORS(wire.AllowMethods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", metadataCacheControl)
			w.Write(body) // a write error means the client went away
		}), http.MethodGet))
	}
	mux.Handle(protected.PathMetadata+protected.PathMCP, serveDoc(prm))
	mux.Handle(protected.PathMetadata, serveDoc(prm))
	mux.Handle(pathAuthServerMetadata, serveDoc(asm))
	mux.Handle(pathAuthServerMetadata+protected.PathMCP, serveDoc(asm))
	mux.Handle(protected.PathMetadata+protected.PathSSE, serveDoc(h.sseDocument()))
	mux.Handle(pathAuthServerMetadata+protected.PathSSE, serveDoc(asm))
	notFound := wire.WithCORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeOAuthError(w, &oauthError{Code: wire.NotFound, Status: http.StatusNotFound,
			Description: "no such document; this server publishes " + pathAuthServerMetadata + " and " + protected.PathMetadata + protected.PathMCP})
	}))
	mux.Handle(pathOpenIDConfiguration, notFound)
	mux.Handle(pathWellKnown, notFound)
}

// documents returns the protected resource metadata and the authorization
// server metadata, as served.
func (h *metadataHandler) documents() (prm, asm []byte) {
	prm = marshalDoc(protectedResourceMetadata{
		Resource:               h.Resource,
		AuthorizationServers:   []string{h.Issuer},
		ScopesSupported:        h.ScopesSupported,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           h.ServiceName,
	})
	asm = marshalDoc(authServerMetadata{
		Issuer:                                 h.Issuer,
		AuthorizationEndpoint:                  h.Issuer + pathAuthorize,
		TokenEndpoint:                          h.Issuer + pathToken,
		RegistrationEndpoint:                   h.Issuer + pathRegister,
		RevocationEndpoint:                     h.Issuer + pathRevoke,
		RevocationEndpointAuthMethodsSupported: clientAuthMethods(),
		ScopesSupported:                        h.ScopesSupported,
		ResponseTypesSupported:                 []string{"code"},
		ResponseModesSupported:                 []string{"query"},
		GrantTypesSupported:                    []string{grantAuthorizationCode, grantRefreshToken},
		TokenEndpointAuthMethodsSupported:      clientAuthMethods(),
		CodeChallengeMethodsSupported:          []string{"S256"},
		// We send iss on every authorization response (RFC 9207 §2.3); a
		// client must see it announced or it rejects the response (go-sdk).
		AuthorizationResponseIssParameterSupported: true,
		// A client_id may be the https URL of the client's metadata
		// document (cimd.go); Claude uses CIMD when it sees this.
		ClientIDMetadataDocumentSupported: true,
	})
	return prm, asm
}

// sseDocument is the protected resource metadata of /sse: the same
// protected resource, with resource equal to the URL legacy clients connect
// to (RFC 9728 §3.3), issuer + "/sse". The authorization server maps that
// resource to R, so its tokens are R's (see SSE).
func (h *metadataHandler) sseDocument() []byte {
	return marshalDoc(protectedResourceMetadata{
		Resource:               h.Issuer + protected.PathSSE,
		AuthorizationServers:   []string{h.Issuer},
		ScopesSupported:        h.ScopesSupported,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           h.ServiceName,
	})
}

// marshalDoc renders a discovery document, indented for people who read it
// with curl.
func marshalDoc(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("handlers: metadata does not marshal: " + err.Error()) // plain structs of strings always do
	}
	return append(b, '\n')
}
