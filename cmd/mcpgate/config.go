package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/mcpgate/mcpgate/tokens"
)

// Configuration comes from three layers. Precedence: environment variables
// override the YAML file, which overrides the built-in defaults
// (defaultConfig). An environment variable that is empty counts as unset, so
// it never clears a value from the file. Load builds the layers; Validate
// checks the result and reports every problem at once.

// Config is mcpgate's whole configuration. YAML keys are snake_case and every
// field is settable in YAML; the environment variables of DESIGN.md map onto
// the fields named in their comments (see envBindings).
type Config struct {
	// Addr is the listen address, host:port. MCPGATE_ADDR.
	Addr string `yaml:"addr"`
	// PublicURL is the origin clients reach: the issuer, and the base of every
	// absolute URL mcpgate emits. MCPGATE_PUBLIC_URL.
	PublicURL string `yaml:"public_url"`
	// Redis selects the shared store. Nothing set means the in-memory store.
	Redis RedisConfig `yaml:"redis"`
	// Secret is the server secret from which cookie and sealing keys are
	// derived: at least 32 random bytes, hex or base64. MCPGATE_SECRET.
	Secret Secret `yaml:"secret"`
	// PreviousSecrets are retired server secrets, still accepted for reading.
	// MCPGATE_PREVIOUS_SECRETS (comma-separated).
	PreviousSecrets []Secret `yaml:"previous_secrets"`
	// GitHub is the GitHub (or GitHub Enterprise Server) login and API.
	GitHub GitHubConfig `yaml:"github"`
	// Google is Google login.
	Google GoogleConfig `yaml:"google"`
	// OIDC is login through any OpenID Connect issuer.
	OIDC OIDCConfig `yaml:"oidc"`
	// Providers lists further identity providers (YAML only), after those
	// of the github, google and oidc sections; see config_providers.go.
	Providers []ProviderConfig `yaml:"providers"`
	// Allow restricts who may sign in (YAML only); empty admits everyone
	// who can sign in with a configured provider.
	Allow AllowConfig `yaml:"allow"`
	// Tokens are the lifetimes of the tokens mcpgate issues.
	Tokens TokenConfig `yaml:"tokens"`
	// Scopes are the scopes mcpgate grants to MCP clients.
	Scopes ScopeConfig `yaml:"scopes"`
	// AllowedOrigins is the browser Origin allowlist for /mcp (MCP Inspector
	// runs at http://localhost:6274). Requests without Origin (Claude,
	// mcp-remote) are not affected. MCPGATE_ALLOWED_ORIGINS (comma-separated).
	AllowedOrigins []string `yaml:"allowed_origins"`
	// LogLevel is debug, info, warn or error. MCPGATE_LOG_LEVEL.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json. MCPGATE_LOG_FORMAT.
	LogFormat string `yaml:"log_format"`
	// Limits are the abuse limits of the OAuth endpoints (limits.go).
	Limits LimitsConfig `yaml:"limits"`
}

// RedisConfig selects a Redis deployment: a standalone server by URL, a
// Sentinel-managed primary, or a Cluster. At most one may be set; none means
// the in-memory store.
type RedisConfig struct {
	// URL is a redis:// or rediss:// URL (go-redis ParseURL syntax). It is a
	// Secret because it may carry a password. MCPGATE_REDIS_URL.
	URL Secret `yaml:"url"`
	// Sentinel is a Sentinel-managed primary.
	Sentinel SentinelConfig `yaml:"sentinel"`
	// Cluster is a Redis Cluster.
	Cluster ClusterConfig `yaml:"cluster"`
	// TLS enables TLS for Sentinel and Cluster connections. A URL selects TLS
	// with its scheme (rediss://) instead.
	TLS bool `yaml:"tls"`
}

// SentinelConfig is a Sentinel-managed Redis primary.
type SentinelConfig struct {
	// MasterName is the name the sentinels know the primary by.
	MasterName string `yaml:"master_name"`
	// Addrs are the sentinels' host:port addresses.
	Addrs []string `yaml:"addrs"`
	// Username and Password authenticate to the Redis servers.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// SentinelPassword authenticates to the sentinels themselves.
	SentinelPassword Secret `yaml:"sentinel_password"`
}

