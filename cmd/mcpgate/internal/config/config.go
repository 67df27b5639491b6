package config

import (
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/upstream/github"
)

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
	// of the github, google and oidc sections; see providers.go.
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
	// MCP is the /mcp transport: stateless or stateful (mcp.go).
	MCP MCPConfig `yaml:"mcp"`
	// TLS is optional direct TLS from certificate files (tls.go).
	TLS TLSConfig `yaml:"tls"`
	// BackendURL puts /mcp in gateway mode: it forwards to this MCP server
	// (streamable HTTP) with each person's upstream token instead of
	// serving the built-in tools. MCPGATE_BACKEND_URL.
	BackendURL string `yaml:"backend_url"`
	// Backend is that backend's headers and tool policy (backend.go).
	Backend BackendConfig `yaml:"backend"`
	// Backends are further MCP servers served at /mcp/{name}, each its own
	// protected resource (YAML only; backend.go).
	Backends []NamedBackendConfig `yaml:"backends"`
	// Observe is metrics, the audit log and tracing (observe.go).
	Observe ObserveConfig `yaml:"observe"`
	// Tools chooses the built-in GitHub tools and their result budget
	// (tools.go).
	Tools ToolsConfig `yaml:"tools"`
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
	// Policies choose access token lifetimes per client, fixed or sliding
	// (policies.go); the built-in rule "claude" applies unless replaced or
	// disabled there.
	Policies []PolicyConfig `yaml:"policies"`
	// SlidingBucket is how often, at most, the use of one sliding access
	// token is written to the store (and the allowlist re-checked); zero
	// means tokens.DefaultSlidingBucket (1h).
	SlidingBucket time.Duration `yaml:"sliding_bucket"`
}

// HandlerRefreshGrace is RefreshGrace for handlers.Config, where zero
// means the default: a configured 0 becomes handlers.NoRefreshGrace, so
// that "0 disables it" holds.
func (t TokenConfig) HandlerRefreshGrace() time.Duration {
	if t.RefreshGrace == 0 {
		return handlers.NoRefreshGrace
	}
	return t.RefreshGrace
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

// Default returns the built-in defaults: loopback listener, in-memory
// store, GitHub.com, one-hour access tokens. No identity provider is
// configured, so it does not validate until one is. The demo command starts
// from it.
func Default() *Config {
	return &Config{
		Addr:      defaultAddr,
		PublicURL: defaultPublicURL,
		GitHub: GitHubConfig{
			BaseURL: defaultGitHubBaseURL,
			Scopes:  slices.Clone(github.DefaultScopes),
		},
		Tokens: TokenConfig{
			AccessTTL:    handlers.DefaultAccessTTL,
			RefreshTTL:   handlers.DefaultRefreshTTL,
			CodeTTL:      handlers.DefaultCodeTTL,
			RefreshGrace: handlers.DefaultRefreshGrace,
		},
		Scopes: ScopeConfig{
			Supported: []string{"mcp:read", "mcp:write"},
			Default:   []string{"mcp:read", "mcp:write"},
		},
		AllowedOrigins: []string{"http://localhost:6274", "http://127.0.0.1:6274"},
		LogLevel:       "info",
		LogFormat:      "text",
		Limits:         defaultLimits(),
		MCP:            defaultMCP(),
		Observe:        ObserveConfig{AuditLog: DefaultAuditLog},
		Tools:          defaultTools(),
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
	cfg := Default()
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

// ProviderNames lists the names of the identity providers, in the order
// of IdentityProviders. After Validate succeeds each is complete.
func (c *Config) ProviderNames() []string {
	var names []string
	for _, p := range c.IdentityProviders() {
		names = append(names, p.Name)
	}
	return names
}

// LogValue is the configuration as slog attributes, without secrets: it says
// whether a secret is set, never what it is. Its receiver is a value so that
// both Config and *Config log this way.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("public_url", c.PublicURL),
		slog.String("store", c.StoreKind()),
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
		slog.Bool("mcp_stateless", c.MCP.Stateless),
		slog.Duration("mcp_session_timeout", c.MCP.SessionTimeout),
		slog.Int("tools_max_result_chars", c.Tools.MaxResultChars),
		slog.Any("tools_toolsets", c.Tools.Toolsets),
		slog.Bool("tools_read_only", c.Tools.ReadOnly),
		slog.Any("tools_allow", c.Tools.Allow),
		slog.Any("tools_deny", c.Tools.Deny),
		slog.Any("tools_groups", c.Tools.groupNames()),
		slog.Int("tools_rate_limit", c.Tools.RateLimit),
		slog.Any("token_policies", c.Tokens.policyNames()),
		slog.Duration("sliding_bucket", c.Tokens.SlidingBucket),
	)
}
