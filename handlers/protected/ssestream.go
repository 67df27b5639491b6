package protected

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

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
