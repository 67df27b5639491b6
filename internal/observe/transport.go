package observe

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// headerGitHubRequestID is GitHub's ID of an API request; GitHub support
// asks for it.
const headerGitHubRequestID = "X-Github-Request-Id"

// Transport instruments the HTTP calls to one identity provider and its
// API (provider is the configured provider's name): a client span with
// the W3C trace context when tracing is on, the upstream metrics, GitHub's
// X-RateLimit-Remaining in buckets, and GitHub's request ID for the audit
// line of the tool call that made the request. next nil means
// http.DefaultTransport; a nil Observer returns next as it is.
func (o *Observer) Transport(provider string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if o == nil {
		return next
	}
	var rt http.RoundTripper = &upstreamTransport{next: next, provider: provider, m: o.Metrics}
	if o.Tracer != nil {
		rt = otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(o.Tracer), otelhttp.WithPropagators(propagator),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + provider }))
	}
	return rt
}

type upstreamTransport struct {
	next     http.RoundTripper
	provider string
	m        *Metrics
}

func (t *upstreamTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	if resp != nil {
		if id := resp.Header.Get(headerGitHubRequestID); id != "" {
			if n := notesFrom(r.Context()); n != nil {
				n.setGitHubRequestID(id)
			}
		}
	}
	if t.m == nil {
		return resp, err
	}
	provider := t.m.provider(t.provider)
	code := "error"
	if err == nil {
		code = statusClass(resp.StatusCode)
		if v := resp.Header.Get("X-Ratelimit-Remaining"); v != "" {
			if n, perr := strconv.Atoi(v); perr == nil && n >= 0 {
				t.m.rateLimit.WithLabelValues(provider).Observe(float64(n))
			}
		}
	}
	t.m.upstreamRequests.WithLabelValues(provider, code).Inc()
	t.m.upstreamDuration.WithLabelValues(provider).Observe(time.Since(start).Seconds())
	return resp, err
}

// callNotes collects what the upstream calls of one tool call learn that
// its audit line reports.
type callNotes struct {
	mu              sync.Mutex
	gitHubRequestID string
}

func (n *callNotes) setGitHubRequestID(id string) {
	if !saneRequestID(id) {
		return
	}
	n.mu.Lock()
	n.gitHubRequestID = id
	n.mu.Unlock()
}

func (n *callNotes) GitHubRequestID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.gitHubRequestID
}
