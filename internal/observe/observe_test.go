package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestRequestIDFrom(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		keep     bool
	}{
		{"uuid", "3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b", true},
		{"aws trace header style", "Root=1-67891233-abcdef012345678912345678", true},
		{"empty", "", false},
		{"newline forging a log line", "abc\nlevel=ERROR msg=forged", false},
		{"space", "abc def", false},
		{"quote", `abc"def`, false},
		{"65 characters", strings.Repeat("a", 65), false},
		{"64 characters", strings.Repeat("a", 64), true},
		{"non-ASCII", "abcé", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := requestIDFrom(tc.in)
			if tc.keep && got != tc.in {
				t.Fatalf("requestIDFrom(%q) = %q, want it kept", tc.in, got)
			}
			if !tc.keep && (got == tc.in || len(got) != 32 || !saneRequestID(got)) {
				t.Fatalf("requestIDFrom(%q) = %q, want a fresh 32-hex ID", tc.in, got)
			}
		})
	}
	if a, b := newRequestID(), newRequestID(); a == b {
		t.Fatalf("two fresh request IDs are equal: %s", a)
	}
}

// seriesLabels returns the label sets of one metric family.
func seriesLabels(t *testing.T, m *Metrics, name string) []map[string]string {
	t.Helper()
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, s := range mf.GetMetric() {
			out = append(out, labelMap(s))
		}
	}
	return out
}

func labelMap(s *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range s.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

func TestMiddlewareRoutesRequestIDsAndAccessLog(t *testing.T) {
	var logs bytes.Buffer
	o := &Observer{Metrics: NewMetrics(MetricsOptions{}), AccessLog: slog.New(slog.NewJSONHandler(&logs, nil))}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if RequestID(r.Context()) == "" {
			t.Error("the handler's context has no request ID")
		}
		w.WriteHeader(http.StatusBadRequest)
	})
	mux.HandleFunc("GET /mcp/{name}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	h := o.Middleware(mux)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	if strings.Contains(logs.String(), "/healthz") {
		t.Errorf("a successful health probe was logged at info: %s", logs.String())
	}

	for _, tc := range []struct {
		method, target, requestID string
		wantRoute, wantCode       string
	}{
		{"POST", "/token", "", "/token", "4xx"},
		{"POST", "/token?code=SECRETCODE", "client-req-1", "/token", "4xx"},
		{"GET", "/mcp/alpha", "", "/mcp/{name}", "2xx"},
		{"GET", "/mcp/beta", "", "/mcp/{name}", "2xx"},
		{"GET", "/wp-login.php", "", "other", "4xx"},
		{"GET", "/etc/passwd/" + strings.Repeat("x", 40), "", "other", "4xx"},
		{"BREW", "/token", "", "other", "4xx"},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.requestID != "" {
			r.Header.Set(HeaderRequestID, tc.requestID)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		id := w.Header().Get(HeaderRequestID)
		if id == "" || (tc.requestID != "" && id != tc.requestID) {
			t.Errorf("%s %s: X-Request-Id %q (sent %q)", tc.method, tc.target, id, tc.requestID)
		}
		want := map[string]string{"route": tc.wantRoute, "code": tc.wantCode, "method": httpMethod(tc.method)}
		if testutil.ToFloat64(o.Metrics.httpRequests.With(want)) == 0 {
			t.Errorf("%s %s: no request counted with %v", tc.method, tc.target, want)
		}
	}
	routes := map[string]bool{}
	for _, l := range seriesLabels(t, o.Metrics, "mcpgate_http_requests_total") {
		routes[l["route"]] = true
	}
	if len(routes) != 4 || !routes["other"] || !routes["/token"] || !routes["/mcp/{name}"] || !routes["/healthz"] {
		t.Errorf("route labels %v, want exactly /token, /mcp/{name}, /healthz and other: unknown paths must collapse", routes)
	}
	if strings.Contains(logs.String(), "SECRETCODE") {
		t.Error("the access log holds the query string")
	}
	if !strings.Contains(logs.String(), `"request_id":"client-req-1"`) || !strings.Contains(logs.String(), `"route":"/mcp/{name}"`) {
		t.Errorf("access log lacks the request ID or route:\n%s", logs.String())
	}
}

