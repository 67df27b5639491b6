package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// Paths of the OAuth surface (the /mcp, /sse and protected resource
// metadata paths belong to package protected, /healthz and /readyz to
// Health).
const (
	pathAuthServerMetadata  = "/.well-known/oauth-authorization-server"
	pathOpenIDConfiguration = "/.well-known/openid-configuration"
	pathWellKnown           = "/.well-known/"
	pathRegister            = "/register"
	pathAuthorize           = "/authorize"
	pathCallbackPrefix      = "/oauth/callback/"
	pathToken               = "/token"
	pathRevoke              = "/revoke"
)

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
	if err := addHomePage(pg); err != nil {
		return nil, err
	}
	jar := newIssuerCookieJar(cfg.Keys, cfg.Issuer)
	limits := newLimiter(cfg, pg)
	clients, err := newClientResolver(cfg.Store, cfg.FetchClientMetadata, cfg.Logger, cfg.Now)
	if err != nil {
		return nil, err
	}
	clientAuth := &clientAuthenticator{Clients: clients, Keys: cfg.Keys, Logger: cfg.Logger}
	allowed := &allowlist{Policy: cfg.Allow, Groups: cfg.ToolGroups, Upstream: cfg.UpstreamTokens, Providers: cfg.Providers}
	scopes := scopePolicy{supported: cfg.ScopesSupported, defaults: cfg.DefaultScopes}
	resourceMetadataURL := cfg.Issuer + protected.PathMetadata + protected.PathMCP

	mcpResource := protected.ResourceServer{
		Resource:            resources.canonical,
		ResourceMetadataURL: resourceMetadataURL,
		Scopes:              cfg.DefaultScopes,
		Tokens:              cfg.Store,
		Keys:                cfg.Keys,
		Server:              cfg.MCPServer,
		ServerFor:           cfg.MCPServerFor,
		ToolScopes:          cfg.ToolScopes,
		AllowedOrigins:      ownOrigin(cfg.Issuer, cfg.AllowedOrigins),
		Recheck:             slidingRecheck{Allow: allowed, Grants: cfg.Store, Logger: cfg.Logger}.check,
		Logger:              cfg.Logger,
		Now:                 cfg.Now,
	}
	// /sse serves the same resource; only its metadata document differs.
	sseResource := mcpResource
	sseResource.ResourceMetadataURL = cfg.Issuer + protected.PathMetadata + protected.PathSSE
	mounters := []mounter{
		&metadataHandler{
			Issuer:          cfg.Issuer,
			ScopesSupported: cfg.ScopesSupported,
		},
		&protected.Metadata{
			Issuer:          cfg.Issuer,
			Resource:        resources.canonical,
			ScopesSupported: cfg.ScopesSupported,
			ServiceName:     cfg.ServiceName,
			WithoutSSE:      cfg.Gateway != nil && cfg.Gateway.Default != nil,
		},
		&registerHandler{
			Events:  cfg.Observer,
			Clients: cfg.Store,
			Limits:  limits,
			Cap:     newClientCap(cfg),
			Keys:    cfg.Keys,
			Scopes:  scopes,
			Logger:  cfg.Logger,
			Now:     cfg.Now,
		},
		&authorizeHandler{
			Events:            cfg.Observer,
			Issuer:            cfg.Issuer,
			Clients:           clients,
			Pending:           cfg.Store,
			Keys:              cfg.Keys,
			Providers:         cfg.Providers,
			Resources:         resources,
			Scopes:            scopes,
			ScopeDescriptions: cfg.ScopeDescriptions,
			ConsentTools:      cfg.ConsentTools,
			PendingTTL:        cfg.PendingTTL,
			Consent:           consentMemory{jar: jar, now: cfg.Now},
			CSRF:              csrfGuard{jar: jar, keys: cfg.Keys},
			Cookies:           jar,
			Pages:             pg,
			UpstreamOrigins:   upstreamOrigins(cfg.Providers),
			ToolScopes:        cfg.ToolScopes,
			ToolsReadOnly:     cfg.ToolsReadOnly,
			Limits:            limits,
			Logger:            cfg.Logger,
			Now:               cfg.Now,
		},
		&callbackHandler{
			Events:     cfg.Observer,
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
			Events:    cfg.Observer,
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
			Events:       cfg.Observer,
			Auth:         clientAuth,
			Grants:       cfg.Store,
			Codes:        cfg.Store,
			Tokens:       cfg.Store,
			Keys:         cfg.Keys,
			Resources:    resources,
			AccessTTL:    cfg.AccessTTL,
			RefreshTTL:   cfg.RefreshTTL,
			RefreshGrace: cfg.RefreshGrace,
			Policies:     tokenPolicies(&cfg),
			Limits:       limits,
			Allow:        allowed,
			Logger:       cfg.Logger,
			Now:          cfg.Now,
		},
		&revokeHandler{
			Events: cfg.Observer,
			Auth:   clientAuth,
			Limits: limits,
			Grants: cfg.Store,
			Tokens: cfg.Store,
			Keys:   cfg.Keys,
			Logger: cfg.Logger,
		},
		&Health{Store: cfg.Store, Logger: cfg.Logger},
		&homeHandler{Issuer: cfg.Issuer, Pages: pg},
	}
	if cfg.Gateway != nil {
		gm, err := gatewayMounters(cfg.Gateway, mcpResource, cfg.Issuer, cfg.ServiceName, cfg.ScopesSupported, &resources)
		if err != nil {
			return nil, fmt.Errorf("handlers: %w", err)
		}
		mounters = append(mounters, gm...)
	}
	if cfg.Gateway == nil || cfg.Gateway.Default == nil {
		mounters = append(mounters,
			&protected.MCP{
				ResourceServer: mcpResource,
				Stateful:       cfg.Stateful,
				SessionTimeout: cfg.SessionTimeout,
			},
			&protected.SSE{ResourceServer: sseResource})
	}
	mux := http.NewServeMux()
	for _, m := range mounters {
		m.Mount(mux)
	}
	// The observer sits outside the mux, which records the matched
	// pattern on the request it is handed (the metrics' route label).
	return cfg.Observer.Middleware(recoverPanics(cfg.Logger, mux)), nil
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
		if o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
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
			wire.WriteJSON(w, http.StatusInternalServerError, wire.ErrorBody{Error: wire.ServerError, ErrorDescription: "internal error"})
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
