package fakeoidc

import (
	"encoding/json"
	"net/http"
)

// discoveryDocument is the OpenID Provider metadata (OpenID Connect
// Discovery 1.0 §3).
type discoveryDocument struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserInfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
}

// handleDiscovery is /.well-known/openid-configuration.
func (f *Fake) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.counts.DiscoveryCalls++
	origin := f.origin(r)
	doc := discoveryDocument{
		Issuer:                            f.issuerAt(origin),
		AuthorizationEndpoint:             origin + "/authorize",
		TokenEndpoint:                     origin + "/token",
		UserInfoEndpoint:                  origin + "/userinfo",
		JWKSURI:                           origin + "/jwks",
		ResponseTypesSupported:            []string{"code"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ScopesSupported:                   []string{"openid", "email", "profile", "offline_access"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
		ClaimsSupported:                   []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "email", "email_verified", "name", "preferred_username", "hd", "tid", "groups"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		GrantTypesSupported:               []string{"authorization_code", "refresh_token"},
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, doc)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
