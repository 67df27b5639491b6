package observe

import (
	"context"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// labelOther is what any value outside a label's known set becomes, so a
// client cannot mint new time series by sending new names.
const labelOther = "other"

// Metrics holds every collector, on its own registry (no global state:
// tests build as many as they like). Label values are bounded: see label.
type Metrics struct {
	reg       *prometheus.Registry
	tools     map[string]bool
	backends  map[string]map[string]bool
	providers map[string]bool

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight *prometheus.GaugeVec

	registrations  prometheus.Counter
	clientsDeleted prometheus.Counter
	reregistered   prometheus.Counter
	consents       *prometheus.CounterVec
	authorizations *prometheus.CounterVec
	tokenRequests  *prometheus.CounterVec
	reuse          *prometheus.CounterVec
	revocations    *prometheus.CounterVec

	toolCalls    *prometheus.CounterVec
	toolDuration *prometheus.HistogramVec

	upstreamRequests  *prometheus.CounterVec
	upstreamDuration  *prometheus.HistogramVec
	upstreamRefreshes *prometheus.CounterVec
	rateLimit         *prometheus.HistogramVec

	storeCommands *prometheus.CounterVec
	storeDuration *prometheus.HistogramVec
}

// MetricsOptions are the known label values.
type MetricsOptions struct {
	// Tools are the tool names (tools.Names()); other names are "other".
	Tools []string
	// Providers are the configured identity providers' names.
	Providers []string
	// Backends are gateway mode's backends: name → the tool names that
	// are labelled by name (the backend's allow list). A forwarded call's
	// tool name is the client's to choose, so any other name is "other",
	// which keeps the series bounded.
	Backends map[string][]string
}

// labelBuiltin is the backend label of the built-in tools' calls.
const labelBuiltin = "builtin"

// Buckets of the GitHub rate-limit remaining histogram: the shape of the
// budget across all users (the primary limit is 5,000 an hour per user),
// never one series per user.
var rateLimitBuckets = []float64{0, 10, 50, 100, 250, 500, 1000, 2500, 5000}

// NewMetrics builds the collectors, with the Go runtime and process
// collectors beside them.
func NewMetrics(opts MetricsOptions) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), tools: set(opts.Tools), providers: set(opts.Providers),
		backends: map[string]map[string]bool{}}
	for name, tools := range opts.Backends {
		m.backends[name] = set(tools)
	}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		f(c)
		return c
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
		f(h)
		return h
	}
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	m.httpRequests = counter("mcpgate_http_requests_total", "HTTP requests by route pattern, method and status class.", "route", "method", "code")
	m.httpDuration = histogram("mcpgate_http_request_duration_seconds", "Time to the end of the HTTP response by route pattern and method (streams last as long as they are open).", prometheus.DefBuckets, "route", "method")
	m.httpInFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mcpgate_http_requests_in_flight", Help: "Requests being served by route pattern; on GET /sse and GET /mcp these are the open event streams."}, []string{"route", "method"})
	f(m.httpInFlight)

	m.registrations = prometheus.NewCounter(prometheus.CounterOpts{Name: "mcpgate_oauth_registrations_total", Help: "Clients registered (RFC 7591)."})
	f(m.registrations)
	m.clientsDeleted = prometheus.NewCounter(prometheus.CounterOpts{Name: "mcpgate_oauth_clients_deleted_total", Help: "Client registrations deleted."})
	f(m.clientsDeleted)
	m.reregistered = prometheus.NewCounter(prometheus.CounterOpts{Name: "mcpgate_client_reregistrations_total", Help: "Authorizations by a person of a client that repeats one of their earlier registrations (same client_name and redirect URI); the info log names the person and both client IDs."})
	f(m.reregistered)
	m.consents = counter("mcpgate_oauth_consents_total", "Consent decisions by result (approved, denied).", "result")
	m.authorizations = counter("mcpgate_oauth_authorizations_total", "Upstream sign-ins finished at the callback by provider and result (ok, denied, error).", "provider", "result")
	m.tokenRequests = counter("mcpgate_oauth_token_requests_total", "Token endpoint answers by grant type and result (ok or the OAuth error code).", "grant_type", "result")
	m.reuse = counter("mcpgate_oauth_reuse_detected_total", "Refresh tokens or authorization codes presented again; each revoked its grant.", "grant_type")
	m.revocations = counter("mcpgate_oauth_revocations_total", "Grants revoked, by who revoked them (client, person, operator, upstream).", "by")

	m.toolCalls = counter("mcpgate_tool_calls_total", "MCP tool calls by backend (builtin or a gateway backend's name), tool and outcome (ok, tool_error, denied, error).", "backend", "tool", "outcome")
	m.toolDuration = histogram("mcpgate_tool_call_duration_seconds", "MCP tool call latency by backend and tool.", prometheus.DefBuckets, "backend", "tool")

	m.upstreamRequests = counter("mcpgate_upstream_requests_total", "HTTP calls to identity providers and the GitHub API by provider and status class (error: no response).", "provider", "code")
	m.upstreamDuration = histogram("mcpgate_upstream_request_duration_seconds", "Upstream HTTP call latency by provider.", prometheus.DefBuckets, "provider")
	m.upstreamRefreshes = counter("mcpgate_upstream_refreshes_total", "Upstream token refreshes by provider and result (ok, error).", "provider", "result")
	m.rateLimit = histogram("mcpgate_github_rate_limit_remaining", "GitHub's X-RateLimit-Remaining on API responses, in buckets (not per user).", rateLimitBuckets, "provider")

	m.storeCommands = counter("mcpgate_store_commands_total", "Redis commands by command and result (ok, error).", "command", "result")
	m.storeDuration = histogram("mcpgate_store_command_duration_seconds", "Redis command latency by command.", []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}, "command")
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gatherer exposes the registry to tests.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

