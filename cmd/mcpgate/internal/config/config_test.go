package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers"
)

// testSecret is a valid 32-byte server secret in hex.
const testSecret = "3f9c1a7be2d04c58916a0fd3b7e24c19a85e6d2f07c4b3918e5a2d6f0b7c4e31"

// envMap is a getenv backed by a map.
func envMap(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// writeFile writes content to name in a fresh temporary directory and returns
// its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// validConfig is the smallest configuration that validates.
func validConfig() *Config {
	cfg := Default()
	cfg.GitHub.ClientID = "Iv1.0123456789abcdef"
	cfg.GitHub.ClientSecret = NewSecret("0123456789abcdef0123456789abcdef01234567")
	return cfg
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Fatalf("Load with nothing set = %+v, want the defaults", cfg)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"addr", cfg.Addr, "127.0.0.1:8080"},
		{"public_url", cfg.PublicURL, "http://localhost:8080"},
		{"github.base_url", cfg.GitHub.BaseURL, "https://github.com"},
		{"github.scopes", cfg.GitHub.Scopes, []string{"repo", "read:user", "user:email"}},
		{"tokens.access_ttl", cfg.Tokens.AccessTTL, time.Hour},
		{"tokens.refresh_ttl", cfg.Tokens.RefreshTTL, 720 * time.Hour},
		{"tokens.code_ttl", cfg.Tokens.CodeTTL, 5 * time.Minute},
		{"tokens.refresh_grace", cfg.Tokens.RefreshGrace, 30 * time.Second},
		{"scopes.supported", cfg.Scopes.Supported, []string{"mcp:read", "mcp:write"}},
		{"scopes.default", cfg.Scopes.Default, []string{"mcp:read", "mcp:write"}},
		{"allowed_origins", cfg.AllowedOrigins, []string{"http://localhost:6274", "http://127.0.0.1:6274"}},
		{"log_level", cfg.LogLevel, "info"},
		{"log_format", cfg.LogFormat, "text"},
		{"store", cfg.UsesRedis(), false},
		{"secret", cfg.Secret.IsZero(), true},
		{"providers", len(cfg.ProviderNames()), 0},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("default %s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("defaults plus GitHub credentials do not validate: %v", err)
	}
}

func TestLoadNilGetenv(t *testing.T) {
	if _, err := Load("", nil); err == nil {
		t.Fatal("Load with a nil getenv succeeded")
	}
}

