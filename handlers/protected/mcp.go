package protected

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
)

// sdkClockSkew is the tolerance given to the go-sdk's own expiry check,
// which compares TokenInfo.Expiration with the wall clock. Expiry is decided
// by our bearer check against MCP.Now; the SDK's check only runs after it and
// must not turn a token we just accepted into a bare 401 at the boundary.
const sdkClockSkew = time.Minute

// DefaultSessionTimeout is MCP.SessionTimeout when zero: how long an idle
// stateful /mcp session lives.
const DefaultSessionTimeout = 30 * time.Minute

// MCP serves the MCP streamable HTTP endpoint (/mcp) behind bearer-token
// authentication. Every request passes, in this order:
//
//  1. CORS (wire.WithCORS): every answer, the 401 included, carries
//     Access-Control-Allow-Origin and exposes WWW-Authenticate; a preflight
//     is answered 204 without a token.
//  2. Origin check: a browser Origin that is not allowed gets 403 (MCP
//     transports, "Security Warning": servers must validate Origin).
//  3. The bearer check (requireBearer), before anything else of MCP and for
//     GET, POST and DELETE alike, so that an unauthenticated probe of any
//     method gets 401 with the RFC 9728 challenge.
//  4. The scope check (requireToolScope): a tools/call whose tool needs a
//     scope the token lacks gets 403 insufficient_scope, the challenge that
//     makes clients step up.
//  5. auth.RequireBearerToken, which only hands the already verified
//     *auth.TokenInfo to the SDK (it sets req.Extra.TokenInfo for tools).
//  6. The go-sdk streamable handler.
//
// By default the handler is stateless (StreamableHTTPOptions.Stateless): no
// Mcp-Session-Id, no in-process session map, so any replica serves any
// request and a restart loses nothing. Every request is authenticated on its
// own, which is also what the spec asks (sessions are never authentication).
// Stateless mode serves protocol 2026-07-28 as well as the initialize
// handshake of older clients (mcp-remote, Inspector, the Go and TypeScript
// SDKs); the price is that the server cannot send requests to the client
// (sampling, form elicitation), which no tool here needs, and that GET and
// DELETE answer 405 once authenticated.
//
// Stateful (MCP.Stateful) is the 2025-11-25 session model instead: initialize
// returns an Mcp-Session-Id, GET opens the standalone SSE stream, DELETE ends
// the session, and idle sessions close after SessionTimeout. Sessions live in
// this process, so several replicas need sticky routing on Mcp-Session-Id.
// Every request is still authenticated on its own; the go-sdk binds a session
// to the TokenInfo.UserID of the request that opened it and answers 403
// "session user mismatch" to another user's token, while the same user's
// refreshed token keeps the session. Tools read the caller of each request
// from req.Extra.TokenInfo (CallerFromRequest), never from the session. The
// http.Server's Shutdown ends the open GET streams (endStreamsOnShutdown).
// One user holds at most MaxSessionsPerUser sessions at once: a POST that
// would open another gets 429 with Retry-After (sessionLimiter).
type MCP struct {
	// ResourceServer holds what /mcp shares with /sse: the resource,
	// the token check, the MCP servers, the scope and Origin policy.
	ResourceServer
	// Stateful serves MCP sessions (Mcp-Session-Id, GET stream, DELETE)
	// kept in this process; the zero value is stateless. See MCP.
	Stateful bool
	// SessionTimeout closes a stateful session after this long without a
	// request; zero or less means DefaultSessionTimeout. Unused when
	// stateless.
	SessionTimeout time.Duration
	// MaxSessionsPerUser bounds the stateful sessions one user holds at
	// once; a POST that would open one more gets 429. Zero means
	// DefaultSessionsPerUser. Unused when stateless.
	MaxSessionsPerUser int
}

// Mount registers /mcp (every method) on mux. It panics if a required
// dependency is missing, which is a wiring mistake to catch at start-up.
func (h *MCP) Mount(mux *http.ServeMux) {
	switch {
	case h.Resource == "", h.ResourceMetadataURL == "":
		panic("protected: MCP needs Resource and ResourceMetadataURL")
	case h.Tokens == nil, h.Keys == nil, h.Server == nil && h.ServerFor == nil:
		panic("protected: MCP needs Tokens, Keys and Server or ServerFor")
	}
	mux.Handle("/mcp", h.handler())
}

// handler builds the /mcp handler chain described on MCP.
func (h *MCP) handler() http.Handler {
	var sessionTimeout time.Duration
	if h.Stateful {
		sessionTimeout = h.SessionTimeout
		if sessionTimeout <= 0 {
			sessionTimeout = DefaultSessionTimeout
		}
	}
	streamable := mcp.NewStreamableHTTPHandler(
		h.serverFor,
		&mcp.StreamableHTTPOptions{
			Stateless:      !h.Stateful,
			SessionTimeout: sessionTimeout,
			// The SDK's DNS-rebinding guard refuses a loopback connection
			// with a non-loopback Host, i.e. every request behind a local
			// reverse proxy. Origin is checked here instead, and the public
			// URL never comes from Host.
			DisableLocalhostProtection: true,
			MaxRequestBodyBytes:        maxMCPBodyBytes,
			// Every POST must accept both application/json and
			// text/event-stream, so a POST of one message is answered with
			// plain JSON: no SSE framing or flushes. No tool here sends
			// notifications or requests while it runs (they would go to the
			// session's GET stream, or nowhere when stateless); the GET
			// stream of a stateful session stays SSE.
			JSONResponse: true,
			// The SDK logs each session's start and end at Info: Debug here
			// (the access log has the request).
			Logger: observe.Quiet(h.Logger),
		},
	)
	var sdk http.Handler = streamable
	if h.Stateful {
		limit := h.MaxSessionsPerUser
		if limit <= 0 {
			limit = DefaultSessionsPerUser
		}
		limiter := &sessionLimiter{max: limit, serverFor: h.serverFor, logger: h.logger(), perUser: map[string]int{}, sessions: map[string]string{}}
		sdk = limiter.wrap(endStreamsOnShutdown(streamable))
	}
	sdkAuth := auth.RequireBearerToken(verifiedTokenInfo, &auth.RequireBearerTokenOptions{ClockSkew: sdkClockSkew})
	return wire.WithCORS(h.checkOrigin(h.requireBearer(bindRequest(h.requireToolScope(sdkAuth(sdk))))))
}

// serverFor is the streamable handler's getServer: Server, or
// ServerFor's choice for the request's caller, which the bearer check has
// put in the request context (auth.RequireBearerToken runs before the
// streamable handler).
func (h *MCP) serverFor(r *http.Request) *mcp.Server {
	if h.ServerFor == nil {
		return h.Server
	}
	ti := auth.TokenInfoFromContext(r.Context())
	if ti == nil {
		return nil
	}
	caller, _ := ti.Extra[callerKey].(*tokens.Caller)
	if caller == nil {
		return nil
	}
	return h.ServerFor(caller)
}

func (h *ResourceServer) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *ResourceServer) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}