// ClusterConfig is a Redis Cluster.
type ClusterConfig struct {
	// Addrs are host:port addresses of some cluster nodes (seeds).
	Addrs []string `yaml:"addrs"`
	// Username and Password authenticate to the cluster nodes.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

// GitHubConfig is the GitHub OAuth App (or GitHub App) mcpgate logs users in
// with and whose tokens the MCP tools use.
type GitHubConfig struct {
	// ClientID is the app's client ID. GITHUB_CLIENT_ID.
	ClientID string `yaml:"client_id"`
	// ClientSecret is the app's client secret. GITHUB_CLIENT_SECRET.
	ClientSecret Secret `yaml:"client_secret"`
	// BaseURL is the GitHub web origin; anything other than
	// https://github.com is GitHub Enterprise Server. GITHUB_BASE_URL.
	BaseURL string `yaml:"base_url"`
	// Scopes are the OAuth scopes requested from GitHub (OAuth Apps only;
	// GitHub Apps ignore them).
	Scopes []string `yaml:"scopes"`
}

// GoogleConfig is a Google OAuth client of type "Web application".
type GoogleConfig struct {
	// ClientID is GOOGLE_CLIENT_ID.
	ClientID string `yaml:"client_id"`
	// ClientSecret is GOOGLE_CLIENT_SECRET.
	ClientSecret Secret `yaml:"client_secret"`
	// HostedDomain restricts sign-in to one Google Workspace domain (the
	// ID token's "hd" claim). GOOGLE_HOSTED_DOMAIN.
	HostedDomain string `yaml:"hosted_domain"`
}

// OIDCConfig is a client registered at an OpenID Connect issuer.
type OIDCConfig struct {
	// IssuerURL is the issuer identifier, exactly as the issuer's discovery
	// document spells it. OIDC_ISSUER_URL.
	IssuerURL string `yaml:"issuer_url"`
	// ClientID is OIDC_CLIENT_ID.
	ClientID string `yaml:"client_id"`
	// ClientSecret is OIDC_CLIENT_SECRET.
	ClientSecret Secret `yaml:"client_secret"`
	// DisplayName is shown on the sign-in button; default the issuer's
	// host name. OIDC_DISPLAY_NAME.
	DisplayName string `yaml:"display_name"`
}

// TokenConfig holds token lifetimes, written in YAML as Go durations
// ("1h", "30s", "720h").
type TokenConfig struct {
	// AccessTTL is the lifetime of access tokens.
	AccessTTL time.Duration `yaml:"access_ttl"`
	// RefreshTTL is the lifetime of refresh tokens (and so of an idle grant).
	RefreshTTL time.Duration `yaml:"refresh_ttl"`
	// CodeTTL is the lifetime of authorization codes, at most ten minutes
	// (RFC 6749 §4.1.2).
	CodeTTL time.Duration `yaml:"code_ttl"`
	// RefreshGrace is how long a rotated refresh token still gets the same
	// answer, so that a client retrying a lost response is not treated as a
	// replay. Zero disables the grace window.
	RefreshGrace time.Duration `yaml:"refresh_grace"`
}

// ScopeConfig lists the scopes mcpgate grants to MCP clients.
type ScopeConfig struct {
	// Supported are all scope names clients may request
	// (scopes_supported in the metadata).
	Supported []string `yaml:"supported"`
	// Default are the scopes granted when a client requests none.
	Default []string `yaml:"default"`
}

// Defaults of the settings with a default.
const (
	defaultAddr          = "127.0.0.1:8080"
	defaultPublicURL     = "http://localhost:8080"
	defaultGitHubBaseURL = "https://github.com"
	maxCodeTTL           = 10 * time.Minute
	secretHint           = "generate one with `openssl rand -hex 32`"
)

// defaultConfig returns the built-in defaults: loopback listener, in-memory
// store, GitHub.com, one-hour access tokens. No identity provider is
// configured, so it does not validate until one is. The demo command starts
// from it.
func defaultConfig() *Config {
	return &Config{
		Addr:      defaultAddr,
		PublicURL: defaultPublicURL,
		GitHub: GitHubConfig{
			BaseURL: defaultGitHubBaseURL,
			Scopes:  []string{"repo", "read:user", "user:email"},
		},
		Tokens: TokenConfig{
			AccessTTL:    time.Hour,
			RefreshTTL:   720 * time.Hour,
			CodeTTL:      5 * time.Minute,
			RefreshGrace: 30 * time.Second,
		},
		Scopes: ScopeConfig{
			Supported: []string{"mcp:read", "mcp:write"},
			Default:   []string{"mcp:read", "mcp:write"},
		},
		AllowedOrigins: []string{"http://localhost:6274", "http://127.0.0.1:6274"},
		LogLevel:       "info",
		LogFormat:      "text",
		Limits:         defaultLimits(),
	}
}

// Load builds the configuration: the defaults, then the YAML file at path if
// path is not empty, then the environment variables read through getenv
// (normally os.Getenv; call LoadDotEnv first so that .env is included).
//
// The YAML file is strict: an unknown key is an error naming the key and its
// line. A key with no value keeps its default. ${NAME} inside a string value
// is replaced by the environment variable NAME (an unset or empty one is an
// error naming it); "$${" stands for a literal "${", and any other "$" is
// kept as written, so secrets containing "$" are safe. The expansion works on
// the parsed YAML values, never on the file's text, so an expanded value
// cannot inject YAML. ${NAME} may be used for strings, secrets and durations.
//
// Load does not validate; call Validate on the result.
func Load(path string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		return nil, errors.New("config: Load needs a getenv function such as os.Getenv")
	}
	cfg := defaultConfig()
	if path != "" {
		if err := cfg.loadYAML(path, getenv); err != nil {
			return nil, err
		}
	}
	for _, b := range envBindings() {
		if v := getenv(b.name); v != "" {
			b.apply(cfg, v)
		}
	}
	return cfg, nil
}

// envBinding maps one environment variable onto the configuration.
type envBinding struct {
	name  string
	apply func(c *Config, value string)
}

