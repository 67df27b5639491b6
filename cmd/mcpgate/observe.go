package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tools"
)

// upstreamTimeout bounds each upstream call when the observer builds the
// providers' HTTP clients (the providers' own default is the same).
const upstreamTimeout = 15 * time.Second

// telemetry is the observer of `mcpgate serve` with what it must close:
// the audit file, the tracer provider (flushing spans) and the metrics
// listener.
type telemetry struct {
	obs     *observe.Observer
	closers []func(context.Context) error
}

// openAudit opens MCPGATE_AUDIT_LOG: stdout, stderr or a file appended to
// (created 0600: it names users and clients).
func openAudit(dest string, stdout, stderr io.Writer) (*observe.Audit, func(context.Context) error, error) {
	noop := func(context.Context) error { return nil }
	switch dest {
	case "", "stderr":
		return observe.NewAudit(stderr, nil), noop, nil
	case "stdout":
		return observe.NewAudit(stdout, nil), noop, nil
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("audit log (MCPGATE_AUDIT_LOG): %w", err)
	}
	return observe.NewAudit(f, nil), func(context.Context) error { return f.Close() }, nil
}

// newTelemetry builds the audit log, the metrics (when MCPGATE_METRICS_ADDR
// is set) and tracing (when the OTEL_* variables ask for it). The access
// log goes to logger.
func newTelemetry(ctx context.Context, cfg *config.Config, logger *slog.Logger, stdout, stderr io.Writer) (*telemetry, error) {
	t := &telemetry{obs: &observe.Observer{AccessLog: logger}}
	audit, closeAudit, err := openAudit(cfg.Observe.AuditLog, stdout, stderr)
	if err != nil {
		return nil, err
	}
	t.obs.Audit = audit
	t.closers = append(t.closers, closeAudit)
	if cfg.Observe.MetricsAddr != "" {
		var providers []string
		for _, p := range cfg.IdentityProviders() {
			providers = append(providers, p.Name)
		}
		backends := map[string][]string{}
		for _, b := range cfg.AllBackends() {
			backends[b.Name] = b.Allow
		}
		t.obs.Metrics = observe.NewMetrics(observe.MetricsOptions{Tools: tools.Names(), Providers: providers, Backends: backends})
	}
	if cfg.Observe.Tracing.Enabled() {
		tp, err := observe.NewTracerProvider(ctx, version)
		if err != nil {
			t.Close(ctx)
			return nil, err
		}
		t.obs.Tracer = tp
		t.closers = append(t.closers, tp.Shutdown)
		logger.Info("tracing on: exporting spans over OTLP/HTTP", "endpoint", cfg.Observe.Tracing.Endpoint)
	}
	return t, nil
}

// serveMetrics serves /metrics on MCPGATE_METRICS_ADDR until Close, and
// returns the address it listens on ("" when metrics are off).
func (t *telemetry) serveMetrics(addr string, logger *slog.Logger) (string, error) {
	if t.obs.Metrics == nil {
		return "", nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s (MCPGATE_METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", t.obs.Metrics.Handler())
	srv := newHTTPServer(mux, logger)
	logger.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server stopped", "error", err)
		}
	}()
	t.closers = append(t.closers, srv.Shutdown)
	return ln.Addr().String(), nil
}

// Close stops the metrics listener, flushes spans and closes the audit
// file, within 5 seconds.
func (t *telemetry) Close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for i := len(t.closers) - 1; i >= 0; i-- {
		_ = t.closers[i](ctx)
	}
}

// httpClientFor is the HTTP client of one provider's upstream calls:
// opts.HTTPClient (or a default one) with the observer's transport, which
// measures and traces the calls under the provider's name.
func (o appOptions) httpClientFor(provider string) *http.Client {
	if o.Observer == nil {
		return o.HTTPClient
	}
	c := &http.Client{Timeout: upstreamTimeout}
	if o.HTTPClient != nil {
		clone := *o.HTTPClient
		c = &clone
	}
	c.Transport = o.Observer.Transport(provider, c.Transport)
	return c
}

// observeTools adds the tool-call audit and metrics to every MCP server,
// outside tools.RequireScopes so that refused calls count too.
func (s *mcpServers) observeTools(o *observe.Observer) {
	if o == nil {
		return
	}
	mw := o.MCPMiddleware(callerIDs)
	for _, server := range s.all() {
		server.AddReceivingMiddleware(mw)
	}
}

// callerIDs are the IDs of a tool call's caller, for its audit line.
func callerIDs(req *mcp.CallToolRequest) (observe.Caller, bool) {
	c, ok := protected.CallerFromRequest(req)
	if !ok {
		return observe.Caller{}, false
	}
	return observe.Caller{UserID: c.UserID, ClientID: c.ClientID, GrantID: c.GrantID, Provider: c.Provider}, true
}

// auditedStore is the store of the operator commands: revocations and
// deletions made with them reach the audit log like those made through the
// server (by "operator").
type auditedStore struct {
	tokens.Store
	events *observe.Observer
	close  func(context.Context) error
}

// withOperatorAudit wraps store so that the operator commands' revocations
// and deletions are audited to MCPGATE_AUDIT_LOG.
func withOperatorAudit(cfg *config.Config, store tokens.Store) (tokens.Store, error) {
	audit, closeAudit, err := openAudit(cfg.Observe.AuditLog, os.Stdout, os.Stderr)
	if err != nil {
		store.Close()
		return nil, err
	}
	return &auditedStore{Store: store, events: newAuditOnly(audit), close: closeAudit}, nil
}

func (s *auditedStore) RevokeGrant(ctx context.Context, id string) error {
	if err := s.Store.RevokeGrant(ctx, id); err != nil {
		return err
	}
	s.events.Record(ctx, observe.Event{Kind: observe.GrantRevoked, By: observe.RevokedByOperator, GrantID: id})
	return nil
}

func (s *auditedStore) DeleteClient(ctx context.Context, id string) error {
	if err := s.Store.DeleteClient(ctx, id); err != nil {
		return err
	}
	s.events.Record(ctx, observe.Event{Kind: observe.ClientDeleted, ClientID: id, Reason: "deleted by an operator"})
	return nil
}

func (s *auditedStore) Close() error {
	err := s.Store.Close()
	_ = s.close(context.Background())
	return err
}

// logger adds the request ID of each record's context to every line, and
// makes it the access log's logger too.
func (t *telemetry) logger(l *slog.Logger) *slog.Logger {
	l = slog.New(observe.ContextHandler(l.Handler()))
	t.obs.AccessLog = l
	return l
}

// newAuditOnly is an observer with an audit log only (operator commands).
func newAuditOnly(a *observe.Audit) *observe.Observer { return &observe.Observer{Audit: a} }
