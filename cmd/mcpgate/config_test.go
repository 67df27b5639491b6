package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/mcpgate/mcpgate/tokens"
)

// testSecret is a valid 32-byte server secret in hex.
const testSecret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

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
	cfg := defaultConfig()
	cfg.GitHub.ClientID = "Iv1.0123456789abcdef"
	cfg.GitHub.ClientSecret = newSecret("0123456789abcdef0123456789abcdef01234567")
	return cfg
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, defaultConfig()) {
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

func TestLoadYAML(t *testing.T) {
	const file = `
addr: 0.0.0.0:8443
public_url: https://mcp.example.com
secret: 0011
previous_secrets: [aa, bb]
redis:
  sentinel:
    master_name: mymaster
    addrs: [s1:26379, s2:26379]
    username: u
    password: p
    sentinel_password: sp
  tls: true
github:
  client_id: id
  client_secret: sec
  base_url: https://ghe.example.com
  scopes: [repo]
google:
  client_id: gid
  client_secret: gsec
oidc:
  issuer_url: https://issuer.example.com/realms/x
  client_id: oid
  client_secret: osec
tokens:
  access_ttl: 2h
  code_ttl: 90s
scopes:
  supported: [a, b]
  default: [a]
allowed_origins: [https://inspector.example.com]
log_level: debug
log_format: json
`
	cfg, err := Load(writeFile(t, "config.yaml", file), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Addr:            "0.0.0.0:8443",
		PublicURL:       "https://mcp.example.com",
		Secret:          newSecret("0011"),
		PreviousSecrets: []Secret{newSecret("aa"), newSecret("bb")},
		Redis: RedisConfig{
			Sentinel: SentinelConfig{
				MasterName: "mymaster", Addrs: []string{"s1:26379", "s2:26379"},
				Username: "u", Password: newSecret("p"), SentinelPassword: newSecret("sp"),
			},
			TLS: true,
		},
		GitHub: GitHubConfig{ClientID: "id", ClientSecret: newSecret("sec"), BaseURL: "https://ghe.example.com", Scopes: []string{"repo"}},
		Google: GoogleConfig{ClientID: "gid", ClientSecret: newSecret("gsec")},
		OIDC:   OIDCConfig{IssuerURL: "https://issuer.example.com/realms/x", ClientID: "oid", ClientSecret: newSecret("osec")},
		// refresh_ttl and refresh_grace are not in the file: defaults survive.
		Tokens:         TokenConfig{AccessTTL: 2 * time.Hour, RefreshTTL: 720 * time.Hour, CodeTTL: 90 * time.Second, RefreshGrace: 30 * time.Second},
		Scopes:         ScopeConfig{Supported: []string{"a", "b"}, Default: []string{"a"}},
		AllowedOrigins: []string{"https://inspector.example.com"},
		LogLevel:       "debug",
		LogFormat:      "json",
		Limits:         defaultLimits(),
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Load =\n%s\nwant\n%s", dump(cfg), dump(want))
	}
}

// dump shows a Config with its secrets, for test failure messages only.
func dump(c *Config) string {
	reveal := func(s Secret) string { return s.Reveal() }
	return fmt.Sprintf("%+v secret=%q redis.url=%q github=%q", *c, reveal(c.Secret), reveal(c.Redis.URL), reveal(c.GitHub.ClientSecret))
}

func TestLoadYAMLKeepsDefaults(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{"empty file", ""},
		{"comments only", "# nothing here\n"},
		{"keys without values", "addr:\ngithub:\n  scopes:\ntokens:\nallowed_origins:\nscopes:\n  default:\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(writeFile(t, "config.yaml", tt.file), envMap(nil))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg, defaultConfig()) {
				t.Errorf("Load = %+v, want the defaults", cfg)
			}
		})
	}
}

