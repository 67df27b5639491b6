package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
)

func postRegister(s *asServer, body string) *http.Response {
	r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return s.do(r)
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantMethod string
		wantSecret bool
		check      func(t *testing.T, raw map[string]any)
	}{
		{"claude", `{"redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"token_endpoint_auth_method":"client_secret_post","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"Claude"}`,
			authMethodPost, true, func(t *testing.T, raw map[string]any) {
				if raw["client_name"] != "Claude" {
					t.Errorf("client_name %v", raw["client_name"])
				}
			}},
		{"mcp-remote", `{"redirect_uris":["http://localhost:3335/oauth/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"MCP CLI Proxy","client_uri":"https://github.com/modelcontextprotocol/mcp-cli","software_id":"2e6dc280-f3c3-4e01-99a7-8181dbd1d23d","software_version":"0.1.43","scope":"openid email profile mcp:read"}`,
			authMethodNone, false, func(t *testing.T, raw map[string]any) {
				if raw["scope"] != "mcp:read" {
					t.Errorf("scope %v, want the supported subset", raw["scope"])
				}
				if raw["software_version"] != "0.1.43" || raw["client_uri"] != "https://github.com/modelcontextprotocol/mcp-cli" {
					t.Errorf("metadata not echoed: %v", raw)
				}
			}},
		{"inspector with jwks and unknown fields", `{"redirect_uris":["http://localhost:6274/oauth/callback","http://localhost:6274/oauth/callback/debug"],"token_endpoint_auth_method":"none","client_name":"MCP Inspector","jwks":{"keys":[]},"application_type":"native","contacts":["a@b.c"],"logo_uri":null,"client_uri":null}`,
			authMethodNone, false, func(t *testing.T, raw map[string]any) {
				if _, ok := raw["scope"]; ok {
					t.Errorf("empty scope echoed")
				}
				if _, ok := raw["logo_uri"]; ok {
					t.Errorf("null logo_uri echoed")
				}
				if len(raw["redirect_uris"].([]any)) != 2 {
					t.Errorf("redirect_uris %v", raw["redirect_uris"])
				}
			}},
		{"method omitted defaults to basic", `{"redirect_uris":["https://app.example.com/cb"]}`,
			authMethodBasic, true, func(t *testing.T, raw map[string]any) {
				if gt := raw["grant_types"].([]any); len(gt) != 1 || gt[0] != "authorization_code" {
					t.Errorf("default grant_types %v", gt)
				}
				if rt := raw["response_types"].([]any); len(rt) != 1 || rt[0] != "code" {
					t.Errorf("default response_types %v", rt)
				}
				if _, ok := raw["client_name"]; ok {
					t.Errorf("empty client_name echoed")
				}
			}},
		{"basic", `{"redirect_uris":["com.example.app:/oauth2redirect"],"token_endpoint_auth_method":"client_secret_basic"}`,
			authMethodBasic, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			resp := postRegister(s, tt.body)
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("headers %v", resp.Header)
			}
			if strings.Contains(body, "null") || strings.Contains(body, `""`) {
				t.Errorf("null or empty value in %s", body)
			}
			var raw map[string]any
			json.Unmarshal([]byte(body), &raw)
			if raw["token_endpoint_auth_method"] != tt.wantMethod {
				t.Errorf("token_endpoint_auth_method %v, want %s", raw["token_endpoint_auth_method"], tt.wantMethod)
			}
			secret, hasSecret := raw["client_secret"].(string)
			expires, hasExpires := raw["client_secret_expires_at"]
			if hasSecret != tt.wantSecret || hasExpires != tt.wantSecret {
				t.Fatalf("secret issued %v, expires_at present %v; want %v: %s", hasSecret, hasExpires, tt.wantSecret, body)
			}
			if tt.wantSecret && (expires != float64(0) || !strings.HasPrefix(secret, "mcpgate_cs_")) {
				t.Errorf("secret %q, expires_at %v", secret, expires)
			}
			if _, ok := raw["client_id_issued_at"].(float64); !ok {
				t.Errorf("client_id_issued_at %v is not a number", raw["client_id_issued_at"])
			}
			id, _ := raw["client_id"].(string)
			stored, err := s.store.GetClient(context.Background(), id)
			if err != nil {
				t.Fatalf("client not stored: %v", err)
			}
			if tt.wantSecret && (stored.SecretHash != s.keys.Hash(secret) || strings.Contains(stored.SecretHash, secret)) {
				t.Errorf("secret not stored as its keyed hash")
			}
			if !tt.wantSecret && stored.SecretHash != "" {
				t.Errorf("public client has a secret hash")
			}
			if strings.Contains(s.logs.String(), secret) && secret != "" {
				t.Errorf("secret logged")
			}
			if tt.check != nil {
				tt.check(t, raw)
			}
		})
	}
}

