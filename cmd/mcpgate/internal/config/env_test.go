package config

import (
	"reflect"
	"slices"
	"testing"
)

func TestLoadEnvOverrides(t *testing.T) {
	tests := []struct {
		name  string
		value string
		got   func(*Config) any
		want  any
	}{
		{"MCPGATE_ADDR", "0.0.0.0:9000", func(c *Config) any { return c.Addr }, "0.0.0.0:9000"},
		{"MCPGATE_PUBLIC_URL", "https://mcp.example.com", func(c *Config) any { return c.PublicURL }, "https://mcp.example.com"},
		{"MCPGATE_REDIS_URL", "redis://localhost:6379/2", func(c *Config) any { return c.Redis.URL.Reveal() }, "redis://localhost:6379/2"},
		{"MCPGATE_SECRET", testSecret, func(c *Config) any { return c.Secret.Reveal() }, testSecret},
		{"MCPGATE_PREVIOUS_SECRETS", " aa , bb,,cc ", func(c *Config) any {
			var out []string
			for _, s := range c.PreviousSecrets {
				out = append(out, s.Reveal())
			}
			return out
		}, []string{"aa", "bb", "cc"}},
		{"GITHUB_CLIENT_ID", "gh-id", func(c *Config) any { return c.GitHub.ClientID }, "gh-id"},
		{"GITHUB_CLIENT_SECRET", "gh-secret", func(c *Config) any { return c.GitHub.ClientSecret.Reveal() }, "gh-secret"},
		{"GITHUB_BASE_URL", "https://ghe.example.com", func(c *Config) any { return c.GitHub.BaseURL }, "https://ghe.example.com"},
		{"GOOGLE_CLIENT_ID", "g-id", func(c *Config) any { return c.Google.ClientID }, "g-id"},
		{"GOOGLE_CLIENT_SECRET", "g-secret", func(c *Config) any { return c.Google.ClientSecret.Reveal() }, "g-secret"},
		{"OIDC_ISSUER_URL", "https://issuer.example.com", func(c *Config) any { return c.OIDC.IssuerURL }, "https://issuer.example.com"},
		{"OIDC_CLIENT_ID", "o-id", func(c *Config) any { return c.OIDC.ClientID }, "o-id"},
		{"OIDC_CLIENT_SECRET", "o-secret", func(c *Config) any { return c.OIDC.ClientSecret.Reveal() }, "o-secret"},
		{"MCPGATE_ALLOWED_ORIGINS", "https://a.example, https://b.example", func(c *Config) any { return c.AllowedOrigins }, []string{"https://a.example", "https://b.example"}},
		{"MCPGATE_LOG_LEVEL", "debug", func(c *Config) any { return c.LogLevel }, "debug"},
		{"MCPGATE_LOG_FORMAT", "json", func(c *Config) any { return c.LogFormat }, "json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load("", envMap(map[string]string{tt.name: tt.value}))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.got(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s=%q: got %v, want %v", tt.name, tt.value, got, tt.want)
			}
		})
	}

	// Every variable of DESIGN.md's table is bound.
	var bound []string
	for _, b := range envBindings() {
		bound = append(bound, b.name)
	}
	for _, name := range []string{
		"MCPGATE_ADDR", "MCPGATE_PUBLIC_URL", "MCPGATE_REDIS_URL", "MCPGATE_SECRET", "MCPGATE_PREVIOUS_SECRETS",
		"GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GITHUB_BASE_URL", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET",
		"OIDC_ISSUER_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET",
	} {
		if !slices.Contains(bound, name) {
			t.Errorf("%s is not bound to the configuration", name)
		}
	}
}