func TestLoadPrecedence(t *testing.T) {
	path := writeFile(t, "config.yaml", "addr: 127.0.0.1:7000\npublic_url: https://from-yaml.example\nlog_level: warn\n")
	cfg, err := Load(path, envMap(map[string]string{
		"MCPGATE_ADDR":      "127.0.0.1:9000", // env beats YAML
		"MCPGATE_LOG_LEVEL": "",               // empty counts as unset: YAML stays
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"addr (env over YAML)", cfg.Addr, "127.0.0.1:9000"},
		{"public_url (YAML over default)", cfg.PublicURL, "https://from-yaml.example"},
		{"log_level (empty env ignored)", cfg.LogLevel, "warn"},
		{"log_format (default)", cfg.LogFormat, "text"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// dump shows a Config with its secrets, for test failure messages only.
func dump(c *Config) string {
	reveal := func(s Secret) string { return s.Reveal() }
	return fmt.Sprintf("%+v secret=%q redis.url=%q github=%q", *c, reveal(c.Secret), reveal(c.Redis.URL), reveal(c.GitHub.ClientSecret))
}

// TestConfigExample loads config.example.yaml as it is, as a new user
// would: with GitHub credentials only (the in-memory store needs no
// MCPGATE_SECRET, as the file says), and with Redis and a secret from the
// environment.
func TestConfigExample(t *testing.T) {
	env := map[string]string{
		"GITHUB_CLIENT_ID":     "Iv1.example",
		"GITHUB_CLIENT_SECRET": "example-client-secret",
	}
	const path = "../../../../config.example.yaml"
	cfg, err := Load(path, envMap(env))
	if err != nil {
		t.Fatalf("config.example.yaml without MCPGATE_SECRET does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config.example.yaml without MCPGATE_SECRET (in-memory store) does not validate: %v", err)
	}
	withRedis := maps.Clone(env)
	withRedis["MCPGATE_SECRET"] = testSecret
	withRedis["MCPGATE_REDIS_URL"] = "redis://127.0.0.1:6379/0"
	redisCfg, err := Load(path, envMap(withRedis))
	if err != nil {
		t.Fatalf("config.example.yaml with Redis does not load: %v", err)
	}
	if err := redisCfg.Validate(); err != nil {
		t.Fatalf("config.example.yaml with Redis and MCPGATE_SECRET does not validate: %v", err)
	}
	if redisCfg.Secret.Reveal() != testSecret || !redisCfg.UsesRedis() {
		t.Errorf("config.example.yaml did not take MCPGATE_SECRET and MCPGATE_REDIS_URL from the environment")
	}
	withRedis["MCPGATE_SECRET"] = ""
	if err := mustLoad(t, path, withRedis).Validate(); err == nil || !strings.Contains(err.Error(), "MCPGATE_SECRET is required with Redis") {
		t.Errorf("config.example.yaml with Redis and no secret: %v, want MCPGATE_SECRET is required with Redis", err)
	}
	// Apart from the ${VAR}s, the example shows the defaults.
	want := Default()
	want.GitHub.ClientID = env["GITHUB_CLIENT_ID"]
	want.GitHub.ClientSecret = NewSecret(env["GITHUB_CLIENT_SECRET"])
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config.example.yaml =\n%s\nwant the defaults\n%s", dump(cfg), dump(want))
	}
	// Its secrets are references: without the environment it does not load.
	if _, err := Load(path, envMap(nil)); err == nil || !strings.Contains(err.Error(), "GITHUB_CLIENT_SECRET is not set") {
		t.Errorf("config.example.yaml without the environment: %v, want GITHUB_CLIENT_SECRET is not set", err)
	}

	// .env.example names only known variables and holds no values.
	src, err := os.ReadFile("../../../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	vars, err := parseDotEnv(".env.example", src)
	if err != nil {
		t.Fatalf(".env.example does not parse: %v", err)
	}
	var bound []string
	for _, b := range envBindings() {
		bound = append(bound, b.name)
	}
	for _, name := range bound {
		if _, ok := vars[name]; !ok {
			t.Errorf(".env.example lacks %s", name)
		}
	}
	for name, value := range vars {
		if !slices.Contains(bound, name) {
			t.Errorf(".env.example names %s, which mcpgate does not read", name)
		}
		if value != "" {
			t.Errorf(".env.example sets %s to a value; it should only name it", name)
		}
	}
}

func mustLoad(t *testing.T, path string, env map[string]string) *Config {
	t.Helper()
	cfg, err := Load(path, envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestURLHelpers(t *testing.T) {
	cfg := validConfig()
	cfg.PublicURL = "https://mcp.example.com"
	tests := []struct{ got, want string }{
		{cfg.CallbackURL("github"), "https://mcp.example.com/oauth/callback/github"},
		{cfg.CallbackURL("oidc"), "https://mcp.example.com/oauth/callback/oidc"},
		{cfg.ResourceURL(), "https://mcp.example.com/mcp"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// Issue 10 item 5: tokens.refresh_grace: 0 must reach the handlers as "no
// grace", not as their zero (the 30 s default).
func TestRefreshGraceZeroMeansNone(t *testing.T) {
	for _, tc := range []struct {
		grace time.Duration
		want  time.Duration
	}{
		{0, handlers.NoRefreshGrace},
		{10 * time.Second, 10 * time.Second},
	} {
		if got := (TokenConfig{RefreshGrace: tc.grace}).HandlerRefreshGrace(); got != tc.want {
			t.Errorf("HandlerRefreshGrace of %v = %v, want %v", tc.grace, got, tc.want)
		}
	}
}