func TestNilObserverStillAssignsRequestIDs(t *testing.T) {
	var o *Observer
	w := httptest.NewRecorder()
	o.Middleware(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Header().Get(HeaderRequestID) == "" {
		t.Fatal("no X-Request-Id")
	}
	o.Record(context.Background(), Event{Kind: ToolCalled}) // must not panic
	if o.Transport("github", nil) != http.DefaultTransport {
		t.Fatal("a nil observer must not wrap the transport")
	}
	if o.RedisHook() != nil {
		t.Fatal("a nil observer has no Redis hook")
	}
}

func TestMiddlewareKeepsFlushing(t *testing.T) {
	h := (&Observer{}).Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the wrapped writer lost http.Flusher (SSE needs it)")
		}
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/sse", nil))
}

func TestEventLabelsAreBounded(t *testing.T) {
	m := NewMetrics(MetricsOptions{Tools: []string{"get_me"}, Providers: []string{"github"},
		Backends: map[string][]string{"gh": {"issue_read"}, "open": nil}})
	o := &Observer{Metrics: m}
	ctx := context.Background()
	for _, e := range []Event{
		{Kind: TokenRequest, GrantType: "password", Result: "invalid_grant"},
		{Kind: TokenRequest, GrantType: "urn:x:" + strings.Repeat("z", 50), Result: "made_up_error"},
		{Kind: TokenRequest, GrantType: "refresh_token", Result: "ok"},
		{Kind: ToolCalled, Tool: "get_me", Result: "ok"},
		{Kind: ToolCalled, Tool: "no_such_tool_1", Result: "error"},
		{Kind: ToolCalled, Tool: "no_such_tool_2", Result: "weird"},
		{Kind: ToolCalled, Backend: "gh", Tool: "issue_read", Result: "ok"},
		{Kind: ToolCalled, Backend: "gh", Tool: "client_chosen_" + strings.Repeat("x", 20), Result: "denied"},
		{Kind: ToolCalled, Backend: "open", Tool: "get_me", Result: "error"},
		{Kind: ToolCalled, Backend: "unconfigured", Tool: "get_me", Result: "ok"},
		{Kind: SignIn, Provider: "evil", Result: "ok"},
		{Kind: GrantRevoked, By: "someone"},
	} {
		o.Record(ctx, e)
	}
	for _, tc := range []struct {
		name string
		want map[string]string
	}{
		{"mcpgate_oauth_token_requests_total", map[string]string{"grant_type": "other", "result": "invalid_grant"}},
		{"mcpgate_oauth_token_requests_total", map[string]string{"grant_type": "other", "result": "other"}},
		{"mcpgate_oauth_token_requests_total", map[string]string{"grant_type": "refresh_token", "result": "ok"}},
		{"mcpgate_tool_calls_total", map[string]string{"backend": "builtin", "tool": "get_me", "outcome": "ok"}},
		{"mcpgate_tool_calls_total", map[string]string{"backend": "builtin", "tool": "other", "outcome": "error"}},
		{"mcpgate_tool_calls_total", map[string]string{"backend": "builtin", "tool": "other", "outcome": "other"}},
		// Forwarded calls: by name only when the backend's allow list names
		// the tool (the client chooses the name); an unknown backend is other.
		{"mcpgate_tool_calls_total", map[string]string{"backend": "gh", "tool": "issue_read", "outcome": "ok"}},
		{"mcpgate_tool_calls_total", map[string]string{"backend": "gh", "tool": "other", "outcome": "denied"}},
		{"mcpgate_tool_calls_total", map[string]string{"backend": "open", "tool": "other", "outcome": "error"}},
		{"mcpgate_tool_calls_total", map[string]string{"backend": "other", "tool": "other", "outcome": "ok"}},
		{"mcpgate_oauth_authorizations_total", map[string]string{"provider": "other", "result": "ok"}},
		{"mcpgate_oauth_revocations_total", map[string]string{"by": "other"}},
	} {
		found := false
		for _, l := range seriesLabels(t, m, tc.name) {
			if equalLabels(l, tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s has no series %v: %v", tc.name, tc.want, seriesLabels(t, m, tc.name))
		}
	}
	if n := len(seriesLabels(t, m, "mcpgate_tool_calls_total")); n != 7 {
		t.Errorf("%d tool call series, want 7", n)
	}
}

func equalLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func TestAuditLine(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	o := &Observer{Audit: NewAudit(&buf, func() time.Time { return at })}
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(WithRequestID(context.Background(), "req-1"), "x")
	defer span.End()
	o.Record(ctx, Event{Kind: GrantRevoked, By: RevokedByPerson, GrantID: "g1", UserID: "github:1", ClientID: "c1"})
	o.Record(ctx, Event{Kind: TokenRequest, GrantType: "refresh_token", Result: "ok"}) // metrics only
	o.Record(ctx, Event{Kind: ToolCalled, Tool: "get_me", Result: "ok", Duration: 1500 * time.Microsecond})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2 (token.request is not audited):\n%s", len(lines), buf.String())
	}
	want := `{"time":"2026-12-06T21:00:00Z","event":"grant.revoked","request_id":"req-1","trace_id":"` +
		span.SpanContext().TraceID().String() + `","client_id":"c1","grant_id":"g1","user_id":"github:1","by":"person"}`
	if lines[0] != want {
		t.Errorf("audit line\n%s\nwant\n%s", lines[0], want)
	}
	var tool map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &tool); err != nil || tool["duration_ms"] != 1.5 {
		t.Errorf("tool line %s: duration_ms %v (%v), want 1.5", lines[1], tool["duration_ms"], err)
	}
}

