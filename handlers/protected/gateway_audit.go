// The gateway's audit of forwarded tool calls: one tool.called event per
// tools/call in a request, as the built-in tools get from
// observe.MCPMiddleware, with the backend's name. Arguments and results
// are never recorded; the outcome comes from what mcpgate answered.

package protected

import (
	"context"
	"net/http"
	"time"

	"github.com/mcpgate/mcpgate/internal/observe"
)

// Outcomes of a forwarded tool call in its tool.called event.
const (
	callOK     = "ok"     // the backend answered 2xx
	callDenied = "denied" // refused here (scope, allow/deny list, session) or 401/403
	callError  = "error"  // anything else: backend down, 5xx, token trouble
)

// statusWriter remembers the status of the answer. Unwrap lets
// http.ResponseController reach the server's writer (flushes of streams).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// callOutcome maps what mcpgate answered to a tool call's outcome; denied
// is set when the policy refused the request (its JSON-RPC refusal of a
// hidden tool is an HTTP 200; a failed tools/list for the scope check is a
// 5xx, an error).
func callOutcome(status int, denied bool) string {
	switch {
	case status >= http.StatusInternalServerError:
		return callError
	case denied, status == http.StatusUnauthorized, status == http.StatusForbidden:
		return callDenied
	case status >= 200 && status < 300:
		return callOK
	default:
		return callError
	}
}

// recordCalls sends one tool.called event per tools/call of req.
func (h *Gateway) recordCalls(ctx context.Context, req *gatewayRequest, outcome string, d time.Duration) {
	c := req.caller
	for _, call := range req.calls {
		h.Events.Record(ctx, observe.Event{
			Kind:     observe.ToolCalled,
			UserID:   c.UserID,
			ClientID: c.ClientID,
			GrantID:  c.GrantID,
			Provider: c.Provider,
			Tool:     displayToolName(call.name),
			Backend:  h.Backend.Name,
			Result:   outcome,
			Duration: d,
		})
	}
}