func TestRegisterRefusesBadRedirectURIs(t *testing.T) {
	for _, uri := range []string{
		"javascript:alert(1)",
		"data:text/html,hi",
		"file:///etc/passwd",
		"https://app.example.com/cb#frag",
		"https://user:pw@app.example.com/cb",
		"http://app.example.com/cb",
		"http://localhost.evil.com/cb",
		"http://127.0.0.2/cb",
		"/relative/cb",
		"https:///nohost",
		"https:opaque",
		"cursor://anysphere.cursor-retrieval/callback",
		"myapp:/cb",
		"https://app.example.com/c b",
		"",
	} {
		t.Run(uri, func(t *testing.T) {
			s := newTestServer(t, nil)
			body, _ := json.Marshal(map[string]any{"redirect_uris": []string{"https://ok.example.com/cb", uri}, "token_endpoint_auth_method": "none"})
			e := wantOAuthError(t, postRegister(s, string(body)), http.StatusBadRequest, wire.InvalidRedirectURI)
			if !strings.Contains(e.ErrorDescription, "redirect_uris[1]") {
				t.Errorf("description %q does not name the URI", e.ErrorDescription)
			}
			clients, _ := s.store.ListClients(context.Background())
			if len(clients) != 0 {
				t.Errorf("a refused registration was stored")
			}
		})
	}
}

func TestRegisterRefusesBadMetadata(t *testing.T) {
	tests := []struct {
		name string
		body string
		code string
	}{
		{"no redirect URIs", `{"client_name":"x"}`, wire.InvalidRedirectURI},
		{"empty redirect URIs", `{"redirect_uris":[]}`, wire.InvalidRedirectURI},
		{"too many redirect URIs", `{"redirect_uris":[` + strings.Repeat(`"https://a.example/cb",`, 20) + `"https://a.example/x"]}`, wire.InvalidRedirectURI},
		{"redirect URIs not strings", `{"redirect_uris":[1]}`, wire.InvalidClientMetadata},
		{"unknown auth method", `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, wire.InvalidClientMetadata},
		{"implicit grant", `{"redirect_uris":["https://a.example/cb"],"grant_types":["implicit"]}`, wire.InvalidClientMetadata},
		{"client credentials", `{"redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code","client_credentials"]}`, wire.InvalidClientMetadata},
		{"refresh only", `{"redirect_uris":["https://a.example/cb"],"grant_types":["refresh_token"]}`, wire.InvalidClientMetadata},
		{"token response type", `{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}`, wire.InvalidClientMetadata},
		{"name with control characters", `{"redirect_uris":["https://a.example/cb"],"client_name":"a\u0007b"}`, wire.InvalidClientMetadata},
		{"name too long", `{"redirect_uris":["https://a.example/cb"],"client_name":"` + strings.Repeat("n", 201) + `"}`, wire.InvalidClientMetadata},
		{"client_uri javascript", `{"redirect_uris":["https://a.example/cb"],"client_uri":"javascript:alert(1)"}`, wire.InvalidClientMetadata},
		{"name of wrong type", `{"redirect_uris":["https://a.example/cb"],"client_name":42}`, wire.InvalidClientMetadata},
		{"not JSON", `redirect_uris=https://a.example/cb`, wire.InvalidClientMetadata},
		{"JSON array", `[{"redirect_uris":["https://a.example/cb"]}]`, wire.InvalidClientMetadata},
		{"two objects", `{"redirect_uris":["https://a.example/cb"]}{}`, wire.InvalidClientMetadata},
		{"too large", `{"redirect_uris":["https://a.example/cb"],"x":"` + strings.Repeat("a", maxFormBytes) + `"}`, wire.InvalidClientMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			e := wantOAuthError(t, postRegister(s, tt.body), http.StatusBadRequest, tt.code)
			if e.ErrorDescription == "" {
				t.Errorf("no error_description")
			}
		})
	}
}

// failingClients fails CreateClient.
type failingClients struct{ *memory.Store }

func (failingClients) CreateClient(context.Context, tokens.Client) error { return errStoreDown }

func TestRegisterStoreFailure(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.Store = failingClients{c.Store.(*memory.Store)} })
	resp := postRegister(s, `{"redirect_uris":["https://a.example/cb"]}`)
	wantOAuthError(t, resp, http.StatusServiceUnavailable, wire.TemporarilyUnavailable)
}
