package mcptest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// HangGuard bounds every wait of a test (a request, a stream, a session, a
// condition polled for), so that a broken server fails the test with a
// message instead of hanging it until go test's timeout. t.Context() alone
// is no bound: it is cancelled only after the test returns. Nothing is
// timed by it; a passing test never comes near it.
const HangGuard = time.Minute

// Bounded is t.Context() with the hang guard's deadline.
func Bounded(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), HangGuard)
	t.Cleanup(cancel)
	return ctx
}

// ServeBounded runs r through h with the hang guard's deadline on its
// context: a handler that wrongly accepts a request and starts to stream
// (GET /sse or /mcp) ends at the deadline, and the test then fails on
// the status it got, instead of waiting forever on a recorder. r itself
// is served (its context replaced), so that the caller sees what the
// handler parsed into it (r.PostForm).
func ServeBounded(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	ctx, cancel := context.WithTimeout(r.Context(), HangGuard)
	defer cancel()
	*r = *r.WithContext(ctx)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}
