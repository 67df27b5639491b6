package protected

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

const (
	// sseSessionParam is the query parameter of the message endpoint that
	// names the session (the go-sdk's spelling).
	sseSessionParam = "sessionid"
	// sseQueueSize is how many POSTed messages may wait for the session to
	// read them; a POST beyond it waits for room (back-pressure).
	sseQueueSize = 64
	// sseFirstUnsupportedVersion is the first protocol version the transport
	// cannot serve: 2026-07-28 defines only the stdio and streamable HTTP
	// bindings (SEP-2575), so server/discover must not offer it here.
	sseFirstUnsupportedVersion = "2026-07-28"

	// DefaultSSEStreamsPerUser is SSE.MaxStreamsPerUser when zero.
	DefaultSSEStreamsPerUser = 16
	// DefaultSSEKeepAlive is SSE.KeepAlive when zero: idle streams get a
	// comment line this often, inside the idle timeouts of common proxies
	// and load balancers (60 s and more).
	DefaultSSEKeepAlive = 25 * time.Second
)

// Errors of the session registry.
var (
	errSSEClosed       = errors.New("sse session closed")
	errSSEShuttingDown = errors.New("server shutting down")
	errSSETooMany      = errors.New("too many open streams for this user")
)

// SSE serves the legacy HTTP+SSE transport of MCP 2024-11-05 at /sse, for
// clients that predate streamable HTTP (mcp-remote --transport sse-only,
// older desktop clients). GET /sse opens a text/event-stream whose first
// event, "endpoint", names the message URL /sse?sessionid=ID; the client
// POSTs each JSON-RPC message there (202 Accepted) and reads every answer as
// a "message" event on the stream. Protocol versions up to 2025-11-25 are
// negotiated by initialize as on /mcp; 2026-07-28 is not served here.
//
// Authentication. Every request, the GET that opens a stream and every POST,
// passes the same gate as /mcp, in the same order: CORS (every answer, the
// 401 included), the Origin check (403), the bearer check (401 with an
// RFC 9728 challenge, or 503 when the store cannot answer), and for a POST
// the tool-scope check (403 insufficient_scope). A POST is
// authenticated on its own, and its verified TokenInfo travels with its
// message into the SDK as RequestExtra.TokenInfo, so CallerFromRequest in a
// tool returns the caller of that POST (its grant, scopes and data key), not
// the token that opened the stream, which the client may have refreshed
// since. The go-sdk's own SSEHandler is not used: it never sets
// RequestExtra.TokenInfo, does not bind sessions to users, and refuses
// loopback connections with a non-loopback Host (its DNS-rebinding guard
// breaks every deployment behind a local reverse proxy; Origin is checked
// here instead).
//
// Resource. /sse is a second address of the one protected resource R
// (issuer + "/mcp"): it accepts R's access tokens, and the authorization
// server accepts issuer + "/sse" as a resource parameter and records R
// (resourceSet). Its challenge names its own metadata document,
// /.well-known/oauth-protected-resource/sse, whose resource is
// issuer + "/sse". Naming the /mcp document instead would break OAuth for
// legacy clients: RFC 9728 §3.3 requires metadata found through a challenge
// to name the URL the client requested, and the TypeScript SDK (inside
// mcp-remote) refuses a resource that is neither that URL's origin nor a
// path prefix of it ("Protected resource …/mcp does not match expected
// …/sse"). mcp-remote discovers it from the 401 of its unauthenticated GET
// probe (mcp-auth-checklist §6.2).
//
// Sessions. A session is bound to the user whose token opened it: a POST
// with a token of another user gets 403, a POST to an unknown or closed
// session 404. The grant may differ (the same user's refreshed or
// re-authorized client); the tool sees the POST's own grant either way.
// Session IDs come from crypto/rand (130 bits) and are never the
// authentication. At most MaxStreamsPerUser streams per user are open at
// once (429 beyond).
//
// Sessions live in this process, unlike /mcp, which is stateless: with
// several replicas the load balancer must send the POSTs of a stream to the
// replica that holds it (sticky routing on /sse, e.g. by client address or
// cookie). A POST that reaches another replica gets 404 and the client
// opens a new stream.
//
// Lifetime. A stream ends when the client goes away, when the MCP session
// closes, or when the http.Server that serves it shuts down: on its first
// stream, the handler registers with that server's RegisterOnShutdown
// (found through http.ServerContextKey), so Shutdown closes every stream
// instead of waiting for it, and refuses new ones with 503. Closing a stream
// cancels its in-flight requests and waits for them before the GET returns,
// so no goroutine outlives it.
type SSE struct {
	// ResourceServer holds what /sse shares with /mcp; its
	// ResourceMetadataURL is /sse's own (issuer +
	// "/.well-known/oauth-protected-resource/sse"), named in every challenge.
	ResourceServer
	// MaxStreamsPerUser bounds the open streams of one user; zero means
	// DefaultSSEStreamsPerUser.
	MaxStreamsPerUser int
	// KeepAlive is the interval of the comment lines sent on an idle
	// stream; zero means DefaultSSEKeepAlive, negative sends none.
	KeepAlive time.Duration
}

// Mount registers /sse (GET opens a stream, POST delivers a message) on
// mux. It panics if a required dependency is missing, which is a wiring
// mistake to catch at start-up.
func (h *SSE) Mount(mux *http.ServeMux) {
	switch {
	case h.Resource == "", h.ResourceMetadataURL == "":
		panic("protected: SSE needs Resource and ResourceMetadataURL")
	case h.Tokens == nil, h.Keys == nil, h.Server == nil && h.ServerFor == nil:
		panic("protected: SSE needs Tokens, Keys and Server or ServerFor")
	case h.MaxStreamsPerUser < 0:
		panic("protected: SSE.MaxStreamsPerUser must not be negative")
	}
	mux.Handle(PathSSE, h.handler())
}

// handler builds the /sse handler chain around a new session hub.
func (h *SSE) handler() http.Handler {
	return h.chain(h.newHub())
}

// chain puts the CORS, Origin, bearer and tool-scope checks of /mcp (the
// same code, with /sse's challenge) in front of hub.
func (h *SSE) chain(hub *sseHub) http.Handler {
	rs := &h.ResourceServer
	return wire.WithCORS(rs.checkOrigin(rs.requireBearer(rs.requireToolScope(hub))))
}

// newHub returns an empty session hub with h's limits.
func (h *SSE) newHub() *sseHub {
	hub := &sseHub{
		server:     h.Server,
		serverFor:  h.ServerFor,
		logger:     h.Logger,
		maxPerUser: h.MaxStreamsPerUser,
		keepAlive:  h.KeepAlive,
		sessions:   map[string]*sseStream{},
		perUser:    map[string]int{},
		servers:    map[*http.Server]bool{},
	}
	if hub.logger == nil {
		hub.logger = slog.New(slog.DiscardHandler)
	}
	if hub.maxPerUser == 0 {
		hub.maxPerUser = DefaultSSEStreamsPerUser
	}
	if hub.keepAlive == 0 {
		hub.keepAlive = DefaultSSEKeepAlive
	}
	return hub
}