// envBindings is the table of environment variables, in DESIGN.md order.
func envBindings() []envBinding {
	return []envBinding{
		{"MCPGATE_ADDR", func(c *Config, v string) { c.Addr = v }},
		{"MCPGATE_PUBLIC_URL", func(c *Config, v string) { c.PublicURL = v }},
		{"MCPGATE_REDIS_URL", func(c *Config, v string) { c.Redis.URL = newSecret(v) }},
		{"MCPGATE_SECRET", func(c *Config, v string) { c.Secret = newSecret(v) }},
		{"MCPGATE_PREVIOUS_SECRETS", func(c *Config, v string) {
			c.PreviousSecrets = nil
			for _, s := range splitList(v) {
				c.PreviousSecrets = append(c.PreviousSecrets, newSecret(s))
			}
		}},
		{"GITHUB_CLIENT_ID", func(c *Config, v string) { c.GitHub.ClientID = v }},
		{"GITHUB_CLIENT_SECRET", func(c *Config, v string) { c.GitHub.ClientSecret = newSecret(v) }},
		{"GITHUB_BASE_URL", func(c *Config, v string) { c.GitHub.BaseURL = v }},
		{"GOOGLE_CLIENT_ID", func(c *Config, v string) { c.Google.ClientID = v }},
		{"GOOGLE_CLIENT_SECRET", func(c *Config, v string) { c.Google.ClientSecret = newSecret(v) }},
		{"GOOGLE_HOSTED_DOMAIN", func(c *Config, v string) { c.Google.HostedDomain = v }},
		{"OIDC_ISSUER_URL", func(c *Config, v string) { c.OIDC.IssuerURL = v }},
		{"OIDC_CLIENT_ID", func(c *Config, v string) { c.OIDC.ClientID = v }},
		{"OIDC_CLIENT_SECRET", func(c *Config, v string) { c.OIDC.ClientSecret = newSecret(v) }},
		{"OIDC_DISPLAY_NAME", func(c *Config, v string) { c.OIDC.DisplayName = v }},
		{"MCPGATE_ALLOWED_ORIGINS", func(c *Config, v string) { c.AllowedOrigins = splitList(v) }},
		{"MCPGATE_LOG_LEVEL", func(c *Config, v string) { c.LogLevel = v }},
		{"MCPGATE_LOG_FORMAT", func(c *Config, v string) { c.LogFormat = v }},
	}
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

// loadYAML decodes the YAML file at path over c.
func (c *Config) loadYAML(path string, getenv func(string) string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file changes nothing
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: want exactly one YAML document", path)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.ShortTag() == "!!null" {
		return nil // a file of comments only
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config file %s:%d: the top level must be a mapping of settings (key: value)", path, root.Line)
	}
	w := &yamlWalker{file: path, getenv: getenv, seen: map[*yaml.Node]bool{}}
	w.walk(root, reflect.TypeFor[Config](), "")
	if len(w.errs) > 0 {
		return errors.Join(w.errs...)
	}
	if err := root.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// yamlWalker prepares a parsed YAML tree for decoding into Config. It
// rejects unknown keys (with their line), drops keys without a value (so
// they keep their defaults) and expands ${NAME} in string values.
//
// yaml.v3's Decoder.KnownFields cannot be used here: it works only when
// decoding from text, and turning the expanded tree back into text would
// both move the line numbers in error messages and put expanded secrets
// into the decoder's error messages. Walking the tree against the struct's
// yaml tags gives the same strictness with the original lines.
type yamlWalker struct {
	file   string
	getenv func(string) string
	seen   map[*yaml.Node]bool
	errs   []error
}

var (
	yamlUnmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	durationType        = reflect.TypeFor[time.Duration]()
)

func (w *yamlWalker) fail(n *yaml.Node, format string, args ...any) {
	w.errs = append(w.errs, fmt.Errorf("config file %s:%d: %s", w.file, n.Line, fmt.Sprintf(format, args...)))
}

// walk visits node n, which decodes into a value of type t found at the
// dotted key path.
func (w *yamlWalker) walk(n *yaml.Node, t reflect.Type, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if w.seen[n] {
		return
	}
	w.seen[n] = true
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(yamlUnmarshalerType) {
		w.expandScalar(n, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind == yaml.MappingNode {
			w.walkMapping(n, t, path)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, item := range n.Content {
				w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				w.walk(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value))
			}
		}
	default:
		w.expandScalar(n, t, path)
	}
}

// walkMapping checks the keys of a mapping against the yaml tags of struct
// type t.
func (w *yamlWalker) walkMapping(n *yaml.Node, t reflect.Type, path string) {
	fields := yamlFields(t)
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.ShortTag() == "!!merge" { // "<<: *anchor" merges a mapping here
			kept = append(kept, key, value)
			if value.Kind == yaml.SequenceNode {
				for _, m := range value.Content {
					w.walk(m, t, path)
				}
			} else {
				w.walk(value, t, path)
			}
			continue
		}
		field, ok := fields[key.Value]
		if !ok {
			where := "at the top level"
			if path != "" {
				where = "in " + path
			}
			w.fail(key, "unknown key %q %s (valid keys: %s)", key.Value, where, strings.Join(sortedKeys(fields), ", "))
			continue
		}
		if value.ShortTag() == "!!null" {
			continue // no value: keep the default
		}
		kept = append(kept, key, value)
		w.walk(value, field.Type, joinPath(path, key.Value))
	}
	n.Content = kept
}

