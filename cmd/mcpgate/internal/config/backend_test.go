package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/protected"
)

func TestLoadBackend(t *testing.T) {
	file := writeFile(t, "config.yaml", `backend_url: http://127.0.0.1:8082/
backend:
  headers:
    X-MCP-Toolsets: default,actions
  read_only_header: X-MCP-Readonly
  tools:
    allow: [get_me, create_issue]
    deny: [create_issue]
  response_header_timeout: 30s
`)
	cfg, err := Load(file, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := cfg.GatewayBackend()
	want := protected.Backend{Name: "default", URL: "http://127.0.0.1:8082/",
		Headers: map[string]string{"X-MCP-Toolsets": "default,actions"}, ReadOnlyHeader: "X-MCP-Readonly",
		Allow: []string{"get_me", "create_issue"}, Deny: []string{"create_issue"}}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("GatewayBackend = %+v, %v; want %+v", got, ok, want)
	}
	if cfg.Backend.ResponseHeaderTimeout != 30*time.Second {
		t.Errorf("response_header_timeout = %s", cfg.Backend.ResponseHeaderTimeout)
	}

	cfg, err = Load("", envMap(map[string]string{"MCPGATE_BACKEND_URL": "http://127.0.0.1:9000/mcp"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := cfg.GatewayBackend(); !ok || got.URL != "http://127.0.0.1:9000/mcp" {
		t.Fatalf("from the environment: %+v, %v", got, ok)
	}
	cfg, err = Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.GatewayBackend(); ok {
		t.Fatal("no backend_url must mean the built-in tools")
	}
	_, err = Load(writeFile(t, "config.yaml", "backend:\n  header: {}\n"), envMap(nil))
	if err == nil || !strings.Contains(err.Error(), `unknown key "header" in backend`) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestValidateBackend(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		backend BackendConfig
		want    string // "" for valid
	}{
		{"none", "", BackendConfig{}, ""},
		{"loopback", "http://127.0.0.1:8082/", BackendConfig{}, ""},
		{"https with headers", "https://mcp.internal/mcp", BackendConfig{Headers: map[string]string{"X-MCP-Toolsets": "all"}}, ""},
		{"no read-only header", "http://127.0.0.1:8082/", BackendConfig{ReadOnlyHeader: "-"}, ""},
		{"settings without url", "", BackendConfig{Tools: ToolPolicyConfig{Deny: []string{"x"}}}, "need backend_url"},
		{"relative", "/mcp", BackendConfig{}, "absolute http(s) URL"},
		{"ftp", "ftp://h/mcp", BackendConfig{}, "absolute http(s) URL"},
		{"user info", "http://u:p@127.0.0.1/", BackendConfig{}, "must not carry a user"},
		{"fragment", "http://127.0.0.1/#x", BackendConfig{}, "fragment"},
		{"authorization header", "http://127.0.0.1/", BackendConfig{Headers: map[string]string{"authorization": "Bearer x"}}, "Authorization is set by mcpgate"},
		{"session header", "http://127.0.0.1/", BackendConfig{Headers: map[string]string{"Mcp-Session-Id": "x"}}, "Mcp-Session-Id is set by mcpgate"},
		{"bad header name", "http://127.0.0.1/", BackendConfig{Headers: map[string]string{"X Bad": "x"}}, "not a valid header name"},
		{"two-line value", "http://127.0.0.1/", BackendConfig{Headers: map[string]string{"X-A": "a\r\nB: c"}}, "must be one line"},
		{"bad read-only header", "http://127.0.0.1/", BackendConfig{ReadOnlyHeader: "Cookie"}, "read_only_header"},
		{"negative timeout", "http://127.0.0.1/", BackendConfig{ResponseHeaderTimeout: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{BackendURL: tt.url, Backend: tt.backend}
			var p problems
			c.validateBackend(&p)
			got := strings.Join(p, "\n")
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("problems %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "u:p") {
				t.Fatal("a password reached the error")
			}
		})
	}
}

func TestNamedBackendsConfig(t *testing.T) {
	file := writeFile(t, "config.yaml", `github:
  client_id: id
  client_secret: sec
backends:
  - name: github
    url: http://127.0.0.1:8082/
    provider: github
    headers: {X-MCP-Toolsets: "default,actions"}
    tools: {deny: [delete_file]}
  - name: wiki
    url: https://wiki.internal/mcp
`)
	cfg, err := Load(file, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.NamedBackends()
	want := []protected.Backend{
		{Name: "github", URL: "http://127.0.0.1:8082/", Provider: "github", Headers: map[string]string{"X-MCP-Toolsets": "default,actions"}, Deny: []string{"delete_file"}},
		{Name: "wiki", URL: "https://wiki.internal/mcp"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NamedBackends = %+v, want %+v", got, want)
	}

	tests := []struct {
		name    string
		backend NamedBackendConfig
		want    string
	}{
		{"valid", NamedBackendConfig{Name: "a-1", URL: "http://127.0.0.1/"}, ""},
		{"upper-case name", NamedBackendConfig{Name: "GitHub", URL: "http://127.0.0.1/"}, "backends[0].name"},
		{"slash in name", NamedBackendConfig{Name: "a/b", URL: "http://127.0.0.1/"}, "backends[0].name"},
		{"no url", NamedBackendConfig{Name: "a"}, "backends[0].url must be an absolute"},
		{"unknown provider", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Provider: "gitlab"}, `provider "gitlab" is not a configured`},
		{"identity", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Credential: "identity"}, ""},
		{"id_token for oidc", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Credential: "id_token", Provider: "oidc"}, ""},
		{"id_token for google", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Credential: "id_token", Provider: "google"}, ""},
		{"id_token for a named oidc provider", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Credential: "id_token", Provider: "okta"}, ""},
		{"id_token without provider", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Credential: "id_token"},
			"backends[0].credential id_token needs provider: set it to an OpenID Connect provider (oidc or google type; configured: google, oidc, okta)"},
		{"id_token for github", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Credential: "id_token", Provider: "github"},
			`backends[0].credential id_token needs an OpenID Connect provider (oidc or google type), and "github" has no ID token`},
		{"id_token for an unknown provider", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Credential: "id_token", Provider: "gitlab"},
			`provider "gitlab" is not a configured`},
		{"bad credential", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Credential: "password"}, "credential must be"},
		{"reserved header", NamedBackendConfig{Name: "a", URL: "http://127.0.0.1/", Headers: map[string]string{"Cookie": "x"}}, "backends[0].headers: Cookie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{GitHub: GitHubConfig{ClientID: "id"}, Google: GoogleConfig{ClientID: "gid"},
				OIDC:      OIDCConfig{IssuerURL: "https://issuer.example", ClientID: "oid"},
				Providers: []ProviderConfig{{Type: TypeOIDC, Name: "okta", IssuerURL: "https://okta.example", ClientID: "k"}},
				Backends:  []NamedBackendConfig{tt.backend}}
			var p problems
			c.validateBackend(&p)
			got := strings.Join(p, "\n")
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("problems %q, want %q", got, tt.want)
			}
		})
	}
	c := &Config{Backends: []NamedBackendConfig{{Name: "a", URL: "http://127.0.0.1/"}, {Name: "a", URL: "http://127.0.0.1/"}}}
	var p problems
	c.validateBackend(&p)
	if !strings.Contains(strings.Join(p, "\n"), "backends[1].name must be unique") {
		t.Fatalf("duplicate names: %q", p)
	}
}