func TestTransportMeasuresAndNotesGitHubRequestID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Traceparent") == "" {
			t.Error("the upstream call carries no traceparent")
		}
		w.Header().Set("X-GitHub-Request-Id", "ABCD:1234:5678")
		w.Header().Set("X-RateLimit-Remaining", "42")
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	o := &Observer{Metrics: NewMetrics(MetricsOptions{Providers: []string{"github"}}),
		Tracer: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))}
	client := &http.Client{Transport: o.Transport("github", nil)}
	ctx, notes := withNotes(context.Background())
	ctx, span := o.Tracer.Tracer("t").Start(ctx, "parent")
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	span.End()
	if got := notes.GitHubRequestID(); got != "ABCD:1234:5678" {
		t.Errorf("GitHub request ID %q", got)
	}
	if v := testutil.ToFloat64(o.Metrics.upstreamRequests.WithLabelValues("github", "4xx")); v != 1 {
		t.Errorf("upstream 4xx count %v, want 1", v)
	}
	if n := testutil.CollectAndCount(o.Metrics.rateLimit); n != 1 {
		t.Errorf("rate-limit histogram has %d series, want 1", n)
	}
	var client0 bool
	for _, s := range rec.Ended() {
		if s.SpanKind() == trace.SpanKindClient && s.Parent().SpanID() == span.SpanContext().SpanID() {
			client0 = true
		}
	}
	if !client0 {
		t.Error("no client span under the caller's span")
	}
}

func TestTracingContinuesIncomingTraceContext(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	o := &Observer{Tracer: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mcp", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	r := httptest.NewRequest("POST", "/mcp", nil)
	r.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	o.Middleware(mux).ServeHTTP(httptest.NewRecorder(), r)
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "POST /mcp" || s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		s.Parent().SpanID().String() != "00f067aa0ba902b7" || s.Status().Code.String() != "Error" {
		t.Errorf("span %q trace %s parent %s status %v", s.Name(), s.SpanContext().TraceID(), s.Parent().SpanID(), s.Status())
	}
}

func TestQuietAndContextHandlers(t *testing.T) {
	var buf bytes.Buffer
	base := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})
	q := slog.New(QuietHandler(base))
	q.Info("server session connected")
	q.Warn("kept")
	if strings.Contains(buf.String(), "server session connected") || !strings.Contains(buf.String(), "kept") {
		t.Errorf("Info must be demoted below the Info level, Warn kept:\n%s", buf.String())
	}
	buf.Reset()
	slog.New(ContextHandler(base)).InfoContext(WithRequestID(context.Background(), "r-9"), "x")
	if !strings.Contains(buf.String(), `"request_id":"r-9"`) {
		t.Errorf("no request_id: %s", buf.String())
	}
	if Quiet(nil) != nil {
		t.Error("Quiet(nil) must stay nil")
	}
}

var errTool = errors.New("tool failed")
