package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

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
mcp:
  stateless: false
tools:
  toolsets: [repos, issues]
  read_only: true
  deny: [get_commit]
`
	cfg, err := Load(writeFile(t, "config.yaml", file), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Addr:            "0.0.0.0:8443",
		PublicURL:       "https://mcp.example.com",
		Secret:          NewSecret("0011"),
		PreviousSecrets: []Secret{NewSecret("aa"), NewSecret("bb")},
		Redis: RedisConfig{
			Sentinel: SentinelConfig{
				MasterName: "mymaster", Addrs: []string{"s1:26379", "s2:26379"},
				Username: "u", Password: NewSecret("p"), SentinelPassword: NewSecret("sp"),
			},
			TLS: true,
		},
		GitHub: GitHubConfig{ClientID: "id", ClientSecret: NewSecret("sec"), BaseURL: "https://ghe.example.com", Scopes: []string{"repo"}},
		Google: GoogleConfig{ClientID: "gid", ClientSecret: NewSecret("gsec")},
		OIDC:   OIDCConfig{IssuerURL: "https://issuer.example.com/realms/x", ClientID: "oid", ClientSecret: NewSecret("osec")},
		// refresh_ttl and refresh_grace are not in the file: defaults survive.
		Tokens:         TokenConfig{AccessTTL: 2 * time.Hour, RefreshTTL: 720 * time.Hour, CodeTTL: 90 * time.Second, RefreshGrace: 30 * time.Second},
		Scopes:         ScopeConfig{Supported: []string{"a", "b"}, Default: []string{"a"}},
		AllowedOrigins: []string{"https://inspector.example.com"},
		LogLevel:       "debug",
		LogFormat:      "json",
		Limits:         defaultLimits(),
		// session_timeout is not in the file: its default survives.
		MCP:     MCPConfig{Stateless: false, SessionTimeout: 30 * time.Minute},
		Observe: ObserveConfig{AuditLog: DefaultAuditLog},
		// max_result_chars is not in the file: its default survives.
		Tools: ToolsConfig{MaxResultChars: 100_000, Toolsets: []string{"repos", "issues"}, ReadOnly: true, Deny: []string{"get_commit"}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Load =\n%s\nwant\n%s", dump(cfg), dump(want))
	}
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
			if !reflect.DeepEqual(cfg, Default()) {
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
		not  []string // must not appear in it (values, decoder jargon)
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
			want: []string{"config.yaml:2: tokens.access_ttl must be a duration such as 30s, 5m or 1h, got a string"},
			not:  []string{"soon", "unmarshal", "time.Duration"},
		},
		{
			name: "list where a string belongs",
			file: "log_level: [a, b]\n",
			want: []string{"config.yaml:1: log_level must be a string, got a list"},
		},
		{
			name: "string where a bool belongs",
			file: "mcp:\n  stateless: maybe\n",
			want: []string{"config.yaml:2: mcp.stateless must be true or false, got a string"},
			not:  []string{"maybe"},
		},
		{
			name: "secret where a number belongs",
			file: "limits:\n  max_clients: hunter2-secret\n",
			want: []string{"config.yaml:2: limits.max_clients must be a whole number", "got a string"},
			not:  []string{"hunter2"},
		},
		{
			name: "scalar where a list belongs",
			file: "allowed_origins: http://localhost:6274\n",
			want: []string{"config.yaml:1: allowed_origins must be a list", "got a string"},
		},
		{
			name: "scalar where a mapping belongs",
			file: "redis: redis://localhost:6379\n",
			want: []string{"config.yaml:1: redis must be a mapping of keys to values", "got a string"},
		},
		{
			name: "list where a secret belongs",
			file: "github:\n  client_secret: [a]\n",
			want: []string{"config.yaml:2: github.client_secret must be a string, got a list"},
		},
		{
			name: "every wrong type at once",
			file: "log_level: [a]\ntokens:\n  code_ttl: 5\n",
			want: []string{"log_level must be a string", "config.yaml:3: tokens.code_ttl must be a duration"},
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
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q contains %q", err, n)
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
