package observe

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// tracerName names the instrumentation scope of mcpgate's own spans.
const tracerName = "github.com/mcpgate/mcpgate"

// propagator reads and writes W3C trace context (traceparent, tracestate).
var propagator = propagation.TraceContext{}

// Middleware wraps the whole HTTP surface (mount it outside the ServeMux,
// which fills in r.Pattern on the request it is given). A nil Observer
// still assigns request IDs.
func (o *Observer) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestIDFrom(r.Header.Get(HeaderRequestID))
		w.Header().Set(HeaderRequestID, id)
		ctx := WithRequestID(r.Context(), id)

		var span trace.Span
		if o != nil && o.Tracer != nil {
			ctx = propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = o.Tracer.Tracer(tracerName).Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method),
					attribute.String("url.path", r.URL.Path), attribute.String("mcpgate.request_id", id)))
		}
		r = r.WithContext(ctx)
		rec := &recorder{ResponseWriter: w}
		var m *Metrics
		if o != nil {
			m = o.Metrics
		}
		// r.Pattern is known only once the mux has routed; the in-flight
		// gauge therefore counts by path class until then. Streams are
		// what it is for, and their routes are fixed paths: use the path
		// when it is one of them.
		var inFlight func()
		if m != nil {
			g := m.httpInFlight.WithLabelValues(streamRoute(r.URL.Path), httpMethod(r.Method))
			g.Inc()
			inFlight = g.Dec
		}
		defer func() {
			if inFlight != nil {
				inFlight()
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			route := routeLabel(r.Pattern)
			elapsed := time.Since(start)
			if m != nil {
				m.httpRequests.WithLabelValues(route, httpMethod(r.Method), statusClass(status)).Inc()
				m.httpDuration.WithLabelValues(route, httpMethod(r.Method)).Observe(elapsed.Seconds())
			}
			if span != nil {
				span.SetName(r.Method + " " + route)
				span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
				if status >= 500 {
					span.SetStatus(codes.Error, strconv.Itoa(status))
				}
				span.End()
			}
			if o != nil && o.AccessLog != nil {
				// The path, never the query: authorization requests and
				// callbacks carry state and codes there.
				// The request ID is named here, so ContextHandler must not add
				// it again: the line is logged without it in its context.
				logCtx := trace.ContextWithSpanContext(context.Background(), trace.SpanContextFromContext(ctx))
				o.AccessLog.LogAttrs(logCtx, accessLevel(r.URL.Path, status), "http request", slog.String("request_id", id),
					slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
					slog.Int("status", status), slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
					slog.String("remote_addr", r.RemoteAddr))
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// streamRoute is the in-flight gauge's route label: the stream endpoints
// by name, everything else "other".
func streamRoute(path string) string {
	switch path {
	case "/mcp", "/sse":
		return path
	}
	if len(path) > len("/mcp/") && path[:len("/mcp/")] == "/mcp/" {
		return "/mcp/{name}"
	}
	return labelOther
}

// recorder notes the status and size of a response. It keeps Flush (SSE
// and streamable HTTP flush every event) and Unwrap, so that
// http.ResponseController reaches the connection beneath.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLevel is Info, except for successful health probes: an
// orchestrator asks every few seconds, and those lines would drown the
// rest (they show at debug).
func accessLevel(path string, status int) slog.Level {
	if status < 400 && (path == "/healthz" || path == "/readyz") {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
