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
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

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
