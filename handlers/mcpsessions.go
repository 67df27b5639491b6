package handlers

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tokens"
)

// DefaultSessionsPerUser is MCP.MaxSessionsPerUser when zero: the same
// bound as the legacy transport's streams (DefaultSSEStreamsPerUser).
const DefaultSessionsPerUser = DefaultSSEStreamsPerUser

// sessionIDHeader is the streamable HTTP session header (MCP transports,
// "Session Management").
const sessionIDHeader = "Mcp-Session-Id"

// sessionLimiter bounds the stateful /mcp sessions one user holds at once.
// The go-sdk opens a session for every POST without Mcp-Session-Id and ends
// it on DELETE, on its idle timeout, on a failed initialize or when the
// server closes it; each of these closes the *mcp.ServerSession, so the
// limiter counts a session from the response that announced its ID until
// ServerSession.Wait returns, which is exact whatever ended it. A DELETE
// that the SDK answered 204 releases the session at once as well, so that
// the client's next initialize never races the session's teardown.
type sessionLimiter struct {
	max       int
	serverFor func(*http.Request) *mcp.Server
	logger    *slog.Logger

	mu       sync.Mutex
	perUser  map[string]int    // live or reserved sessions by user ID
	sessions map[string]string // user ID by live session ID
}

// wrap refuses a POST that would open a session beyond the caller's limit
// with 429, and otherwise counts the session the SDK opens for it.
func (l *sessionLimiter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sid := r.Header.Get(sessionIDHeader); r.Method != http.MethodPost || sid != "" {
			next.ServeHTTP(w, r)
			if r.Method == http.MethodDelete && sid != "" {
				l.deleted(r, sid)
			}
			return
		}
		ti := auth.TokenInfoFromContext(r.Context())
		if ti == nil || ti.UserID == "" {
			// The bearer check always provides both; without a user the SDK
			// binds the session to nobody, so there is nothing to count by.
			next.ServeHTTP(w, r)
			return
		}
		user := ti.UserID
		if !l.reserve(user) {
			attrs := []slog.Attr{slog.String("user_id", user)}
			if c, ok := ti.Extra[callerKey].(*tokens.Caller); ok && c != nil {
				attrs = append(attrs, slog.String("grant_id", c.GrantID), slog.String("client_id", c.ClientID))
			}
			l.logger.LogAttrs(r.Context(), slog.LevelWarn, "mcp session refused: too many open sessions", attrs...)
			w.Header().Set("Retry-After", bearerRetryAfter)
			writeBearerJSON(w, http.StatusTooManyRequests, "too_many_requests",
				"at most "+strconv.Itoa(l.max)+" MCP sessions may be open per user; end one (DELETE) or let it expire first")
			return
		}
		next.ServeHTTP(w, r)
		l.track(r, user, w.Header().Get(sessionIDHeader))
	})
}

// reserve counts a session for user before the SDK opens it, so that
// concurrent POSTs cannot overshoot the limit.
func (l *sessionLimiter) reserve(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perUser[user] >= l.max {
		return false
	}
	l.perUser[user]++
	return true
}

func (l *sessionLimiter) releaseLocked(user string) {
	if l.perUser[user]--; l.perUser[user] <= 0 {
		delete(l.perUser, user)
	}
}

// ended releases the session sid once, however many times its end is
// reported.
func (l *sessionLimiter) ended(sid string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if user, ok := l.sessions[sid]; ok {
		delete(l.sessions, sid)
		l.releaseLocked(user)
	}
}

// deleted releases sid after a DELETE unless the session outlived it (the
// SDK refused the DELETE, for another user's token say). The SDK closes the
// session before it answers, so a session that is gone now is gone for good.
// Only the session's own user's DELETE counts: the SDK refuses anyone
// else's, and another user's server may not hold the session at all.
func (l *sessionLimiter) deleted(r *http.Request, sid string) {
	ti := auth.TokenInfoFromContext(r.Context())
	if ti == nil {
		return
	}
	l.mu.Lock()
	owner, ok := l.sessions[sid]
	l.mu.Unlock()
	if ok && owner == ti.UserID && l.find(r, sid) == nil {
		l.ended(sid)
	}
}

// find returns the live session sid of the server that serves r's caller,
// or nil.
func (l *sessionLimiter) find(r *http.Request, sid string) *mcp.ServerSession {
	server := l.serverFor(r)
	if server == nil {
		return nil
	}
	for s := range server.Sessions() {
		if s.ID() == sid {
			return s
		}
	}
	return nil
}

// track keeps the reservation of user while the session sid, announced by
// the response, is alive, and releases it at once when there is none (no
// ID, or the SDK already closed it, as after a failed initialize).
func (l *sessionLimiter) track(r *http.Request, user, sid string) {
	var ss *mcp.ServerSession
	if sid != "" {
		ss = l.find(r, sid)
	}
	l.mu.Lock()
	if ss == nil {
		l.releaseLocked(user)
		l.mu.Unlock()
		return
	}
	l.sessions[sid] = user
	l.mu.Unlock()
	go func() {
		ss.Wait() // the session's end, however it came; its error is not ours
		l.ended(sid)
	}()
}
