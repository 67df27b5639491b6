package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
)

// Paths of the OAuth surface (the /mcp, /healthz and /readyz paths belong
// to MCP and Health).
const (
	pathMCP                 = "/mcp"
	pathProtectedResource   = "/.well-known/oauth-protected-resource"
	pathAuthServerMetadata  = "/.well-known/oauth-authorization-server"
	pathOpenIDConfiguration = "/.well-known/openid-configuration"
	pathWellKnown           = "/.well-known/"
	pathRegister            = "/register"
	pathAuthorize           = "/authorize"
	pathCallbackPrefix      = "/oauth/callback/"
	pathToken               = "/token"
	pathRevoke              = "/revoke"
)

// Defaults of the Config durations.
const (
	DefaultAccessTTL    = time.Hour
	DefaultRefreshTTL   = 30 * 24 * time.Hour
	DefaultCodeTTL      = 5 * time.Minute
	DefaultPendingTTL   = 10 * time.Minute
	DefaultRefreshGrace = 30 * time.Second
	// DefaultSessionTimeout is how long an idle stateful /mcp session
	// lives (Config.Stateful).
	DefaultSessionTimeout = 30 * time.Minute
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
	// the caller's sign-in can use (see MCP.ServerFor). It must not return
	// nil for a caller of any configured provider.
	MCPServerFor func(caller *tokens.Caller) *mcp.Server
	// Allow decides who may sign in, at login and again at every refresh
	// (package upstream/allow); nil or empty admits everyone.
	Allow *allow.Policy
	// UpstreamTokens opens and refreshes a grant's upstream token
	// (tokens.UpstreamTokens). Required when Allow has GitHub organisation
	// or team rules, which are re-checked at refresh with it.
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
	// ToolScopes is the scope each tool needs, enforced on /mcp (403
	// insufficient_scope, which makes clients step up). Every scope it may
	// require must be in ScopesSupported. Nil checks no scopes per tool.
	ToolScopes ToolScopes
	// AllowedOrigins are the browser origins allowed to call /mcp.
	AllowedOrigins []string
	// Stateful makes /mcp keep MCP sessions in this process
	// (Mcp-Session-Id, the GET stream, DELETE; see MCP.Stateful). The zero
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
	AccessTTL, RefreshTTL, CodeTTL, PendingTTL, RefreshGrace time.Duration
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
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// mounter is a handler that registers its own routes.
type mounter interface {
	Mount(mux *http.ServeMux)
}

// New validates cfg and returns the whole HTTP surface: discovery,
// registration, authorization with consent, the upstream callbacks, token,
// revocation, the connected-apps page, /mcp, the legacy /sse and the health
// probes. This is the only place routes are mounted.
func New(cfg Config) (http.Handler, error) {
	if err := cfg.normalise(); err != nil {
		return nil, err
	}
	resources, err := newResourceSet(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("handlers: Issuer: %w", err)
	}
	pg, err := newPages(cfg.ServiceName)
	if err != nil {
		return nil, err
	}
	if err := addConnectionsPage(pg); err != nil {
		return nil, err
	}
	jar := newCookieJar(cfg.Keys, strings.HasPrefix(cfg.Issuer, "https://"))
	limits := newLimiter(cfg, pg)
	clients, err := newClientResolver(cfg.Store, cfg.FetchClientMetadata, cfg.Logger, cfg.Now)
	if err != nil {
		return nil, err
	}
	clientAuth := &clientAuthenticator{Clients: clients, Keys: cfg.Keys, Logger: cfg.Logger}
	allowed := &allowlist{Policy: cfg.Allow, Upstream: cfg.UpstreamTokens, Providers: cfg.Providers}
	scopes := scopePolicy{supported: cfg.ScopesSupported, defaults: cfg.DefaultScopes}
	resourceMetadataURL := cfg.Issuer + pathProtectedResource + pathMCP

	mcpResource := ResourceServer{
		Resource:            resources.canonical,
		ResourceMetadataURL: resourceMetadataURL,
		Scopes:              cfg.DefaultScopes,
		Tokens:              cfg.Store,
		Keys:                cfg.Keys,
		Server:              cfg.MCPServer,
		ServerFor:           cfg.MCPServerFor,
		ToolScopes:          cfg.ToolScopes,
		AllowedOrigins:      ownOrigin(cfg.Issuer, cfg.AllowedOrigins),
		Logger:              cfg.Logger,
		Now:                 cfg.Now,
	}
	// /sse serves the same resource; only its metadata document differs.
	sseResource := mcpResource
	sseResource.ResourceMetadataURL = cfg.Issuer + pathProtectedResource + pathSSE
	mounters := []mounter{
		&metadataHandler{
			Issuer:          cfg.Issuer,
			Resource:        resources.canonical,
			ScopesSupported: cfg.ScopesSupported,
			ServiceName:     cfg.ServiceName,
		},
		&registerHandler{
			Clients: cfg.Store,
			Limits:  limits,
			Cap:     newClientCap(cfg),
			Keys:    cfg.Keys,
			Scopes:  scopes,
			Logger:  cfg.Logger,
			Now:     cfg.Now,
		},
		&authorizeHandler{
			Issuer:            cfg.Issuer,
			Clients:           clients,
			Pending:           cfg.Store,
			Keys:              cfg.Keys,
			Providers:         cfg.Providers,
			Resources:         resources,
			Scopes:            scopes,
			ScopeDescriptions: cfg.ScopeDescriptions,
			PendingTTL:        cfg.PendingTTL,
			Consent:           consentMemory{jar: jar, now: cfg.Now},
			CSRF:              csrfGuard{jar: jar, keys: cfg.Keys},
			Cookies:           jar,
			Pages:             pg,
			UpstreamOrigins:   upstreamOrigins(cfg.Providers),
			Limits:            limits,
			Logger:            cfg.Logger,
			Now:               cfg.Now,
		},
		&callbackHandler{
			Issuer:     cfg.Issuer,
			Pending:    cfg.Store,
			Grants:     cfg.Store,
			Codes:      cfg.Store,
			Keys:       cfg.Keys,
			Providers:  cfg.Providers,
			Cookies:    jar,
			Pages:      pg,
			CodeTTL:    cfg.CodeTTL,
			PendingTTL: cfg.PendingTTL,
			Allow:      allowed,
			Sessions:   sessions{jar: jar, now: cfg.Now},
			Logger:     cfg.Logger,
			Now:        cfg.Now,
		},
		&connectionsHandler{
			Issuer:    cfg.Issuer,
			Grants:    cfg.Store,
			Clients:   clients,
			Providers: cfg.Providers,
			Upstream: upstreamLeg{Pending: cfg.Store, Keys: cfg.Keys, Cookies: jar,
				PendingTTL: cfg.PendingTTL, Now: cfg.Now},
			Sessions:          sessions{jar: jar, now: cfg.Now},
			CSRF:              csrfGuard{jar: jar, keys: cfg.Keys},
			Cookies:           jar,
			Pages:             pg,
			UpstreamOrigins:   upstreamOrigins(cfg.Providers),
			ScopeDescriptions: cfg.ScopeDescriptions,
			Limits:            limits,
			Logger:            cfg.Logger,
		},
		&tokenHandler{
			Auth:         clientAuth,
			Grants:       cfg.Store,
			Codes:        cfg.Store,
			Tokens:       cfg.Store,
			Keys:         cfg.Keys,
			Resources:    resources,
			AccessTTL:    cfg.AccessTTL,
			RefreshTTL:   cfg.RefreshTTL,
			RefreshGrace: cfg.RefreshGrace,
			Limits:       limits,
			Allow:        allowed,
			Logger:       cfg.Logger,
			Now:          cfg.Now,
		},
		&revokeHandler{
			Auth:   clientAuth,
			Limits: limits,
			Grants: cfg.Store,
			Tokens: cfg.Store,
			Keys:   cfg.Keys,
			Logger: cfg.Logger,
		},
		&MCP{
			ResourceServer: mcpResource,
			Stateful:       cfg.Stateful,
			SessionTimeout: cfg.SessionTimeout,
		},
		&SSE{ResourceServer: sseResource},
		&Health{Store: cfg.Store, Logger: cfg.Logger},
	}
	mux := http.NewServeMux()
	for _, m := range mounters {
		m.Mount(mux)
	}
	return recoverPanics(cfg.Logger, mux), nil
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
	if cfg.MCPServer == nil && cfg.MCPServerFor == nil {
		bad("MCPServer is required (or MCPServerFor)")
	}
	if cfg.Allow.NeedsGitHubOrgs() && cfg.UpstreamTokens == nil {
		bad("UpstreamTokens is required when Allow has GitHub organisation or team rules")
	}
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
	problems = append(problems, toolScopeProblems(cfg.ToolScopes, cfg.ScopesSupported)...)
	problems = append(problems, cfg.Limits.normalise(cfg.Store)...)
	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"AccessTTL", &cfg.AccessTTL, DefaultAccessTTL},
		{"RefreshTTL", &cfg.RefreshTTL, DefaultRefreshTTL},
		{"CodeTTL", &cfg.CodeTTL, DefaultCodeTTL},
		{"PendingTTL", &cfg.PendingTTL, DefaultPendingTTL},
		{"RefreshGrace", &cfg.RefreshGrace, DefaultRefreshGrace},
		{"SessionTimeout", &cfg.SessionTimeout, DefaultSessionTimeout},
	}
	for _, d := range durations {
		switch {
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

// upstreamOrigin is the origin of p's authorization endpoint, taken from
// an authorization URL built with placeholder values. The consent page's
// CSP must allow it as a form-action target (see setHTMLHeaders).
func upstreamOrigin(p upstream.Provider) string {
	u, err := url.Parse(p.AuthCodeURL(upstream.AuthRequest{State: "state", CodeChallenge: "challenge", Nonce: "nonce"}))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func upstreamOrigins(providers []upstream.Provider) []string {
	var out []string
	for _, p := range providers {
		o := upstreamOrigin(p)
		if o != "" && !contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// allowMethods answers 405 with a JSON error and an Allow header to any
// method not listed (GET implies HEAD). Routes are mounted without a method
// in their pattern so that OPTIONS reaches withCORS and every refusal is
// JSON, never the mux's plain text.
func allowMethods(next http.Handler, methods ...string) http.Handler {
	allowed := append([]string(nil), methods...)
	if contains(allowed, http.MethodGet) && !contains(allowed, http.MethodHead) {
		allowed = append(allowed, http.MethodHead)
	}
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !contains(allowed, r.Method) {
			w.Header().Set("Allow", allow)
			writeOAuthError(w, &oauthError{Code: errInvalidRequest, Description: "method not allowed; use " + allow, Status: http.StatusMethodNotAllowed})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isNotFound reports whether err is the store's "no such record".
func isNotFound(err error) bool {
	return errors.Is(err, tokens.ErrNotFound)
}

// recoverPanics turns a panic in a handler into a logged 500 with a JSON
// body that reveals nothing. It should never fire; it exists so that one
// bug cannot take a replica down or leak a stack trace to a client. The
// log gets the route and the stack, never the query or the body.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			logger.LogAttrs(r.Context(), slog.LevelError, "panic while serving a request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("panic", panicSummary(v)), slog.String("stack", string(debug.Stack())))
			writeJSON(w, http.StatusInternalServerError, oauthErrorBody{Error: errServerError, ErrorDescription: "internal error"})
		}()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// panicSummary describes a panic value without printing arbitrary data:
// runtime errors (nil dereference, index out of range) are safe to print;
// anything else is named by its type only.
func panicSummary(v any) string {
	if err, ok := v.(interface{ RuntimeError() }); ok {
		if e, ok := err.(error); ok {
			return e.Error()
		}
	}
	return fmt.Sprintf("%T", v)
}

// ownOrigin adds the server's own origin (the issuer) to the browser origins
// allowed on /mcp and /sse: a page served by mcpgate itself may call them.
func ownOrigin(issuer string, allowed []string) []string {
	return append([]string{issuer}, allowed...)
}