// expandScalar expands ${NAME} references in a string scalar that decodes
// into type t. For non-string types only durations accept a reference, and
// the expanded value is checked here so that no decoder error can echo it.
func (w *yamlWalker) expandScalar(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || !strings.Contains(n.Value, "$") {
		return
	}
	isString := t.Kind() == reflect.String || reflect.PointerTo(t).Implements(yamlUnmarshalerType)
	if !isString && t != durationType {
		if strings.Contains(n.Value, "${") {
			w.fail(n, "%s: ${...} references work only in strings, secrets and durations; write the value directly", path)
		}
		return
	}
	expanded, missing, err := expandRefs(n.Value, w.getenv)
	if err != nil {
		w.fail(n, "%s: %v", path, err)
		return
	}
	if len(missing) > 0 {
		for _, name := range missing {
			w.fail(n, "%s: environment variable %s is not set: set it in the environment or in .env", path, name)
		}
		return
	}
	if t == durationType {
		if _, err := time.ParseDuration(expanded); err != nil {
			w.fail(n, "%s: the expanded value is not a duration such as 30s, 5m or 1h", path)
			return
		}
	}
	n.Value = expanded
}

// expandRefs replaces ${NAME} in s with getenv(NAME) and "$${" with "${".
// Any other "$" is kept. It returns the names that are unset or empty, and an
// error for a malformed reference.
func expandRefs(s string, getenv func(string) string) (string, []string, error) {
	var b strings.Builder
	var missing []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), missing, nil
		}
		if i > 0 && s[i-1] == '$' { // "$${" is a literal "${"
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", nil, errors.New(`unterminated "${": write ${NAME}, or $${ for a literal "${"`)
		}
		name := s[i+2 : i+end]
		if !isEnvName(name) {
			return "", nil, fmt.Errorf("malformed reference ${%s}: a name has letters, digits and _ and does not start with a digit", name)
		}
		b.WriteString(s[:i])
		v := getenv(name)
		if v == "" && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

// isEnvName reports whether s is a portable environment variable name.
func isEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// yamlFields maps the YAML key of each field of struct type t to the field.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields
}

func sortedKeys(m map[string]reflect.StructField) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Secret holds secret material: a server secret, a client secret, a password
// or a URL that may carry one. Every way of printing, logging or encoding it
// (fmt verbs, slog, JSON, YAML) yields "[redacted]", or "" when it is empty;
// only Reveal and Bytes give the value.
type Secret struct {
	value string
}

const redacted = "[redacted]"

// NewSecret wraps a secret value, e.g. in code that builds a Config.
func newSecret(value string) Secret { return Secret{value: value} }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// Reveal returns the secret as written, for the one place that must use it
// (an OAuth client secret, a Redis password). Never log it.
func (s Secret) Reveal() string { return s.value }

// Bytes decodes a server secret (MCPGATE_SECRET, MCPGATE_PREVIOUS_SECRETS)
// with tokens.ParseSecret: hex or base64, at least 32 bytes. It returns nil
// for an empty secret, and also for an invalid one, which Validate reports:
// call it only on a validated Config.
func (s Secret) Bytes() []byte {
	if s.value == "" {
		return nil
	}
	b, err := tokens.ParseSecret(s.value)
	if err != nil {
		return nil
	}
	return b
}

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// GoString is String, so %#v does not reveal the value either.
func (s Secret) GoString() string { return s.String() }

// Format prints String for every verb (%v, %+v, %#v, %s, %q, %x, %d…).
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue makes slog print String.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes String.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML encodes String.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// UnmarshalYAML reads a secret from a YAML string scalar.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a secret must be a string", n.Line)
	}
	s.value = n.Value
	return nil
}

// CallbackURL is the upstream callback URL of the provider named provider
// ("github", "google", "oidc" or a providers entry's name), to register at
// the identity provider.
func (c *Config) CallbackURL(provider string) string {
	return c.PublicURL + "/oauth/callback/" + provider
}

// ResourceURL is the URL of the MCP endpoint: the protected resource
// identifier (RFC 9728) and the audience of access tokens.
func (c *Config) ResourceURL() string {
	return c.PublicURL + "/mcp"
}

// UsesRedis reports whether any Redis setting is present (URL, Sentinel or
// Cluster); otherwise the store is in memory.
func (c *Config) UsesRedis() bool {
	return !c.Redis.URL.IsZero() || c.Redis.Sentinel.set() || c.Redis.Cluster.set()
}

func (s SentinelConfig) set() bool {
	return s.MasterName != "" || len(s.Addrs) > 0 || s.Username != "" || !s.Password.IsZero() || !s.SentinelPassword.IsZero()
}

func (c ClusterConfig) set() bool {
	return len(c.Addrs) > 0 || c.Username != "" || !c.Password.IsZero()
}

