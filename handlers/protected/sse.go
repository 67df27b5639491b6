package protected

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
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
		panic("handlers: SSE needs Resource and ResourceMetadataURL")
	case h.Tokens == nil, h.Keys == nil, h.Server == nil && h.ServerFor == nil:
		panic("handlers: SSE needs Tokens, Keys and Server or ServerFor")
	case h.MaxStreamsPerUser < 0:
		panic("handlers: SSE.MaxStreamsPerUser must not be negative")
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

// sseHub holds the open streams of one /sse mount.
type sseHub struct {
	server     *mcp.Server
	serverFor  func(*tokens.Caller) *mcp.Server // nil: server for everyone
	logger     *slog.Logger
	maxPerUser int
	keepAlive  time.Duration

	mu       sync.Mutex
	sessions map[string]*sseStream // by session ID
	perUser  map[string]int        // open streams by user ID
	// servers are the http.Servers whose shutdown hook is registered; the
	// value turns true once that server's Shutdown began. One entry per
	// server, so it stays as small as the process's list of servers.
	servers map[*http.Server]bool
}

// ServeHTTP runs after the bearer check: the verified TokenInfo is in the
// request context.
func (hub *sseHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ti, _ := r.Context().Value(verifiedKey{}).(*auth.TokenInfo)
	var caller *tokens.Caller
	if ti != nil {
		caller, _ = ti.Extra[callerKey].(*tokens.Caller)
	}
	if caller == nil {
		// requireBearer always provides both; this is a wiring mistake.
		hub.logger.LogAttrs(r.Context(), slog.LevelError, "sse request without a verified caller")
		wire.WriteError(w, http.StatusInternalServerError, wire.ServerError, "internal error")
		return
	}
	switch r.Method {
	case http.MethodGet:
		hub.open(w, r, caller)
	case http.MethodPost:
		hub.post(w, r, ti, caller)
	default:
		w.Header().Set("Allow", "GET, POST")
		wire.WriteError(w, http.StatusMethodNotAllowed, wire.InvalidRequest,
			"method not allowed; GET opens a stream, POST sends a message to the endpoint it announced")
	}
}

// open serves the GET that opens a stream, for as long as the stream lasts.
func (hub *sseHub) open(w http.ResponseWriter, r *http.Request, caller *tokens.Caller) {
	server := hub.server
	if hub.serverFor != nil {
		server = hub.serverFor(caller)
	}
	if server == nil {
		hub.logger.LogAttrs(r.Context(), slog.LevelError, "sse stream refused: no MCP server for this caller",
			slog.String("user_id", caller.UserID), slog.String("grant_id", caller.GrantID))
		wire.WriteError(w, http.StatusInternalServerError, wire.ServerError, "internal error")
		return
	}
	st := &sseStream{
		userID:   caller.UserID,
		grantID:  caller.GrantID,
		clientID: caller.ClientID,
		w:        w,
		rc:       http.NewResponseController(w),
		incoming: make(chan jsonrpc.Message, sseQueueSize),
		live:     true,
		done:     make(chan struct{}),
	}
	st.srv, _ = r.Context().Value(http.ServerContextKey).(*http.Server)
	if err := hub.add(st); err != nil {
		switch {
		case errors.Is(err, errSSETooMany):
			hub.logger.LogAttrs(r.Context(), slog.LevelWarn, "sse stream refused: too many open streams",
				slog.String("user_id", st.userID), slog.String("grant_id", st.grantID), slog.String("client_id", st.clientID))
			w.Header().Set("Retry-After", wire.RetryAfterSeconds)
			wire.WriteError(w, http.StatusTooManyRequests, wire.TooManyRequests,
				fmt.Sprintf("at most %d SSE streams may be open per user; close one first", hub.maxPerUser))
		default:
			w.Header().Set("Retry-After", wire.RetryAfterSeconds)
			wire.WriteError(w, http.StatusServiceUnavailable, wire.TemporarilyUnavailable, "the server is shutting down; retry shortly")
		}
		return
	}
	defer hub.remove(st)
	defer st.finish()
	attrs := []slog.Attr{slog.String("session_id", st.id), slog.String("user_id", st.userID),
		slog.String("grant_id", st.grantID), slog.String("client_id", st.clientID)}

	// A stream outlives any write deadline the server gives ordinary
	// responses; ErrNotSupported only means there is none to lift.
	_ = st.rc.SetWriteDeadline(time.Time{})
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream

	// Logged before the endpoint event: a client that saw the stream open
	// can find it in the log.
	hub.logger.LogAttrs(r.Context(), slog.LevelInfo, "sse stream opened", attrs...)
	// Connect writes the endpoint event (and with it the 200).
	ss, err := server.Connect(r.Context(), st, nil)
	if err != nil {
		st.Close()
		hub.logger.LogAttrs(r.Context(), slog.LevelInfo, "sse stream failed to start",
			append(attrs, slog.String("error", err.Error()))...)
		return
	}
	hub.hold(r.Context(), st)
	// Closing the stream first makes the session's reader stop, which
	// cancels its in-flight requests; ss.Close then waits for them.
	st.Close()
	ss.Close()
	hub.logger.LogAttrs(r.Context(), slog.LevelInfo, "sse stream closed", attrs...)
}