func (m *Metrics) record(_ context.Context, e Event) {
	switch e.Kind {
	case ClientRegistered:
		m.registrations.Inc()
	case ClientDeleted:
		m.clientsDeleted.Inc()
	case ClientReregistered:
		m.reregistered.Inc()
	case ConsentApproved:
		m.consents.WithLabelValues("approved").Inc()
	case ConsentDenied:
		m.consents.WithLabelValues("denied").Inc()
	case SignIn:
		m.authorizations.WithLabelValues(m.provider(e.Provider), oneOf(e.Result, "ok", "denied", "error")).Inc()
	case TokenRequest:
		m.tokenRequests.WithLabelValues(grantType(e.GrantType), oneOf(e.Result, tokenResults...)).Inc()
	case ReuseDetected:
		m.reuse.WithLabelValues(grantType(e.GrantType)).Inc()
	case GrantRevoked:
		m.revocations.WithLabelValues(oneOf(e.By, RevokedByClient, RevokedByPerson, RevokedByOperator, RevokedByUpstream)).Inc()
	case ToolCalled:
		backend, tool := m.toolLabels(e.Backend, e.Tool)
		m.toolCalls.WithLabelValues(backend, tool, oneOf(e.Result, "ok", "tool_error", "denied", "error")).Inc()
		m.toolDuration.WithLabelValues(backend, tool).Observe(e.Duration.Seconds())
	case UpstreamRefresh:
		m.upstreamRefreshes.WithLabelValues(m.provider(e.Provider), oneOf(e.Result, "ok", "error")).Inc()
	}
}

// tokenResults are the token endpoint's possible results: "ok" and the
// OAuth error codes it answers with (RFC 6749 §5.2, RFC 8707).
var tokenResults = []string{"ok", "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope", "invalid_target", "server_error", "temporarily_unavailable"}

func grantType(gt string) string {
	switch gt {
	case "":
		return "none"
	case "authorization_code", "refresh_token":
		return gt
	}
	return labelOther
}

// toolLabels are the backend and tool labels of a tool call: a built-in
// tool by its name, a forwarded one by its backend and, when the backend's
// allow list names it, its name.
func (m *Metrics) toolLabels(backend, tool string) (string, string) {
	if backend == "" {
		return labelBuiltin, label(tool, m.tools)
	}
	known, ok := m.backends[backend]
	if !ok {
		return labelOther, labelOther
	}
	return backend, label(tool, known)
}

func (m *Metrics) provider(name string) string { return label(name, m.providers) }
func label(v string, known map[string]bool) string {
	if known[v] {
		return v
	}
	return labelOther
}

func oneOf(v string, known ...string) string {
	for _, k := range known {
		if v == k {
			return v
		}
	}
	return labelOther
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// httpMethod bounds the method label to the methods the server answers.
func httpMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return labelOther
}

// statusClass is "2xx" … "5xx".
func statusClass(code int) string {
	if code < 100 || code > 599 {
		return labelOther
	}
	return string(rune('0'+code/100)) + "xx"
}

// routeLabel is the ServeMux pattern that served the request without its
// method ("/mcp/{name}"), or "other" for a request no pattern matched, so
// that scanners probing random paths add no series.
func routeLabel(pattern string) string {
	if pattern == "" {
		return labelOther
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = pattern[i+1:]
	}
	return pattern
}