func TestLoadYAMLAnchors(t *testing.T) {
	const file = `
scopes:
  supported: &all [a, b]
  default: *all
google: &creds
  client_id: shared-id
  client_secret: ${SEC}
oidc:
  <<: *creds
  issuer_url: https://issuer.example.com
`
	cfg, err := Load(writeFile(t, "config.yaml", file), envMap(map[string]string{"SEC": "pa$${x}"}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Scopes.Default, []string{"a", "b"}) {
		t.Errorf("alias: scopes.default = %v", cfg.Scopes.Default)
	}
	// The anchored value is expanded once: the "$${" in the variable's value
	// is not processed again.
	if cfg.OIDC.ClientID != "shared-id" || cfg.OIDC.ClientSecret.Reveal() != "pa$${x}" || cfg.Google.ClientSecret.Reveal() != "pa$${x}" {
		t.Errorf("merge: oidc = %q %q, google secret %q", cfg.OIDC.ClientID, cfg.OIDC.ClientSecret.Reveal(), cfg.Google.ClientSecret.Reveal())
	}
}

func TestLoadYAMLErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // substrings of the error
	}{
		{
			name: "unknown top-level key",
			file: "addr: 127.0.0.1:8080\npublic_ur: https://x.example\n",
			want: []string{"config.yaml:2:", `unknown key "public_ur" at the top level`, "public_url"},
		},
		{
			name: "unknown nested key",
			file: "github:\n  client_id: x\n\n  client_secrt: y\n",
			want: []string{"config.yaml:4:", `unknown key "client_secrt" in github`, "valid keys: base_url, client_id, client_secret, scopes"},
		},
		{
			name: "unknown key two levels down",
			file: "redis:\n  sentinel:\n    master: m\n",
			want: []string{"config.yaml:3:", `unknown key "master" in redis.sentinel`},
		},
		{
			name: "several unknown keys at once",
			file: "adr: x\nlog_levle: debug\n",
			want: []string{"config.yaml:1:", `"adr"`, "config.yaml:2:", `"log_levle"`},
		},
		{
			name: "top level not a mapping",
			file: "- a\n- b\n",
			want: []string{"the top level must be a mapping"},
		},
		{
			name: "two documents",
			file: "addr: a:1\n---\naddr: b:2\n",
			want: []string{"exactly one YAML document"},
		},
		{
			name: "wrong type",
			file: "tokens:\n  access_ttl: soon\n",
			want: []string{"line 2", "time.Duration"},
		},
		{
			name: "list where a string belongs",
			file: "log_level: [a, b]\n",
			want: []string{"line 1"},
		},
		{
			name: "duplicate key",
			file: "addr: a:1\naddr: b:2\n",
			want: []string{`"addr" already defined`},
		},
		{
			name: "syntax error",
			file: "addr: [\n",
			want: []string{"config.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "config.yaml", tt.file), envMap(nil))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), envMap(nil)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v, want ErrNotExist", err)
	}
}