// RedisUniversalOptions returns the options for redis.NewUniversalClient,
// for whichever Redis deployment is configured (call Validate first):
//   - URL: redis.ParseURL's options, copied field by field (go-redis has no
//     URL parser for UniversalOptions); NewUniversalClient then builds a
//     plain client for the single address. Every query parameter ParseURL
//     accepts has a UniversalOptions field, so nothing is lost.
//   - Sentinel: MasterName, sentinel Addrs, credentials; NewUniversalClient
//     builds a failover client.
//   - Cluster: IsClusterMode with the seed Addrs; NewUniversalClient builds a
//     cluster client even for a single seed.
//
// It fails when no Redis is configured.
func (c *Config) RedisUniversalOptions() (*redis.UniversalOptions, error) {
	r := c.Redis
	var tlsConfig *tls.Config
	if r.TLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch {
	case !r.URL.IsZero():
		if _, err := url.Parse(r.URL.Reveal()); err != nil {
			return nil, errors.New("MCPGATE_REDIS_URL is not a valid URL") // url's error would echo a password
		}
		o, err := redis.ParseURL(r.URL.Reveal())
		if err != nil {
			return nil, fmt.Errorf("MCPGATE_REDIS_URL: %w", err)
		}
		if o.Network != "tcp" {
			return nil, errors.New("MCPGATE_REDIS_URL must be a redis:// or rediss:// URL")
		}
		return &redis.UniversalOptions{
			Addrs:                   []string{o.Addr},
			ClientName:              o.ClientName,
			DB:                      o.DB,
			Protocol:                o.Protocol,
			Username:                o.Username,
			Password:                o.Password,
			MaxRetries:              o.MaxRetries,
			MinRetryBackoff:         o.MinRetryBackoff,
			MaxRetryBackoff:         o.MaxRetryBackoff,
			DialTimeout:             o.DialTimeout,
			ReadTimeout:             o.ReadTimeout,
			WriteTimeout:            o.WriteTimeout,
			PoolFIFO:                o.PoolFIFO,
			PoolSize:                o.PoolSize,
			PoolTimeout:             o.PoolTimeout,
			MinIdleConns:            o.MinIdleConns,
			MaxIdleConns:            o.MaxIdleConns,
			MaxActiveConns:          o.MaxActiveConns,
			MaxConcurrentDials:      o.MaxConcurrentDials,
			PipelinePoolSize:        o.PipelinePoolSize,
			PipelineReadBufferSize:  o.PipelineReadBufferSize,
			PipelineWriteBufferSize: o.PipelineWriteBufferSize,
			ConnMaxIdleTime:         o.ConnMaxIdleTime,
			ConnMaxLifetime:         o.ConnMaxLifetime,
			ConnMaxLifetimeJitter:   o.ConnMaxLifetimeJitter,
			TLSConfig:               o.TLSConfig,
		}, nil
	case r.Sentinel.set():
		return &redis.UniversalOptions{
			MasterName:       r.Sentinel.MasterName,
			Addrs:            slices.Clone(r.Sentinel.Addrs),
			Username:         r.Sentinel.Username,
			Password:         r.Sentinel.Password.Reveal(),
			SentinelPassword: r.Sentinel.SentinelPassword.Reveal(),
			TLSConfig:        tlsConfig,
		}, nil
	case r.Cluster.set():
		return &redis.UniversalOptions{
			Addrs:         slices.Clone(r.Cluster.Addrs),
			IsClusterMode: true,
			Username:      r.Cluster.Username,
			Password:      r.Cluster.Password.Reveal(),
			TLSConfig:     tlsConfig,
		}, nil
	default:
		return nil, errors.New("no Redis is configured: set MCPGATE_REDIS_URL, redis.sentinel or redis.cluster")
	}
}

// RedisClient connects to the configured Redis deployment with
// RedisUniversalOptions. go-redis dials lazily: no network I/O happens here.
func (c *Config) RedisClient() (redis.UniversalClient, error) {
	opts, err := c.RedisUniversalOptions()
	if err != nil {
		return nil, err
	}
	return redis.NewUniversalClient(opts), nil
}

// ProviderNames lists the names of the identity providers, in the order
// of IdentityProviders. After Validate succeeds each is complete.
func (c *Config) ProviderNames() []string {
	var names []string
	for _, p := range c.IdentityProviders() {
		names = append(names, p.Name)
	}
	return names
}

// storeKind names the configured store for logs.
func (c *Config) storeKind() string {
	switch {
	case !c.Redis.URL.IsZero():
		return "redis"
	case c.Redis.Sentinel.set():
		return "redis-sentinel"
	case c.Redis.Cluster.set():
		return "redis-cluster"
	default:
		return "memory"
	}
}

// redisTarget describes where Redis is, without credentials.
func (c *Config) redisTarget() string {
	switch {
	case !c.Redis.URL.IsZero():
		u, err := url.Parse(c.Redis.URL.Reveal())
		if err != nil {
			return redacted
		}
		u.User = nil
		u.RawQuery = ""
		return u.String()
	case c.Redis.Sentinel.set():
		return c.Redis.Sentinel.MasterName + "@" + strings.Join(c.Redis.Sentinel.Addrs, ",")
	case c.Redis.Cluster.set():
		return strings.Join(c.Redis.Cluster.Addrs, ",")
	default:
		return ""
	}
}

