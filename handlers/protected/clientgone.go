package protected

import (
	"context"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// A client that goes away should cancel the GitHub call behind its
// request (issue 12, item 5). The go-sdk runs a request's handler under
// its session's context, not the HTTP request's, so when the client
// closes the connection of a /mcp POST the handler runs on until its own
// timeouts. bindRequest hands the POST's Done channel to the handler
// through the request's TokenInfo (built fresh for every request by
// authenticate, so no other request sees it), and CancelWithClient, a
// receiving middleware, cancels the handler's context when it closes.
// Only /mcp does this: on /sse the POST returns 202 at once and the answer
// travels on the event stream, so its context says nothing about the
// client. Nothing is lost by cancelling: /mcp keeps no event store, so a
// client cannot resume a dropped POST stream to collect the answer later.

// requestDoneKey is the auth.TokenInfo.Extra key of the /mcp POST's Done
// channel.
const requestDoneKey = "mcpgate.requestDone"

// bindRequest records the POST's Done channel in its verified TokenInfo.
func bindRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ti, ok := r.Context().Value(verifiedKey{}).(*auth.TokenInfo); ok && ti != nil && ti.Extra != nil && r.Method == http.MethodPost {
			ti.Extra[requestDoneKey] = r.Context().Done()
		}
		next.ServeHTTP(w, r)
	})
}

// CancelWithClient is an mcp.Middleware (AddReceivingMiddleware) that
// cancels a request's context when the /mcp POST that carried it ends
// before the answer, so the tool's GitHub call stops with it.
func CancelWithClient(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		extra := req.GetExtra()
		if extra == nil || extra.TokenInfo == nil {
			return next(ctx, method, req)
		}
		done, ok := extra.TokenInfo.Extra[requestDoneKey].(<-chan struct{})
		if !ok || done == nil {
			return next(ctx, method, req)
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-done:
				cancel()
			case <-ctx.Done():
			}
		}()
		return next(ctx, method, req)
	}
}