func TestLoadYAMLExpansion(t *testing.T) {
	env := map[string]string{
		"GH_ID":     "id-from-env",
		"GH_SECRET": "s3cr$t with: yaml # chars\n- and a newline",
		"HOST":      "mcp.example.com",
		"TTL":       "2h",
		"ORIGIN":    "https://inspector.example.com",
		"LEVEL":     "warn",
	}
	const file = `
public_url: https://${HOST}
github:
  client_id: ${GH_ID}
  client_secret: ${GH_SECRET}
  scopes: ["literal$dollar", "$HOME", "a$", "$${NOT_A_REF}", "x$${Y}z${LEVEL}"]
google:
  client_id: 'pa$$word${GH_ID}'
  client_secret: "${GH_ID}-${GH_ID}"
allowed_origins: ["${ORIGIN}"]
tokens:
  access_ttl: ${TTL}
log_level: ${LEVEL}
`
	cfg, err := Load(writeFile(t, "config.yaml", file), envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"inside a value", cfg.PublicURL, "https://mcp.example.com"},
		{"whole value", cfg.GitHub.ClientID, "id-from-env"},
		{"secret with YAML syntax stays verbatim", cfg.GitHub.ClientSecret.Reveal(), env["GH_SECRET"]},
		{"literal dollars and $${ escape", cfg.GitHub.Scopes, []string{"literal$dollar", "$HOME", "a$", "${NOT_A_REF}", "x${Y}zwarn"}},
		{"single-quoted", cfg.Google.ClientID, "pa$$wordid-from-env"},
		{"two references", cfg.Google.ClientSecret.Reveal(), "id-from-env-id-from-env"},
		{"in a list", cfg.AllowedOrigins, []string{"https://inspector.example.com"}},
		{"duration", cfg.Tokens.AccessTTL, 2 * time.Hour},
		{"log level", cfg.LogLevel, "warn"},
		{"keys are not expanded, untouched values stay", cfg.Addr, defaultAddr},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadYAMLExpansionErrors(t *testing.T) {
	const leaked = "hunter2-do-not-print"
	env := map[string]string{"SECRETISH": leaked, "EMPTY": ""}
	tests := []struct {
		name string
		file string
		want []string
	}{
		{
			name: "unset variable",
			file: "github:\n  client_secret: ${GITHUB_CLIENT_SECRET}\n",
			want: []string{"config.yaml:2:", "github.client_secret", "GITHUB_CLIENT_SECRET is not set"},
		},
		{
			name: "empty variable counts as unset",
			file: "addr: ${EMPTY}\n",
			want: []string{"config.yaml:1:", "EMPTY is not set"},
		},
		{
			name: "every unset variable is reported",
			file: "secret: ${ONE}\ngithub:\n  client_id: ${TWO}-${THREE}\n",
			want: []string{"config.yaml:1:", "ONE is not set", "config.yaml:3:", "TWO is not set", "THREE is not set"},
		},
		{
			name: "unterminated reference",
			file: "addr: ${HOST\n",
			want: []string{"config.yaml:1:", "addr", `unterminated "${"`},
		},
		{
			name: "malformed name",
			file: "addr: ${1HOST}\n",
			want: []string{"config.yaml:1:", "malformed reference ${1HOST}"},
		},
		{
			name: "reference in a boolean",
			file: "redis:\n  tls: ${SECRETISH}\n",
			want: []string{"config.yaml:2:", "redis.tls", "only in strings, secrets and durations"},
		},
		{
			name: "expanded value is not a duration",
			file: "tokens:\n  refresh_ttl: ${SECRETISH}\n",
			want: []string{"config.yaml:2:", "tokens.refresh_ttl", "not a duration"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "config.yaml", tt.file), envMap(env))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), leaked) {
				t.Errorf("error reveals an expanded value: %q", err)
			}
		})
	}
}

func TestLoadDotEnv(t *testing.T) {
	const (
		preset = "MCPGATE_TEST_PRESET"
		empty  = "MCPGATE_TEST_PRESET_EMPTY"
		fresh  = "MCPGATE_TEST_FRESH"
		quoted = "MCPGATE_TEST_QUOTED"
	)
	t.Setenv(preset, "from-environment")
	t.Setenv(empty, "")
	for _, name := range []string{fresh, quoted} {
		t.Setenv(name, "") // registers the restore
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
	path := writeFile(t, ".env", strings.Join([]string{
		"# comment",
		preset + "=from-file",
		empty + "=from-file",
		"",
		"export " + fresh + "=fresh-value",
		quoted + "='pa$word # not a comment'",
	}, "\n"))
	if err := LoadDotEnv(path); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, want string }{
		{preset, "from-environment"},
		{empty, ""},
		{fresh, "fresh-value"},
		{quoted, "pa$word # not a comment"},
	}
	for _, tt := range tests {
		if got := os.Getenv(tt.name); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, got, tt.want)
		}
	}

	if err := LoadDotEnv(filepath.Join(t.TempDir(), ".env")); err != nil {
		t.Errorf("missing .env: %v, want nil", err)
	}
}