// hold keeps the GET open until the client goes away or the stream is
// closed, writing a comment line every keepAlive.
func (hub *sseHub) hold(ctx context.Context, st *sseStream) {
	var tick <-chan time.Time
	if hub.keepAlive > 0 {
		t := time.NewTicker(hub.keepAlive)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-st.done:
			return
		case <-tick:
			if err := st.comment("keep-alive"); err != nil {
				return
			}
		}
	}
}

// post delivers one POSTed message to its session.
func (hub *sseHub) post(w http.ResponseWriter, r *http.Request, ti *auth.TokenInfo, caller *tokens.Caller) {
	id := r.URL.Query().Get(sseSessionParam)
	if id == "" {
		wire.WriteError(w, http.StatusBadRequest, wire.InvalidRequest,
			"the sessionid query parameter is required; POST to the endpoint the stream announced")
		return
	}
	st := hub.lookup(id)
	if st == nil {
		wire.WriteError(w, http.StatusNotFound, wire.NotFound, "unknown or closed SSE session; open a new stream with GET "+PathSSE)
		return
	}
	if caller.UserID != st.userID {
		hub.logger.LogAttrs(r.Context(), slog.LevelWarn, "sse message refused: the session belongs to another user",
			slog.String("session_id", st.id), slog.String("session_user_id", st.userID),
			slog.String("user_id", caller.UserID), slog.String("grant_id", caller.GrantID), slog.String("client_id", caller.ClientID))
		wire.WriteError(w, http.StatusForbidden, wire.Forbidden, "this SSE session belongs to another user")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		wire.WriteError(w, http.StatusUnsupportedMediaType, wire.InvalidRequest, "Content-Type must be application/json")
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, mcp.DefaultMaxRequestBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			wire.WriteError(w, http.StatusRequestEntityTooLarge, wire.InvalidRequest,
				fmt.Sprintf("the message exceeds %d bytes", tooBig.Limit))
			return
		}
		wire.WriteError(w, http.StatusBadRequest, wire.InvalidRequest, "the request body could not be read")
		return
	}
	msg, err := jsonrpc.DecodeMessage(data)
	if err != nil {
		wire.WriteError(w, http.StatusBadRequest, wire.InvalidRequest, "the body must be one JSON-RPC 2.0 message")
		return
	}
	if req, ok := msg.(*jsonrpc.Request); ok {
		// What the streamable handler gives tools, from THIS request.
		req.Extra = &mcp.RequestExtra{TokenInfo: ti, Header: forwardedHeader(r.Header)}
	}
	switch err := st.deliver(r.Context(), msg); {
	case errors.Is(err, errSSEClosed):
		wire.WriteError(w, http.StatusNotFound, wire.NotFound, "the SSE session has closed; open a new stream with GET "+PathSSE)
		return
	case err != nil:
		return // the client went away while the queue was full
	}
	if caller.GrantID != st.grantID {
		hub.logger.LogAttrs(r.Context(), slog.LevelDebug, "sse message from another grant of the session's user",
			slog.String("session_id", st.id), slog.String("user_id", caller.UserID),
			slog.String("grant_id", caller.GrantID), slog.String("session_grant_id", st.grantID))
	}
	w.WriteHeader(http.StatusAccepted)
}

