package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string // every problem, exactly
	}{
		{"valid defaults", func(*Config) {}, nil},
		{"valid https public URL", func(c *Config) { c.PublicURL = "https://mcp.example.com" }, nil},
		{"valid loopback IPv4", func(c *Config) { c.PublicURL = "http://127.0.0.1:9000" }, nil},
		{"valid loopback IPv6", func(c *Config) { c.PublicURL = "http://[::1]:8080" }, nil},
		{"valid Redis with secret", func(c *Config) {
			c.Redis.URL = NewSecret("rediss://user:pw@redis.example.com:6380/1?dial_timeout=3s")
			c.Secret = NewSecret(testSecret)
			c.PreviousSecrets = []Secret{NewSecret("ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=")}
		}, nil},
		{"valid sentinel", func(c *Config) {
			c.Redis.Sentinel = SentinelConfig{MasterName: "m", Addrs: []string{"s1:26379"}}
			c.Redis.TLS = true
			c.Secret = NewSecret(testSecret)
		}, nil},
		{"valid GHES on loopback, Google and OIDC", func(c *Config) {
			c.GitHub.BaseURL = "http://127.0.0.1:3000"
			c.Google = GoogleConfig{ClientID: "g", ClientSecret: NewSecret("gs")}
			c.OIDC = OIDCConfig{IssuerURL: "https://tenant.auth0.example.com/", ClientID: "o", ClientSecret: NewSecret("os")}
		}, nil},
		{"valid Google alone", func(c *Config) {
			c.GitHub.ClientID, c.GitHub.ClientSecret = "", Secret{}
			c.Google = GoogleConfig{ClientID: "g", ClientSecret: NewSecret("gs")}
		}, nil},
		{"valid zero grace and upper-case level", func(c *Config) { c.Tokens.RefreshGrace = 0; c.LogLevel = "DEBUG" }, nil},

		{"public URL http on a public host", func(c *Config) { c.PublicURL = "http://example.com" },
			[]string{"MCPGATE_PUBLIC_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got http://example.com"}},
		{"public URL trailing slash", func(c *Config) { c.PublicURL = "https://mcp.example.com/" },
			[]string{"MCPGATE_PUBLIC_URL must be an origin without path, query or trailing slash: got https://mcp.example.com/"}},
		{"public URL with path", func(c *Config) { c.PublicURL = "https://example.com/mcpgate" },
			[]string{"MCPGATE_PUBLIC_URL must be an origin without path, query or trailing slash: got https://example.com/mcpgate"}},
		{"public URL with query", func(c *Config) { c.PublicURL = "https://example.com?x=1" },
			[]string{"MCPGATE_PUBLIC_URL must be an origin without path, query or trailing slash: got https://example.com?x=1"}},
		{"public URL upper case", func(c *Config) { c.PublicURL = "https://MCP.example.com" },
			[]string{"MCPGATE_PUBLIC_URL must be written in lower case: got https://MCP.example.com"}},
		{"public URL default port", func(c *Config) { c.PublicURL = "https://mcp.example.com:443" },
			[]string{"MCPGATE_PUBLIC_URL must leave out the default port: got https://mcp.example.com:443"}},
		{"public URL user info", func(c *Config) { c.PublicURL = "https://u:pw@mcp.example.com" },
			[]string{"MCPGATE_PUBLIC_URL must not contain user information: got https://u:xxxxx@mcp.example.com"}},
		{"public URL not absolute", func(c *Config) { c.PublicURL = "mcp.example.com" },
			[]string{`MCPGATE_PUBLIC_URL must be an absolute URL such as https://mcp.example.com: got "mcp.example.com"`}},
		{"public URL empty", func(c *Config) { c.PublicURL = "" },
			[]string{"MCPGATE_PUBLIC_URL is empty: set it to the origin clients use to reach mcpgate, such as https://mcp.example.com (or http://localhost:8080 locally)"}},

		{"addr without port", func(c *Config) { c.Addr = "8080" },
			[]string{`MCPGATE_ADDR must be host:port, such as 127.0.0.1:8080: got "8080"`}},
		{"addr bad port", func(c *Config) { c.Addr = "127.0.0.1:99999" },
			[]string{`MCPGATE_ADDR has an invalid port: want a number from 0 to 65535, got "99999"`}},
		{"allowed origins", func(c *Config) {
			c.AllowedOrigins = []string{"http://localhost:6274", "*", "http://localhost:6274/", "localhost:6274", "ftp://x.example"}
		}, []string{
			`MCPGATE_ALLOWED_ORIGINS entry 2 is "*": list each browser origin explicitly, such as http://localhost:6274`,
			"MCPGATE_ALLOWED_ORIGINS entry 3 must be an origin without path, query or trailing slash, such as http://localhost:6274: got http://localhost:6274/",
			`MCPGATE_ALLOWED_ORIGINS entry 4 must be an absolute URL such as https://mcp.example.com, such as http://localhost:6274: got "localhost:6274"`,
			"MCPGATE_ALLOWED_ORIGINS entry 5 must be an http:// or https:// origin, such as http://localhost:6274: got ftp://x.example",
		}},

		{"Redis without secret", func(c *Config) { c.Redis.URL = NewSecret("redis://localhost:6379") },
			[]string{"MCPGATE_SECRET is required with Redis: generate one with `openssl rand -hex 32`"}},
		{"secret too short", func(c *Config) { c.Secret = NewSecret("00112233445566778899aabbccddeeff") },
			[]string{"MCPGATE_SECRET is invalid: " + parseSecretProblem("00112233445566778899aabbccddeeff") + "; generate one with `openssl rand -hex 32`"}},
		{"secret not encoded", func(c *Config) { c.Secret = NewSecret("not hex, not base64!") },
			[]string{"MCPGATE_SECRET is invalid: " + parseSecretProblem("not hex, not base64!") + "; generate one with `openssl rand -hex 32`"}},
		{"previous secrets", func(c *Config) {
			c.Secret = NewSecret(testSecret)
			c.PreviousSecrets = []Secret{NewSecret(testSecret), {}, NewSecret("abcd")}
		}, []string{
			"MCPGATE_PREVIOUS_SECRETS entry 2 is empty",
			"MCPGATE_PREVIOUS_SECRETS entry 3 is invalid: " + parseSecretProblem("abcd"),
		}},
		{"previous secrets without a secret", func(c *Config) { c.PreviousSecrets = []Secret{NewSecret(testSecret)} },
			[]string{"MCPGATE_PREVIOUS_SECRETS is set but MCPGATE_SECRET is empty: set MCPGATE_SECRET to the current secret"}},

		{"Redis URL scheme", func(c *Config) {
			c.Secret = NewSecret(testSecret)
			c.Redis.URL = NewSecret("http://localhost:6379")
		}, []string{`MCPGATE_REDIS_URL must start with redis:// or rediss:// (TLS): got scheme "http"`}},
		{"Redis URL bad database", func(c *Config) {
			c.Secret = NewSecret(testSecret)
			c.Redis.URL = NewSecret("redis://:pw@localhost:6379/zero")
		}, []string{`MCPGATE_REDIS_URL is invalid: redis: invalid database number: "zero"`}},
		{"Redis URL unparsable", func(c *Config) {
			c.Secret = NewSecret(testSecret)
			c.Redis.URL = NewSecret("redis://:p%zz@localhost:6379")
		}, []string{"MCPGATE_REDIS_URL is not a valid URL: use redis://[user:password@]host:port[/db] or rediss://… for TLS"}},
		{"Redis URL skips verification", func(c *Config) {
			c.Secret = NewSecret(testSecret)
			c.Redis.URL = NewSecret("rediss://localhost:6380?skip_verify=true")
		}, []string{"MCPGATE_REDIS_URL must not disable TLS certificate verification (skip_verify)"}},
		{"Redis URL with tls flag", func(c *Config) {
			c.Secret = NewSecret(testSecret)
			c.Redis.URL = NewSecret("redis://localhost:6379")
			c.Redis.TLS = true
		}, []string{"redis.tls applies to redis.sentinel and redis.cluster: for MCPGATE_REDIS_URL use the rediss:// scheme"}},
		{"Redis two modes and incomplete sentinel", func(c *Config) {
			c.Secret = NewSecret(testSecret)
			c.Redis.Cluster.Addrs = []string{"c1:6379", "c2"}
			c.Redis.Sentinel.Password = NewSecret("pw")
		}, []string{
			"set only one of MCPGATE_REDIS_URL, redis.sentinel and redis.cluster",
			"redis.sentinel.master_name is empty: set the name the sentinels know the primary by (often mymaster)",
			"redis.sentinel.addrs is empty: list the sentinels as host:port (usually port 26379)",
			`redis.cluster.addrs entry 2 must be host:port: got "c2"`,
		}},
		{"Redis tls alone", func(c *Config) { c.Redis.TLS = true },
			[]string{"redis.tls is set but neither redis.sentinel nor redis.cluster is configured"}},

		{"no provider", func(c *Config) {
			c.PublicURL = "https://mcp.example.com"
			c.GitHub.ClientID, c.GitHub.ClientSecret = "", Secret{}
		}, []string{"GITHUB_CLIENT_ID is empty: create an OAuth App at https://github.com/settings/developers (callback URL https://mcp.example.com/oauth/callback/github) and set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in .env (or configure Google or an OIDC issuer; to try mcpgate without any credentials, run `mcpgate demo`)"}},
		{"no provider on GHES", func(c *Config) {
			c.GitHub = GitHubConfig{BaseURL: "https://ghe.example.com", Scopes: []string{"repo"}}
		}, []string{"GITHUB_CLIENT_ID is empty: create an OAuth App at https://ghe.example.com/settings/developers (callback URL http://localhost:8080/oauth/callback/github) and set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in .env (or configure Google or an OIDC issuer; to try mcpgate without any credentials, run `mcpgate demo`)"}},
		{"GitHub secret missing", func(c *Config) { c.GitHub.ClientSecret = Secret{} },
			[]string{"GITHUB_CLIENT_SECRET is empty but GITHUB_CLIENT_ID is set: generate a client secret on the OAuth App's page at https://github.com/settings/developers and set GITHUB_CLIENT_SECRET in .env"}},
		{"GitHub ID missing", func(c *Config) { c.GitHub.ClientID = "" },
			[]string{"GITHUB_CLIENT_ID is empty but GITHUB_CLIENT_SECRET is set: copy the Client ID from the OAuth App's page at https://github.com/settings/developers (callback URL http://localhost:8080/oauth/callback/github) into GITHUB_CLIENT_ID in .env"}},
		{"GitHub base URL http on a public host", func(c *Config) { c.GitHub.BaseURL = "http://ghe.example.com" },
			[]string{"GITHUB_BASE_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got http://ghe.example.com"}},
		{"GitHub base URL with path", func(c *Config) { c.GitHub.BaseURL = "https://ghe.example.com/api/v3" },
			[]string{"GITHUB_BASE_URL must be an origin without path, query or trailing slash, such as https://github.com or https://github.example.com: got https://ghe.example.com/api/v3"}},
		{"GitHub scopes", func(c *Config) { c.GitHub.Scopes = []string{"repo", "read user", "repo"} }, []string{
			`github.scopes entry 2 is not a valid scope name (printable ASCII without spaces, " or \): got "read user"`,
			`github.scopes lists "repo" twice`,
		}},
		{"Google half", func(c *Config) { c.Google.ClientID = "g" },
			[]string{"GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together: GOOGLE_CLIENT_SECRET is missing (create an OAuth client of type Web application at https://console.cloud.google.com/apis/credentials with redirect URI http://localhost:8080/oauth/callback/google)"}},
		{"OIDC incomplete and insecure", func(c *Config) { c.OIDC.IssuerURL = "http://issuer.example.com" }, []string{
			"OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET missing (register redirect URI http://localhost:8080/oauth/callback/oidc at your issuer)",
			"OIDC_ISSUER_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got http://issuer.example.com",
		}},
		{"OIDC issuer with query", func(c *Config) {
			c.OIDC = OIDCConfig{IssuerURL: "https://issuer.example.com?tenant=1", ClientID: "o", ClientSecret: NewSecret("os")}
		}, []string{"OIDC_ISSUER_URL must not contain user information, a query or a fragment: got https://issuer.example.com?tenant=1"}},

		{"token lifetimes", func(c *Config) {
			c.Tokens = TokenConfig{AccessTTL: 0, RefreshTTL: -time.Hour, CodeTTL: 11 * time.Minute, RefreshGrace: -time.Second}
		}, []string{
			"tokens.access_ttl must be positive, such as 1h: got 0s",
			"tokens.refresh_ttl must be positive, such as 720h: got -1h0m0s",
			"tokens.code_ttl must be at most 10m (authorization codes are short-lived, RFC 6749 §4.1.2): got 11m0s",
			"tokens.refresh_grace must not be negative (0 disables it): got -1s",
		}},
		{"grace and refresh relative to access", func(c *Config) {
			c.Tokens = TokenConfig{AccessTTL: time.Minute, RefreshTTL: 30 * time.Second, CodeTTL: 0, RefreshGrace: time.Minute}
		}, []string{
			"tokens.code_ttl must be positive, such as 5m: got 0s",
			"tokens.refresh_grace (1m0s) must be shorter than tokens.access_ttl (1m0s)",
			"tokens.refresh_ttl (30s) must not be shorter than tokens.access_ttl (1m0s)",
		}},
		{"scopes", func(c *Config) {
			c.Scopes = ScopeConfig{Supported: []string{"mcp:read"}, Default: []string{"mcp:read", "mcp:admin"}}
		},
			[]string{`scopes.default has "mcp:admin", which is not in scopes.supported`}},
		{"no scopes", func(c *Config) { c.Scopes = ScopeConfig{} }, []string{
			"scopes.supported is empty: list the scopes clients may request, such as mcp:read and mcp:write",
			"scopes.default is empty: list the scopes granted when a client requests none, such as mcp:read and mcp:write",
		}},
		{"logging", func(c *Config) { c.LogLevel = "verbose"; c.LogFormat = "xml" }, []string{
			`MCPGATE_LOG_LEVEL must be debug, info, warn or error: got "verbose"`,
			`MCPGATE_LOG_FORMAT must be text or json: got "xml"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.modify(cfg)
			err := cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if !slices.Equal(verr.Problems, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(verr.Problems, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// parseSecretProblem is what Validate says about a bad secret.
func parseSecretProblem(s string) string {
	_, err := tokens.ParseSecret(s)
	if err == nil {
		return "<valid>"
	}
	return secretProblem(err)
}

func TestValidateCollectsEverything(t *testing.T) {
	cfg := Default()
	cfg.PublicURL = "http://example.com"
	cfg.Redis.URL = NewSecret("redis://localhost:6379")
	cfg.Tokens.CodeTTL = time.Hour
	cfg.LogLevel = "loud"
	err := cfg.Validate()
	want := "invalid configuration:\n" +
		"  - MCPGATE_PUBLIC_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got http://example.com\n" +
		"  - MCPGATE_SECRET is required with Redis: generate one with `openssl rand -hex 32`\n" +
		"  - GITHUB_CLIENT_ID is empty: create an OAuth App at https://github.com/settings/developers (callback URL http://example.com/oauth/callback/github) and set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in .env (or configure Google or an OIDC issuer; to try mcpgate without any credentials, run `mcpgate demo`)\n" +
		"  - tokens.code_ttl must be at most 10m (authorization codes are short-lived, RFC 6749 §4.1.2): got 1h0m0s\n" +
		`  - MCPGATE_LOG_LEVEL must be debug, info, warn or error: got "loud"`
	if err == nil || err.Error() != want {
		t.Fatalf("Validate =\n%v\nwant\n%s", err, want)
	}
}