func TestLoadDotEnvErrors(t *testing.T) {
	const leaked = "ghp_do-not-print-me"
	tests := []struct {
		name string
		file string
		want string
	}{
		{"bad character in a name", "A=1\n# c\n\nMY-VAR=" + leaked + "\nB=2\n", ".env line 4: cannot parse"},
		{"unterminated quote", "A=1\nB='" + leaked + "\nC=3\n", ".env line 2: cannot parse"},
		{"multi-line quote then a bad line", "A=\"one\ntwo\"\nB=" + leaked + "\nC D-E=1\n", ".env line 4: cannot parse"},
		{"line without =", "A=" + leaked + "\nJUSTANAME", `"" is not a valid variable name`},
		{"name with a dot", "a.b=" + leaked + "\n", `"a.b" is not a valid variable name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := LoadDotEnv(writeFile(t, ".env", tt.file))
			if err == nil {
				t.Fatal("LoadDotEnv succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), leaked) {
				t.Errorf("error reveals the file's content: %q", err)
			}
		})
	}
}

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
			c.Redis.URL = newSecret("rediss://user:pw@redis.example.com:6380/1?dial_timeout=3s")
			c.Secret = newSecret(testSecret)
			c.PreviousSecrets = []Secret{newSecret("ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=")}
		}, nil},
		{"valid sentinel", func(c *Config) {
			c.Redis.Sentinel = SentinelConfig{MasterName: "m", Addrs: []string{"s1:26379"}}
			c.Redis.TLS = true
			c.Secret = newSecret(testSecret)
		}, nil},
		{"valid GHES on loopback, Google and OIDC", func(c *Config) {
			c.GitHub.BaseURL = "http://127.0.0.1:3000"
			c.Google = GoogleConfig{ClientID: "g", ClientSecret: newSecret("gs")}
			c.OIDC = OIDCConfig{IssuerURL: "https://tenant.auth0.example.com/", ClientID: "o", ClientSecret: newSecret("os")}
		}, nil},
		{"valid Google alone", func(c *Config) {
			c.GitHub.ClientID, c.GitHub.ClientSecret = "", Secret{}
			c.Google = GoogleConfig{ClientID: "g", ClientSecret: newSecret("gs")}
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

		{"Redis without secret", func(c *Config) { c.Redis.URL = newSecret("redis://localhost:6379") },
			[]string{"MCPGATE_SECRET is required with Redis: generate one with `openssl rand -hex 32`"}},
		{"secret too short", func(c *Config) { c.Secret = newSecret("00112233445566778899aabbccddeeff") },
			[]string{"MCPGATE_SECRET is invalid: " + parseSecretProblem("00112233445566778899aabbccddeeff") + "; generate one with `openssl rand -hex 32`"}},
		{"secret not encoded", func(c *Config) { c.Secret = newSecret("not hex, not base64!") },
			[]string{"MCPGATE_SECRET is invalid: " + parseSecretProblem("not hex, not base64!") + "; generate one with `openssl rand -hex 32`"}},
		{"previous secrets", func(c *Config) {
			c.Secret = newSecret(testSecret)
			c.PreviousSecrets = []Secret{newSecret(testSecret), {}, newSecret("abcd")}
		}, []string{
			"MCPGATE_PREVIOUS_SECRETS entry 2 is empty",
			"MCPGATE_PREVIOUS_SECRETS entry 3 is invalid: " + parseSecretProblem("abcd"),
		}},
		{"previous secrets without a secret", func(c *Config) { c.PreviousSecrets = []Secret{newSecret(testSecret)} },
			[]string{"MCPGATE_PREVIOUS_SECRETS is set but MCPGATE_SECRET is empty: set MCPGATE_SECRET to the current secret"}},

		{"Redis URL scheme", func(c *Config) {
			c.Secret = newSecret(testSecret)
			c.Redis.URL = newSecret("http://localhost:6379")
		}, []string{`MCPGATE_REDIS_URL must start with redis:// or rediss:// (TLS): got scheme "http"`}},
		{"Redis URL bad database", func(c *Config) {
			c.Secret = newSecret(testSecret)
			c.Redis.URL = newSecret("redis://:pw@localhost:6379/zero")
		}, []string{`MCPGATE_REDIS_URL is invalid: redis: invalid database number: "zero"`}},
		{"Redis URL unparsable", func(c *Config) {
			c.Secret = newSecret(testSecret)
			c.Redis.URL = newSecret("redis://:p%zz@localhost:6379")
		}, []string{"MCPGATE_REDIS_URL is not a valid URL: use redis://[user:password@]host:port[/db] or rediss://… for TLS"}},
		{"Redis URL skips verification", func(c *Config) {
			c.Secret = newSecret(testSecret)
			c.Redis.URL = newSecret("rediss://localhost:6380?skip_verify=true")
		}, []string{"MCPGATE_REDIS_URL must not disable TLS certificate verification (skip_verify)"}},
		{"Redis URL with tls flag", func(c *Config) {
			c.Secret = newSecret(testSecret)
			c.Redis.URL = newSecret("redis://localhost:6379")
			c.Redis.TLS = true
		}, []string{"redis.tls applies to redis.sentinel and redis.cluster: for MCPGATE_REDIS_URL use the rediss:// scheme"}},
		{"Redis two modes and incomplete sentinel", func(c *Config) {
			c.Secret = newSecret(testSecret)
			c.Redis.Cluster.Addrs = []string{"c1:6379", "c2"}
			c.Redis.Sentinel.Password = newSecret("pw")
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
		}, []string{"GITHUB_CLIENT_ID is empty: create an OAuth App at https://github.com/settings/developers (callback URL https://mcp.example.com/oauth/callback/github) and set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in .env"}},
		{"no provider on GHES", func(c *Config) {
			c.GitHub = GitHubConfig{BaseURL: "https://ghe.example.com", Scopes: []string{"repo"}}
		}, []string{"GITHUB_CLIENT_ID is empty: create an OAuth App at https://ghe.example.com/settings/developers (callback URL http://localhost:8080/oauth/callback/github) and set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in .env"}},
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
			c.OIDC = OIDCConfig{IssuerURL: "https://issuer.example.com?tenant=1", ClientID: "o", ClientSecret: newSecret("os")}
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
	cfg := defaultConfig()
	cfg.PublicURL = "http://example.com"
	cfg.Redis.URL = newSecret("redis://localhost:6379")
	cfg.Tokens.CodeTTL = time.Hour
	cfg.LogLevel = "loud"
	err := cfg.Validate()
	want := "invalid configuration:\n" +
		"  - MCPGATE_PUBLIC_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got http://example.com\n" +
		"  - MCPGATE_SECRET is required with Redis: generate one with `openssl rand -hex 32`\n" +
		"  - GITHUB_CLIENT_ID is empty: create an OAuth App at https://github.com/settings/developers (callback URL http://example.com/oauth/callback/github) and set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in .env\n" +
		"  - tokens.code_ttl must be at most 10m (authorization codes are short-lived, RFC 6749 §4.1.2): got 1h0m0s\n" +
		`  - MCPGATE_LOG_LEVEL must be debug, info, warn or error: got "loud"`
	if err == nil || err.Error() != want {
		t.Fatalf("Validate =\n%v\nwant\n%s", err, want)
	}
}

// leakyConfigs are configurations full of distinctive secret values, valid
// and invalid, for TestSecretsNeverLeak.
func leakyConfigs() (map[string]*Config, []string) {
	secrets := []string{
		"5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2", // server secret (valid)
		"0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0", // previous secret (valid)
		"tooshort-serversecret",    // invalid server secret
		"gh-client-secret-LEAK1",   // GitHub
		"google-client-secret-LK2", // Google
		"oidc-client-secret-LEAK3", // OIDC
		"redis-url-password-LEAK4", // in MCPGATE_REDIS_URL
		"sentinel-password-LEAK5",
		"sentinel-sentinelpw-LEAK6",
		"cluster-password-LEAK7",
	}
	full := defaultConfig()
	full.Secret = newSecret(secrets[0])
	full.PreviousSecrets = []Secret{newSecret(secrets[1])}
	full.GitHub.ClientID = "gh-id"
	full.GitHub.ClientSecret = newSecret(secrets[3])
	full.Google = GoogleConfig{ClientID: "g-id", ClientSecret: newSecret(secrets[4])}
	full.OIDC = OIDCConfig{IssuerURL: "https://issuer.example.com", ClientID: "o-id", ClientSecret: newSecret(secrets[5])}
	full.Redis.URL = newSecret("rediss://mcpgate:" + secrets[6] + "@redis.example.com:6380/0?dial_timeout=2s")

	invalid := defaultConfig()
	invalid.Secret = newSecret(secrets[2])
	invalid.PreviousSecrets = []Secret{newSecret(secrets[2]), newSecret(secrets[3])}
	invalid.GitHub.ClientSecret = newSecret(secrets[3]) // without ID
	invalid.Google.ClientSecret = newSecret(secrets[4]) // without ID
	invalid.OIDC.ClientSecret = newSecret(secrets[5])   // without the rest
	invalid.Redis.URL = newSecret("redis://u:" + secrets[6] + "@localhost:6379/notadb")
	invalid.Redis.Sentinel = SentinelConfig{Password: newSecret(secrets[7]), SentinelPassword: newSecret(secrets[8])}
	invalid.Redis.Cluster = ClusterConfig{Password: newSecret(secrets[9])}

	unparsable := validConfig()
	unparsable.Secret = newSecret(testSecret)
	unparsable.Redis.URL = newSecret("redis://u:" + secrets[6] + "%zz@localhost:6379")

	return map[string]*Config{"full": full, "invalid": invalid, "unparsable redis url": unparsable}, secrets
}

func TestSecretsNeverLeak(t *testing.T) {
	configs, secrets := leakyConfigs()
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			outputs := map[string]string{
				"fmt": fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg) +
					fmt.Sprintf("%v %+v %#v %+v %#v", *cfg, *cfg, *cfg, cfg.Redis, cfg.GitHub) +
					fmt.Sprintf("%s %q %x %X %d %v %#v", cfg.Secret, cfg.Secret, cfg.Secret, cfg.Redis.URL, cfg.GitHub.ClientSecret, cfg.PreviousSecrets, cfg.PreviousSecrets),
				"String":   cfg.Secret.String() + cfg.Secret.GoString() + cfg.Redis.URL.String(),
				"slog":     slogOutput(cfg),
				"json":     mustJSON(t, cfg),
				"yaml":     mustYAML(t, cfg),
				"Validate": fmt.Sprint(cfg.Validate()),
			}
			if opts, err := cfg.RedisUniversalOptions(); err != nil {
				outputs["RedisUniversalOptions error"] = err.Error()
			} else if opts == nil {
				t.Error("RedisUniversalOptions returned nil options and no error")
			}
			for what, out := range outputs {
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("%s output reveals secret %q:\n%s", what, s, out)
					}
				}
			}
			// The checks above are not vacuous: the outputs show the
			// configuration, with its secrets redacted.
			for what, out := range outputs {
				if what == "Validate" || strings.HasPrefix(what, "Redis") {
					continue
				}
				if !strings.Contains(out, "[redacted]") {
					t.Errorf("%s output has no [redacted] marker:\n%s", what, out)
				}
			}
			if !strings.Contains(outputs["slog"], `"public_url":"http://localhost:8080"`) {
				t.Errorf("slog JSON output lacks the public URL:\n%s", outputs["slog"])
			}
		})
	}
	if (Secret{}).String() != "" || fmt.Sprint(Secret{}) != "" {
		t.Error("an empty secret does not print as empty")
	}
}

