package config

import "strings"

// envBinding maps one environment variable onto the configuration.
type envBinding struct {
	name  string
	apply func(c *Config, value string)
}

// envBindings is the table of environment variables, in DESIGN.md order.
func envBindings() []envBinding {
	return append([]envBinding{
		{"MCPGATE_ADDR", func(c *Config, v string) { c.Addr = v }},
		{"MCPGATE_PUBLIC_URL", func(c *Config, v string) { c.PublicURL = v }},
		{"MCPGATE_REDIS_URL", func(c *Config, v string) { c.Redis.URL = NewSecret(v) }},
		{"MCPGATE_SECRET", func(c *Config, v string) { c.Secret = NewSecret(v) }},
		{"MCPGATE_PREVIOUS_SECRETS", func(c *Config, v string) {
			c.PreviousSecrets = nil
			for _, s := range splitList(v) {
				c.PreviousSecrets = append(c.PreviousSecrets, NewSecret(s))
			}
		}},
		{"GITHUB_CLIENT_ID", func(c *Config, v string) { c.GitHub.ClientID = v }},
		{"GITHUB_CLIENT_SECRET", func(c *Config, v string) { c.GitHub.ClientSecret = NewSecret(v) }},
		{"GITHUB_BASE_URL", func(c *Config, v string) { c.GitHub.BaseURL = v }},
		{"GOOGLE_CLIENT_ID", func(c *Config, v string) { c.Google.ClientID = v }},
		{"GOOGLE_CLIENT_SECRET", func(c *Config, v string) { c.Google.ClientSecret = NewSecret(v) }},
		{"GOOGLE_HOSTED_DOMAIN", func(c *Config, v string) { c.Google.HostedDomain = v }},
		{"OIDC_ISSUER_URL", func(c *Config, v string) { c.OIDC.IssuerURL = v }},
		{"OIDC_CLIENT_ID", func(c *Config, v string) { c.OIDC.ClientID = v }},
		{"OIDC_CLIENT_SECRET", func(c *Config, v string) { c.OIDC.ClientSecret = NewSecret(v) }},
		{"OIDC_DISPLAY_NAME", func(c *Config, v string) { c.OIDC.DisplayName = v }},
		{"MCPGATE_ALLOWED_ORIGINS", func(c *Config, v string) { c.AllowedOrigins = splitList(v) }},
		{"MCPGATE_LOG_LEVEL", func(c *Config, v string) { c.LogLevel = v }},
		{"MCPGATE_LOG_FORMAT", func(c *Config, v string) { c.LogFormat = v }},
		{"MCPGATE_TLS_CERT_FILE", func(c *Config, v string) { c.TLS.CertFile = v }},
		{"MCPGATE_TLS_KEY_FILE", func(c *Config, v string) { c.TLS.KeyFile = v }},
		{"MCPGATE_BACKEND_URL", func(c *Config, v string) { c.BackendURL = v }},
	}, observeBindings()...)
}

// splitList splits a comma-separated list, trimming spaces and dropping empty
// entries.
func splitList(v string) []string {
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