// LogValue is the configuration as slog attributes, without secrets: it says
// whether a secret is set, never what it is. Its receiver is a value so that
// both Config and *Config log this way.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("public_url", c.PublicURL),
		slog.String("store", c.storeKind()),
		slog.String("redis", c.redisTarget()),
		slog.Bool("secret_set", !c.Secret.IsZero()),
		slog.Int("previous_secrets", len(c.PreviousSecrets)),
		slog.Any("providers", c.ProviderNames()),
		slog.Bool("allowlist", !c.Allow.empty()),
		slog.String("github_base_url", c.GitHub.BaseURL),
		slog.String("github_client_id", c.GitHub.ClientID),
		slog.String("oidc_issuer_url", c.OIDC.IssuerURL),
		slog.Duration("access_ttl", c.Tokens.AccessTTL),
		slog.Duration("refresh_ttl", c.Tokens.RefreshTTL),
		slog.Duration("code_ttl", c.Tokens.CodeTTL),
		slog.Duration("refresh_grace", c.Tokens.RefreshGrace),
		slog.Any("scopes_supported", c.Scopes.Supported),
		slog.Any("allowed_origins", c.AllowedOrigins),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
	)
}

// ValidationError lists every problem Validate found, one line each, naming
// the environment variable (or YAML key, for settings without one) and what
// to do. It never contains a secret.
type ValidationError struct {
	Problems []string
}

// Error is "invalid configuration:" followed by one "  - problem" line per
// problem.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// check is one row of a validation table: when bad, msg is a problem.
type check struct {
	bad bool
	msg string
}

// problems collects validation problems.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p *problems) table(checks []check) {
	for _, c := range checks {
		if c.bad {
			*p = append(*p, c.msg)
		}
	}
}

// Validate checks the whole configuration and returns every problem at once
// as a *ValidationError, or nil. It is fast and has no side effects (no
// network), and works on a Config built in code as well as on one from Load.
func (c *Config) Validate() error {
	var p problems
	c.validateServer(&p)
	c.validateSecrets(&p)
	c.validateRedis(&p)
	c.validateProviders(&p)
	c.validateProviderList(&p)
	c.validateAllow(&p)
	c.validateTokens(&p)
	c.validateScopes(&p)
	c.validateLogging(&p)
	c.validateLimits(&p)
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

func (c *Config) validateServer(p *problems) {
	if c.Addr == "" {
		p.add("MCPGATE_ADDR is empty: set a listen address such as %s", defaultAddr)
	} else if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		p.add("MCPGATE_ADDR must be host:port, such as %s: got %q", defaultAddr, c.Addr)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		p.add("MCPGATE_ADDR has an invalid port: want a number from 0 to 65535, got %q", port)
	}

	switch u, problem := parseOrigin(c.PublicURL); {
	case c.PublicURL == "":
		p.add("MCPGATE_PUBLIC_URL is empty: set it to the origin clients use to reach mcpgate, such as https://mcp.example.com (or %s locally)", defaultPublicURL)
	case u == nil:
		p.add("MCPGATE_PUBLIC_URL %s: got %q", problem, c.PublicURL)
	case !secureScheme(u):
		p.add("MCPGATE_PUBLIC_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got %s", u.Redacted())
	case problem != "":
		p.add("MCPGATE_PUBLIC_URL %s: got %s", problem, u.Redacted())
	}

	for i, o := range c.AllowedOrigins {
		if o == "*" {
			p.add("MCPGATE_ALLOWED_ORIGINS entry %d is \"*\": list each browser origin explicitly, such as http://localhost:6274", i+1)
			continue
		}
		u, problem := parseOrigin(o)
		if u != nil && u.Scheme != "http" && u.Scheme != "https" {
			problem = "must be an http:// or https:// origin"
		}
		switch {
		case u == nil:
			p.add("MCPGATE_ALLOWED_ORIGINS entry %d %s, such as http://localhost:6274: got %q", i+1, problem, o)
		case problem != "":
			p.add("MCPGATE_ALLOWED_ORIGINS entry %d %s, such as http://localhost:6274: got %s", i+1, problem, u.Redacted())
		}
	}
}

func (c *Config) validateSecrets(p *problems) {
	if c.Secret.IsZero() {
		if c.UsesRedis() {
			p.add("MCPGATE_SECRET is required with Redis: %s", secretHint)
		}
		if len(c.PreviousSecrets) > 0 {
			p.add("MCPGATE_PREVIOUS_SECRETS is set but MCPGATE_SECRET is empty: set MCPGATE_SECRET to the current secret")
		}
	} else if _, err := tokens.ParseSecret(c.Secret.Reveal()); err != nil {
		p.add("MCPGATE_SECRET is invalid: %s; %s", secretProblem(err), secretHint)
	}
	for i, s := range c.PreviousSecrets {
		if s.IsZero() {
			p.add("MCPGATE_PREVIOUS_SECRETS entry %d is empty", i+1)
		} else if _, err := tokens.ParseSecret(s.Reveal()); err != nil {
			p.add("MCPGATE_PREVIOUS_SECRETS entry %d is invalid: %s", i+1, secretProblem(err))
		}
	}
}

// secretProblem is tokens.ParseSecret's error without its package prefix.
// ParseSecret's errors never contain the value.
func secretProblem(err error) string {
	return strings.TrimPrefix(err.Error(), "tokens: ")
}