// slogOutput logs cfg and parts of it through the JSON and text handlers.
func slogOutput(cfg *Config) string {
	var buf bytes.Buffer
	attrs := []any{
		slog.Any("config", cfg),
		slog.Any("config_value", *cfg),
		slog.Any("github", cfg.GitHub),
		slog.Any("redis", cfg.Redis),
		slog.Any("secret", cfg.Secret),
		slog.Any("previous", cfg.PreviousSecrets),
	}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("configuration", attrs...)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configuration", attrs...)
	return buf.String()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSecretBytes(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  int // decoded length; 0 means nil
	}{
		{"hex", testSecret, 32},
		{"hex with surrounding space", " " + testSecret + "\n", 32},
		{"base64", "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=", 32},
		{"base64url unpadded", "ABEiM0RVZneImaq7zN3u_wARIjNEVWZ3iJmqu8zd7v8", 32},
		{"empty", "", 0},
		{"too short", "abcd", 0},
		{"garbage", "not a secret at all, not at all, no", 0},
	}
	for _, tt := range tests {
		if got := newSecret(tt.value).Bytes(); len(got) != tt.want {
			t.Errorf("%s: Bytes() has %d bytes, want %d", tt.name, len(got), tt.want)
		}
	}
}

func TestConfigExample(t *testing.T) {
	env := map[string]string{
		"MCPGATE_SECRET":       testSecret,
		"GITHUB_CLIENT_ID":     "Iv1.example",
		"GITHUB_CLIENT_SECRET": "example-client-secret",
	}
	const path = "../../config.example.yaml"
	cfg, err := Load(path, envMap(env))
	if err != nil {
		t.Fatalf("config.example.yaml does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config.example.yaml does not validate: %v", err)
	}
	// Apart from the ${VAR}s, the example shows the defaults.
	want := defaultConfig()
	want.Secret = newSecret(testSecret)
	want.GitHub.ClientID = env["GITHUB_CLIENT_ID"]
	want.GitHub.ClientSecret = newSecret(env["GITHUB_CLIENT_SECRET"])
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config.example.yaml =\n%s\nwant the defaults\n%s", dump(cfg), dump(want))
	}
	// Its secrets are references: without the environment it does not load.
	if _, err := Load(path, envMap(nil)); err == nil || !strings.Contains(err.Error(), "GITHUB_CLIENT_SECRET is not set") {
		t.Errorf("config.example.yaml without the environment: %v, want GITHUB_CLIENT_SECRET is not set", err)
	}

	// .env.example names only known variables and holds no values.
	src, err := os.ReadFile("../../.env.example")
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

