package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
)

// Defaults of the Config durations.
const (
	DefaultAccessTTL    = time.Hour
	DefaultRefreshTTL   = 30 * 24 * time.Hour
	DefaultCodeTTL      = 5 * time.Minute
	DefaultPendingTTL   = 10 * time.Minute
	DefaultRefreshGrace = 30 * time.Second
	// NoRefreshGrace as Config.RefreshGrace turns the grace window off: a
	// rotated refresh token presented again is reuse at once. (Zero means
	// DefaultRefreshGrace, like every other zero duration of Config.)
	NoRefreshGrace time.Duration = -1
	// DefaultSessionTimeout is how long an idle stateful /mcp session
	// lives (Config.Stateful).
	DefaultSessionTimeout = protected.DefaultSessionTimeout
	// DefaultServiceName is shown on pages when Config.ServiceName is empty.
	DefaultServiceName = "mcpgate"
)

// Config is everything the HTTP surface needs. cmd/mcpgate builds it; New
// validates it and wires the handlers.
type Config struct {
	// Issuer is the public origin, e.g. "https://mcp.example.com": https,
	// or http on a loopback host; no path and no trailing slash. Every
	// absolute URL is built from it, never from the request's Host.
	Issuer string
	// Store keeps clients, pending authorizations, grants, codes and tokens.
	Store tokens.Store
	// Keys hashes tokens, wraps data keys and keys the cookies.
	Keys *tokens.Keyring
	// Providers are the upstream identity providers (at least one), in the
	// order the consent page shows them.
	Providers []upstream.Provider
	// MCPServer is the MCP server with its tools registered, for every
	// caller when MCPServerFor is nil.
	MCPServer *mcp.Server
	// MCPServerFor, when set, picks the MCP server of each /mcp and /sse
	// request by its verified caller, so that tools/list shows the tools
	// the caller's sign-in can use (see protected.MCP.ServerFor). It must not return
	// nil for a caller of any configured provider.
	MCPServerFor func(caller *tokens.Caller) *mcp.Server
	// Gateway, when set, adds backend MCP servers at /mcp/{name}, and with
	// Gateway.Default makes /mcp forward to a backend instead of serving
	// MCPServer (gateway.go).
	Gateway *GatewayConfig
	// Allow decides who may sign in, at login and again at every refresh
	// (package upstream/allow); nil or empty admits everyone.
	Allow *allow.Policy
	// ToolGroups are the tool groups in order (YAML tools.groups): the
	// first whose rules admit a person at sign-in is recorded on the grant
	// (tokens.Grant.ToolGroup), for MCPServerFor to serve its tools, and
	// decided again at every refresh, like Allow (a changed group revokes
	// the grant).
	ToolGroups []ToolGroup
	// ToolsReadOnly says that no tool a sign-in can be served writes
	// (every tool group and the default choice are read-only): the
	// upstream sign-in then asks for read-only scopes whatever scopes the
	// client asked for.
	ToolsReadOnly bool
	// UpstreamTokens opens and refreshes a grant's upstream token
	// (tokens.UpstreamTokens). Required when Allow or a tool group has
	// GitHub organisation or team rules, which are re-checked at refresh
	// with it.
	UpstreamTokens UpstreamTokenSource
	// ScopesSupported are the scopes clients may ask for, e.g.
	// ["mcp:read", "mcp:write"] (at least one).
	ScopesSupported []string
	// DefaultScopes are granted when a request names no supported scope;
	// empty means ScopesSupported.
	DefaultScopes []string
	// ScopeDescriptions optionally replaces the consent page's text for a
	// scope.
	ScopeDescriptions map[string]string
	// ConsentTools lists on the consent page the tools a GitHub sign-in
	// gets. Empty shows no list.
	ConsentTools ConsentTools
	// ToolScopes is the scope each tool needs, enforced on /mcp (403
	// insufficient_scope, which makes clients step up). Every scope it may
	// require must be in ScopesSupported. Nil checks no scopes per tool.
	ToolScopes protected.ToolScopes
	// AllowedOrigins are the browser origins allowed to call /mcp.
	AllowedOrigins []string
	// Stateful makes /mcp keep MCP sessions in this process
	// (Mcp-Session-Id, the GET stream, DELETE; see protected.MCP.Stateful). The zero
	// value, stateless, lets any replica serve any request; stateful with
	// several replicas needs sticky routing on Mcp-Session-Id.
	Stateful bool
	// SessionTimeout closes an idle stateful session; zero means
	// DefaultSessionTimeout, and it may not be negative or under a second.
	// Unused when stateless.
	SessionTimeout time.Duration
	// Limits are the abuse limits of /register, /authorize, /token and
	// /revoke (ratelimit.go); the zero value limits nothing. Store must
	// implement tokens.RateLimiter when any rate is set.
	Limits Limits
	// Lifetimes; zero means the Default* value. CodeTTL must not exceed ten
	// minutes (OAuth 2.1 §4.1.2) and AccessTTL not RefreshTTL.
	// RefreshGrace may also be NoRefreshGrace (no grace window).
	AccessTTL, RefreshTTL, CodeTTL, PendingTTL, RefreshGrace time.Duration
	// TokenPolicies choose the access token lifetime per client, first
	// matching rule wins (tokens.Rule; issue 14): fixed, or sliding (valid
	// while used at least once every idle timeout). Nil means the built-in
	// rules (tokens.ClaudeRuleDefault: Claude's connectors get sliding
	// tokens); a non-nil empty slice means none. Clients no rule matches
	// get a fixed AccessTTL.
	TokenPolicies []tokens.Rule
	// ServiceName is shown on pages and in metadata; default "mcpgate".
	ServiceName string
	// FetchClientMetadata fetches client ID metadata documents (a client_id
	// that is an https URL with a path; see cimd.go). Nil means the
	// SSRF-safe fetcher of internal/safehttp: https only, public addresses
	// only (checked at dial time), no redirects, 3 s, 64 KiB,
	// application/json. Tests inject a fetcher for a local TLS server.
	FetchClientMetadata MetadataFetcher
	// Logger receives the request logs (IDs only, never secrets); nil
	// discards them.
	Logger *slog.Logger
	// Observer receives the audit events and metrics at outcome points and
	// wraps every request (request ID, access log, HTTP metrics, trace
	// span); nil records nothing but request IDs.
	Observer *observe.Observer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// normalise fills defaults and checks cfg, reporting every problem at once.
func (cfg *Config) normalise() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if err := checkIssuer(cfg.Issuer); err != nil {
		bad("Issuer: %v", err)
	}
	if cfg.Store == nil {
		bad("Store is required")
	}
	if cfg.Keys == nil {
		bad("Keys is required")
	}
	if cfg.MCPServer == nil && cfg.MCPServerFor == nil && (cfg.Gateway == nil || cfg.Gateway.Default == nil) {
		bad("MCPServer is required (or MCPServerFor)")
	}
	if cfg.Allow.NeedsGitHubOrgs() && cfg.UpstreamTokens == nil {
		bad("UpstreamTokens is required when Allow has GitHub organisation or team rules")
	}
	cfg.checkToolGroups(bad)
	cfg.checkProviders(bad)
	cfg.checkScopes(bad)
	problems = append(problems, toolScopeProblems(cfg.ToolScopes, cfg.ScopesSupported)...)
	problems = append(problems, cfg.Limits.normalise(cfg.Store)...)
	cfg.checkDurations(bad)
	cfg.checkTokenPolicies(bad)
	if cfg.ServiceName == "" {
		cfg.ServiceName = DefaultServiceName
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(problems) > 0 {
		return errors.New("handlers: invalid Config:\n\t- " + strings.Join(problems, "\n\t- "))
	}
	return nil
}

// checkProviders requires at least one provider, each with a valid name
// used once and an authorization URL to send browsers to.
func (cfg *Config) checkProviders(bad func(string, ...any)) {
	if len(cfg.Providers) == 0 {
		bad("at least one upstream provider is required")
	}
	seen := map[string]bool{}
	for i, p := range cfg.Providers {
		switch {
		case p == nil:
			bad("Providers[%d] is nil", i)
		case !validProviderName(p.Name()):
			bad("Providers[%d]: name %q must be a lower-case path segment", i, p.Name())
		case seen[p.Name()]:
			bad("Providers[%d]: name %q is used twice", i, p.Name())
		default:
			seen[p.Name()] = true
			if upstreamOrigin(p) == "" {
				bad("Providers[%d] (%s): AuthCodeURL does not return an absolute URL", i, p.Name())
			}
		}
	}
}

// checkScopes requires valid, distinct supported scopes and defaults among
// them; empty DefaultScopes means ScopesSupported.
func (cfg *Config) checkScopes(bad func(string, ...any)) {
	if len(cfg.ScopesSupported) == 0 {
		bad("ScopesSupported must list at least one scope")
	}
	supported := map[string]bool{}
	for _, s := range cfg.ScopesSupported {
		if !validScopeToken(s) {
			bad("ScopesSupported: %q is not a valid scope token (RFC 6749 §3.3)", s)
		}
		if supported[s] {
			bad("ScopesSupported: %q is listed twice", s)
		}
		supported[s] = true
	}
	if len(cfg.DefaultScopes) == 0 {
		cfg.DefaultScopes = cfg.ScopesSupported
	}
	for _, s := range cfg.DefaultScopes {
		if !supported[s] {
			bad("DefaultScopes: %q is not in ScopesSupported", s)
		}
	}
}

// durationSetting is one duration of Config with its default.
type durationSetting struct {
	name string
	d    *time.Duration
	def  time.Duration
}

// checkDurations fills the zero lifetimes with their defaults and checks
// the lifetimes against each other.
func (cfg *Config) checkDurations(bad func(string, ...any)) {
	durations := []durationSetting{
		{"AccessTTL", &cfg.AccessTTL, DefaultAccessTTL},
		{"RefreshTTL", &cfg.RefreshTTL, DefaultRefreshTTL},
		{"CodeTTL", &cfg.CodeTTL, DefaultCodeTTL},
		{"PendingTTL", &cfg.PendingTTL, DefaultPendingTTL},
		{"RefreshGrace", &cfg.RefreshGrace, DefaultRefreshGrace},
		{"SessionTimeout", &cfg.SessionTimeout, DefaultSessionTimeout},
	}
	for _, d := range durations {
		switch {
		case d.d == &cfg.RefreshGrace && cfg.RefreshGrace == NoRefreshGrace:
			// No grace window: the one negative value allowed.
		case *d.d == 0:
			*d.d = d.def
		case *d.d < 0:
			bad("%s must not be negative", d.name)
		case *d.d < time.Second:
			bad("%s must be at least one second", d.name)
		}
	}
	if cfg.CodeTTL > 10*time.Minute {
		bad("CodeTTL must not exceed 10m (OAuth 2.1 §4.1.2)")
	}
	if cfg.AccessTTL > cfg.RefreshTTL {
		bad("AccessTTL must not exceed RefreshTTL")
	}
	if cfg.RefreshGrace >= cfg.RefreshTTL {
		bad("RefreshGrace must be shorter than RefreshTTL")
	}
}

// checkIssuer requires the canonical form of an origin: https (or http on
// a loopback host), lower-case host, no default port, no path, no trailing
// slash, no query, no fragment, no user info. The issuer must equal
// authorization_servers[0] and the iss parameter byte for byte (RFC 8414
// §3.3, RFC 9207), so there is exactly one way to write it.
func checkIssuer(issuer string) error {
	if issuer == "" {
		return errors.New("is required (the public origin, e.g. https://mcp.example.com)")
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return fmt.Errorf("is not a URL: %v", err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
	default:
		return errors.New("must be https (http only on localhost, 127.0.0.1 or [::1])")
	}
	if u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(issuer, "#") {
		return errors.New("must be an origin only: scheme://host[:port], without path, trailing slash, query or fragment")
	}
	if canonical, err := normaliseResource(issuer); err != nil || canonical != issuer {
		return fmt.Errorf("must be written canonically as %s", canonical)
	}
	return nil
}

func validProviderName(name string) bool { return upstream.ValidName(name) }

// validScopeToken reports whether s is a scope-token (RFC 6749 §3.3):
// one or more of %x21 / %x23-5B / %x5D-7E.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}