func (c *Config) validateRedis(p *problems) {
	r := c.Redis
	modes := 0
	for _, set := range []bool{!r.URL.IsZero(), r.Sentinel.set(), r.Cluster.set()} {
		if set {
			modes++
		}
	}
	if modes > 1 {
		p.add("set only one of MCPGATE_REDIS_URL, redis.sentinel and redis.cluster")
	}
	if !r.URL.IsZero() {
		c.validateRedisURL(p)
		if r.TLS {
			p.add("redis.tls applies to redis.sentinel and redis.cluster: for MCPGATE_REDIS_URL use the rediss:// scheme")
		}
	}
	if r.Sentinel.set() {
		p.table([]check{
			{r.Sentinel.MasterName == "", "redis.sentinel.master_name is empty: set the name the sentinels know the primary by (often mymaster)"},
			{len(r.Sentinel.Addrs) == 0, "redis.sentinel.addrs is empty: list the sentinels as host:port (usually port 26379)"},
		})
		validateAddrs(p, "redis.sentinel.addrs", r.Sentinel.Addrs)
	}
	if r.Cluster.set() {
		if len(r.Cluster.Addrs) == 0 {
			p.add("redis.cluster.addrs is empty: list some cluster nodes as host:port")
		}
		validateAddrs(p, "redis.cluster.addrs", r.Cluster.Addrs)
	}
	if r.TLS && !r.Sentinel.set() && !r.Cluster.set() && r.URL.IsZero() {
		p.add("redis.tls is set but neither redis.sentinel nor redis.cluster is configured")
	}
}

// validateRedisURL checks MCPGATE_REDIS_URL without ever quoting it: it may
// hold a password.
func (c *Config) validateRedisURL(p *problems) {
	raw := c.Redis.URL.Reveal()
	u, err := url.Parse(raw)
	if err != nil {
		p.add("MCPGATE_REDIS_URL is not a valid URL: use redis://[user:password@]host:port[/db] or rediss://… for TLS")
		return
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		p.add("MCPGATE_REDIS_URL must start with redis:// or rediss:// (TLS): got scheme %q", u.Scheme)
		return
	}
	if u.Host == "" {
		p.add("MCPGATE_REDIS_URL has no host: use redis://host:6379")
		return
	}
	if _, err := redis.ParseURL(raw); err != nil {
		p.add("MCPGATE_REDIS_URL is invalid: %v", err) // ParseURL's own messages name the part, not the password
		return
	}
	if v := u.Query().Get("skip_verify"); v != "" && v != "false" && v != "0" {
		p.add("MCPGATE_REDIS_URL must not disable TLS certificate verification (skip_verify)")
	}
}

func validateAddrs(p *problems, key string, addrs []string) {
	for i, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" {
			p.add("%s entry %d must be host:port: got %q", key, i+1, a)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			p.add("%s entry %d has an invalid port: got %q", key, i+1, a)
		}
	}
}