// forwardedHeader is the copy of the request header that tools see in
// RequestExtra.Header: without the bearer token and cookies, which no tool
// needs (tools reach upstream with the grant's own token, never ours).
func forwardedHeader(h http.Header) http.Header {
	c := h.Clone()
	c.Del("Authorization")
	c.Del("Cookie")
	return c
}

// add registers a new stream under a fresh session ID, unless its server is
// shutting down or its user has too many streams open. On a server's first
// stream it registers the shutdown hook that closes that server's streams.
func (hub *sseHub) add(st *sseStream) error {
	hub.mu.Lock()
	defer hub.mu.Unlock()
	if srv := st.srv; srv != nil {
		stopping, hooked := hub.servers[srv]
		if stopping {
			return errSSEShuttingDown
		}
		if !hooked {
			hub.servers[srv] = false
			srv.RegisterOnShutdown(func() { hub.shutdown(srv) })
		}
	}
	if hub.perUser[st.userID] >= hub.maxPerUser {
		return errSSETooMany
	}
	st.id = rand.Text()
	for hub.sessions[st.id] != nil {
		st.id = rand.Text()
	}
	hub.sessions[st.id] = st
	hub.perUser[st.userID]++
	return nil
}

func (hub *sseHub) remove(st *sseStream) {
	hub.mu.Lock()
	defer hub.mu.Unlock()
	delete(hub.sessions, st.id)
	if hub.perUser[st.userID]--; hub.perUser[st.userID] <= 0 {
		delete(hub.perUser, st.userID)
	}
}

func (hub *sseHub) lookup(id string) *sseStream {
	hub.mu.Lock()
	defer hub.mu.Unlock()
	return hub.sessions[id]
}

// openStreams reports how many streams are open.
func (hub *sseHub) openStreams() int {
	hub.mu.Lock()
	defer hub.mu.Unlock()
	return len(hub.sessions)
}

// shutdown closes every stream served by srv and refuses new ones. It runs
// as srv's RegisterOnShutdown hook.
func (hub *sseHub) shutdown(srv *http.Server) {
	hub.mu.Lock()
	hub.servers[srv] = true
	var closing []*sseStream
	for _, st := range hub.sessions {
		if st.srv == srv {
			closing = append(closing, st)
		}
	}
	hub.mu.Unlock()
	if len(closing) > 0 {
		hub.logger.LogAttrs(context.Background(), slog.LevelInfo, "server shutting down: closing sse streams", slog.Int("streams", len(closing)))
	}
	for _, st := range closing {
		st.Close()
	}
}

// sseStream is one open stream: the mcp.Transport handed to Server.Connect
// and the mcp.Connection it returns. Reads come from the POSTs of the
// session (deliver); writes are "message" events on the GET's response.
type sseStream struct {
	id                        string
	userID, grantID, clientID string
	srv                       *http.Server // the server the GET arrived on; nil outside net/http

	w        http.ResponseWriter
	rc       *http.ResponseController
	incoming chan jsonrpc.Message // never closed

	// mu serialises the writes to w, which come from the session's
	// goroutines as well as from hold, and guards connected.
	mu        sync.Mutex
	connected bool
	closed    atomic.Bool // set by Close; no write starts after it
	writing   atomic.Bool // a write to w is in progress

	// life guards live and the closing of done. It is separate from mu so
	// that Close never waits behind a write stuck on a client that stopped
	// reading: Close aborts that write instead.
	life    sync.Mutex
	live    bool          // the GET is being served: w and rc may be used
	aborted bool          // Close set a past write deadline on rc
	done    chan struct{} // closed by Close
}