func TestRedisOptions(t *testing.T) {
	tests := []struct {
		name    string
		redis   RedisConfig
		check   func(t *testing.T, c *Config)
		wantErr bool
	}{
		{
			name:  "url",
			redis: RedisConfig{URL: newSecret("redis://user:pw@redis.example.com:6390/3?dial_timeout=2s&pool_size=7&client_name=mcpgate")},
			check: func(t *testing.T, c *Config) {
				o := mustRedisOptions(t, c)
				got := fmt.Sprintf("%v %d %s %s %v %d %s %v %v", o.Addrs, o.DB, o.Username, o.Password, o.DialTimeout, o.PoolSize, o.ClientName, o.TLSConfig == nil, o.IsClusterMode)
				if want := "[redis.example.com:6390] 3 user pw 2s 7 mcpgate true false"; got != want {
					t.Errorf("options = %s, want %s", got, want)
				}
			},
		},
		{
			name:  "rediss",
			redis: RedisConfig{URL: newSecret("rediss://redis.example.com")},
			check: func(t *testing.T, c *Config) {
				o := mustRedisOptions(t, c)
				if o.TLSConfig == nil || o.TLSConfig.ServerName != "redis.example.com" || o.Addrs[0] != "redis.example.com:6379" {
					t.Errorf("rediss options: addrs %v, TLS %+v", o.Addrs, o.TLSConfig)
				}
			},
		},
		{
			name: "sentinel",
			redis: RedisConfig{TLS: true, Sentinel: SentinelConfig{
				MasterName: "mymaster", Addrs: []string{"s1:26379", "s2:26379"},
				Username: "u", Password: newSecret("pw"), SentinelPassword: newSecret("spw"),
			}},
			check: func(t *testing.T, c *Config) {
				o := mustRedisOptions(t, c)
				if o.MasterName != "mymaster" || !slices.Equal(o.Addrs, []string{"s1:26379", "s2:26379"}) ||
					o.Username != "u" || o.Password != "pw" || o.SentinelPassword != "spw" || o.TLSConfig == nil || o.IsClusterMode {
					t.Errorf("sentinel options = %+v", o)
				}
			},
		},
		{
			name:  "cluster",
			redis: RedisConfig{Cluster: ClusterConfig{Addrs: []string{"c1:6379"}, Username: "u", Password: newSecret("pw")}},
			check: func(t *testing.T, c *Config) {
				o := mustRedisOptions(t, c)
				if !o.IsClusterMode || !slices.Equal(o.Addrs, []string{"c1:6379"}) || o.Username != "u" || o.Password != "pw" || o.TLSConfig != nil || o.MasterName != "" {
					t.Errorf("cluster options = %+v", o)
				}
			},
		},
		{name: "none", wantErr: true},
		{name: "unix socket", redis: RedisConfig{URL: newSecret("unix:///tmp/redis.sock")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Redis = tt.redis
			if got, want := cfg.UsesRedis(), tt.name != "none"; got != want {
				t.Errorf("UsesRedis = %v, want %v", got, want)
			}
			if tt.wantErr {
				if _, err := cfg.RedisUniversalOptions(); err == nil {
					t.Error("RedisUniversalOptions succeeded")
				}
				if _, err := cfg.RedisClient(); err == nil {
					t.Error("RedisClient succeeded")
				}
				return
			}
			tt.check(t, cfg)
			client, err := cfg.RedisClient()
			if err != nil {
				t.Fatal(err)
			}
			if err := client.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func mustRedisOptions(t *testing.T, c *Config) *redis.UniversalOptions {
	t.Helper()
	o, err := c.RedisUniversalOptions()
	if err != nil {
		t.Fatal(err)
	}
	return o
}
