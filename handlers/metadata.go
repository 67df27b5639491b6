package handlers

import (
	"net/http"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
)

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

// metadataHandler serves the authorization server metadata:
//
//	/.well-known/oauth-authorization-server     RFC 8414 §3
//	/.well-known/oauth-authorization-server/mcp the same (clients that take R as issuer)
//	/.well-known/oauth-authorization-server/sse the same, as for /mcp
//	/.well-known/openid-configuration           404: we are not an OpenID Provider, and
//	                                            a partial OIDC document breaks the TypeScript SDK
//
// and a JSON 404 for any other /.well-known/ path. The protected resource
// metadata is protected.Metadata's. The document is built once from the
// configuration (never from the request's Host) and served with CORS and a
// short public cache lifetime. issuer equals authorization_servers[0] and
// the iss of every authorization response byte for byte.
type metadataHandler struct {
	Issuer          string
	ScopesSupported []string
}

// Mount registers the discovery routes.
func (h *metadataHandler) Mount(mux *http.ServeMux) {
	asm := wire.ServeDocument(wire.MarshalDocument(h.document()))
	mux.Handle(pathAuthServerMetadata, asm)
	mux.Handle(pathAuthServerMetadata+protected.PathMCP, asm)
	mux.Handle(pathAuthServerMetadata+protected.PathSSE, asm)
	notFound := wire.WithCORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeOAuthError(w, &oauthError{Code: wire.NotFound, Status: http.StatusNotFound,
			Description: "no such document; this server publishes " + pathAuthServerMetadata + " and " + protected.PathMetadata + protected.PathMCP})
	}))
	mux.Handle(pathOpenIDConfiguration, notFound)
	mux.Handle(pathWellKnown, notFound)
}

// document is the authorization server metadata, as served.
func (h *metadataHandler) document() authServerMetadata {
	return authServerMetadata{
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
	}
}