func (c *Config) validateProviders(p *problems) {
	gh := c.GitHub
	settings := "https://github.com/settings/developers"
	if u, problem := parseOrigin(gh.BaseURL); u != nil && problem == "" && secureScheme(u) {
		settings = gh.BaseURL + "/settings/developers"
	}
	callback := c.CallbackURL("github")
	switch {
	case len(c.ProviderNames()) == 0:
		p.add("GITHUB_CLIENT_ID is empty: create an OAuth App at %s (callback URL %s) and set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in .env", settings, callback)
	case gh.ClientID != "" && gh.ClientSecret.IsZero():
		p.add("GITHUB_CLIENT_SECRET is empty but GITHUB_CLIENT_ID is set: generate a client secret on the OAuth App's page at %s and set GITHUB_CLIENT_SECRET in .env", settings)
	case gh.ClientID == "" && !gh.ClientSecret.IsZero():
		p.add("GITHUB_CLIENT_ID is empty but GITHUB_CLIENT_SECRET is set: copy the Client ID from the OAuth App's page at %s (callback URL %s) into GITHUB_CLIENT_ID in .env", settings, callback)
	}

	switch u, problem := parseOrigin(gh.BaseURL); {
	case gh.BaseURL == "":
		p.add("GITHUB_BASE_URL is empty: use %s, or your GitHub Enterprise Server origin such as https://github.example.com", defaultGitHubBaseURL)
	case u == nil:
		p.add("GITHUB_BASE_URL %s: got %q", problem, gh.BaseURL)
	case !secureScheme(u):
		p.add("GITHUB_BASE_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got %s", u.Redacted())
	case problem != "":
		p.add("GITHUB_BASE_URL %s, such as %s or https://github.example.com: got %s", problem, defaultGitHubBaseURL, u.Redacted())
	}
	validateScopeList(p, "github.scopes", gh.Scopes)

	if g := c.Google; (g.ClientID == "") != g.ClientSecret.IsZero() {
		missing := "GOOGLE_CLIENT_ID"
		if g.ClientID != "" {
			missing = "GOOGLE_CLIENT_SECRET"
		}
		p.add("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together: %s is missing (create an OAuth client of type Web application at https://console.cloud.google.com/apis/credentials with redirect URI %s)",
			missing, c.CallbackURL("google"))
	}

	o := c.OIDC
	var missing []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"OIDC_ISSUER_URL", o.IssuerURL != ""},
		{"OIDC_CLIENT_ID", o.ClientID != ""},
		{"OIDC_CLIENT_SECRET", !o.ClientSecret.IsZero()},
	} {
		if !f.set {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 && len(missing) < 3 {
		p.add("OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together: %s missing (register redirect URI %s at your issuer)",
			strings.Join(missing, " and "), c.CallbackURL("oidc"))
	}
	if o.IssuerURL != "" {
		u, err := url.Parse(o.IssuerURL)
		switch {
		case err != nil || !u.IsAbs() || u.Host == "":
			p.add("OIDC_ISSUER_URL must be an absolute URL such as https://accounts.example.com: got %q", o.IssuerURL)
		case !secureScheme(u):
			p.add("OIDC_ISSUER_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got %s", u.Redacted())
		case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
			p.add("OIDC_ISSUER_URL must not contain user information, a query or a fragment: got %s", u.Redacted())
		}
	}
}

func (c *Config) validateTokens(p *problems) {
	t := c.Tokens
	p.table([]check{
		{t.AccessTTL <= 0, fmt.Sprintf("tokens.access_ttl must be positive, such as 1h: got %s", t.AccessTTL)},
		{t.RefreshTTL <= 0, fmt.Sprintf("tokens.refresh_ttl must be positive, such as 720h: got %s", t.RefreshTTL)},
		{t.CodeTTL <= 0, fmt.Sprintf("tokens.code_ttl must be positive, such as 5m: got %s", t.CodeTTL)},
		{t.CodeTTL > maxCodeTTL, fmt.Sprintf("tokens.code_ttl must be at most 10m (authorization codes are short-lived, RFC 6749 §4.1.2): got %s", t.CodeTTL)},
		{t.RefreshGrace < 0, fmt.Sprintf("tokens.refresh_grace must not be negative (0 disables it): got %s", t.RefreshGrace)},
		{t.AccessTTL > 0 && t.RefreshGrace >= t.AccessTTL, fmt.Sprintf("tokens.refresh_grace (%s) must be shorter than tokens.access_ttl (%s)", t.RefreshGrace, t.AccessTTL)},
		{t.AccessTTL > 0 && t.RefreshTTL > 0 && t.RefreshTTL < t.AccessTTL, fmt.Sprintf("tokens.refresh_ttl (%s) must not be shorter than tokens.access_ttl (%s)", t.RefreshTTL, t.AccessTTL)},
	})
}

func (c *Config) validateScopes(p *problems) {
	s := c.Scopes
	if len(s.Supported) == 0 {
		p.add("scopes.supported is empty: list the scopes clients may request, such as mcp:read and mcp:write")
	}
	validateScopeList(p, "scopes.supported", s.Supported)
	if len(s.Default) == 0 {
		p.add("scopes.default is empty: list the scopes granted when a client requests none, such as mcp:read and mcp:write")
	}
	for _, d := range s.Default {
		if !slices.Contains(s.Supported, d) {
			p.add("scopes.default has %q, which is not in scopes.supported", d)
		}
	}
}

// validateScopeList checks scope tokens (RFC 6749 §3.3) and duplicates.
func validateScopeList(p *problems, key string, scopes []string) {
	for i, s := range scopes {
		if !validScopeToken(s) {
			p.add("%s entry %d is not a valid scope name (printable ASCII without spaces, \" or \\): got %q", key, i+1, s)
		} else if slices.Index(scopes, s) < i {
			p.add("%s lists %q twice", key, s)
		}
	}
}

// validScopeToken implements scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}

func (c *Config) validateLogging(p *problems) {
	p.table([]check{
		{!validLogLevel(c.LogLevel), fmt.Sprintf("MCPGATE_LOG_LEVEL must be debug, info, warn or error: got %q", c.LogLevel)},
		{c.LogFormat != "text" && c.LogFormat != "json", fmt.Sprintf("MCPGATE_LOG_FORMAT must be text or json: got %q", c.LogFormat)},
	})
}

func validLogLevel(level string) bool {
	switch strings.ToLower(level) {
	case "debug", "info", "warn", "error":
		return true
	}
	return false
}

// parseOrigin parses an origin: scheme://host[:port] with nothing after it.
// It returns nil and a problem when raw is not an absolute URL, or the URL
// and a problem when it is one but not a canonical origin (path, query,
// fragment, user information, upper case, default port), or the URL and ""
// when it is a canonical origin.
func parseOrigin(raw string) (*url.URL, string) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return nil, "must be an absolute URL such as https://mcp.example.com"
	}
	switch {
	case u.User != nil:
		return u, "must not contain user information"
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.HasSuffix(raw, "#"):
		return u, "must be an origin without path, query or trailing slash"
	case u.Hostname() != strings.ToLower(u.Hostname()) || !strings.HasPrefix(raw, u.Scheme+"://"):
		return u, "must be written in lower case"
	case (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80"):
		return u, "must leave out the default port"
	case strings.HasSuffix(u.Host, ":"):
		return u, "must not end with \":\""
	}
	return u, ""
}

// secureScheme reports whether u is https, or http on a loopback host.
func secureScheme(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return isLoopbackHost(u.Hostname())
	}
	return false
}

// isLoopbackHost reports whether host is localhost or a loopback IP address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