// Connect implements mcp.Transport: it announces the message endpoint.
func (st *sseStream) Connect(context.Context) (mcp.Connection, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.connected {
		return nil, errors.New("sse stream already connected")
	}
	st.connected = true
	if st.closed.Load() {
		return nil, errSSEClosed
	}
	if err := st.writeLocked("event: endpoint\ndata: " + PathSSE + "?" + sseSessionParam + "=" + st.id + "\n\n"); err != nil {
		return nil, err
	}
	return st, nil
}

// SupportsProtocolVersion implements mcp.ProtocolVersionSupporter.
func (st *sseStream) SupportsProtocolVersion(version string) bool {
	return version < sseFirstUnsupportedVersion
}

// SessionID implements mcp.Connection.
func (st *sseStream) SessionID() string { return st.id }

// Read implements mcp.Connection: the next POSTed message.
func (st *sseStream) Read(ctx context.Context) (jsonrpc.Message, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-st.done:
		return nil, io.EOF
	case msg := <-st.incoming:
		return msg, nil
	}
}

// Write implements mcp.Connection: one "message" event.
func (st *sseStream) Write(ctx context.Context, msg jsonrpc.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return err
	}
	var ev strings.Builder
	ev.Grow(len(data) + 32)
	ev.WriteString("event: message\n")
	// Encoded JSON has no raw line breaks; split anyway, so that a line
	// break could never end the event early (an SSE data line per line).
	for line := range strings.Lines(string(data)) {
		ev.WriteString("data: ")
		ev.WriteString(strings.TrimRight(line, "\r\n"))
		ev.WriteByte('\n')
	}
	ev.WriteByte('\n')
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.writeLocked(ev.String())
}

// comment writes an SSE comment line, which clients ignore.
func (st *sseStream) comment(text string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.writeLocked(": " + text + "\n\n")
}

// writeLocked writes and flushes s unless the stream is closed; st.mu must
// be held. writing is raised before closed is read, and Close sets closed
// before it reads writing, so a write that starts is either refused here
// or seen, and aborted, by Close.
func (st *sseStream) writeLocked(s string) error {
	st.writing.Store(true)
	defer st.writing.Store(false)
	if st.closed.Load() {
		return io.EOF
	}
	if _, err := io.WriteString(st.w, s); err != nil {
		return err
	}
	return st.rc.Flush()
}

// Close implements mcp.Connection. It may be called more than once, from
// the session, the GET and the shutdown hook; no write starts after it, and
// a write in progress is aborted (a past write deadline), so that a client
// that stopped reading cannot hold the GET, or a shutdown, open. An idle
// stream ends cleanly.
func (st *sseStream) Close() error {
	st.life.Lock()
	defer st.life.Unlock()
	if st.closed.Swap(true) {
		return nil
	}
	close(st.done)
	if st.live && st.writing.Load() {
		st.aborted = true
		_ = st.rc.SetWriteDeadline(time.Now())
	}
	return nil
}

// finish runs when open returns: it closes the stream and waits for a
// write in progress to end, so that w is never used after the handler
// returns (net/http forbids it) and never touched by a late Close (the
// connection may serve another request by then).
//
// A write Close saw "in progress" may in fact have been done: writing stays
// up until Flush returns, after the client has the bytes. The past
// deadline Close set would then fail net/http's last chunk, and a healthy
// stream would end as a broken one. So once every write has ended, finish
// lifts that deadline: a write that the deadline really aborted has left
// the connection's writer with a sticky error, so nothing more reaches that
// socket either way, and a completed one lets the stream end cleanly.
func (st *sseStream) finish() {
	st.Close()
	st.life.Lock()
	st.live = false
	aborted := st.aborted
	st.life.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	if aborted {
		_ = st.rc.SetWriteDeadline(time.Time{})
	}
}

// deliver queues a POSTed message for the session, waiting for room while
// the queue is full.
func (st *sseStream) deliver(ctx context.Context, msg jsonrpc.Message) error {
	select {
	case <-st.done:
		return errSSEClosed
	default:
	}
	select {
	case st.incoming <- msg:
		return nil
	case <-st.done:
		return errSSEClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}
