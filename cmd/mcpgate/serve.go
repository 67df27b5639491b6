package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	"github.com/redis/go-redis/v9"
)

func serveCommand(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration `file` (${VAR} expanded, unknown keys rejected)")
	setUsage(fs, stderr, "mcpgate [serve] [-config FILE]")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", pos)}
	}
	if err := config.LoadDotEnv(".env"); err != nil {
		return err
	}
	cfg, err := config.Load(*configPath, os.Getenv)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger, err := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	if w := portMismatch(cfg); w != "" {
		logger.Warn(w)
	}
	// go-redis has one process-wide logger; only the serve command sets it.
	redis.SetLogger(redisLogger{logger})
	tel, err := newTelemetry(ctx, cfg, logger, os.Stdout, stderr)
	if err != nil {
		return err
	}
	defer tel.Close(ctx)
	logger = tel.logger(logger)
	a, err := newApp(ctx, cfg, appOptions{Logger: logger, Observer: tel.obs})
	if err != nil {
		return err
	}
	defer a.Close()
	defer startPruner(ctx, a.store, cfg.Limits.HandlerLimits(), logger, time.Now)()
	if _, err := tel.serveMetrics(cfg.Observe.MetricsAddr, logger); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (MCPGATE_ADDR): %w", cfg.Addr, err)
	}
	scheme := "http"
	if cfg.TLS.Enabled() {
		certs, err := newCertReloader(cfg.TLS.CertFile, cfg.TLS.KeyFile, logger, time.Now)
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, serverTLSConfig(certs))
		scheme = "https"
	}
	logger.Info("configuration", "config", cfg) // Config.LogValue: no secret values
	logger.Info("mcpgate listening", "addr", ln.Addr().String(), "scheme", scheme, "public_url", cfg.PublicURL,
		"mcp_url", cfg.ResourceURL(), "store", cfg.StoreKind(), "version", readBuildInfo(debug.ReadBuildInfo).Version)
	return serveHTTP(ctx, ln, a.handler, logger)
}

// newHTTPServer sets every timeout: a slow client cannot hold a connection
// open forever. WriteTimeout stays zero because MCP responses may stream
// (SSE); handlers bound their own work.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serveHTTP serves until ctx ends, then drains in-flight requests for up to
// 20 seconds (graceful shutdown).
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := newHTTPServer(h, logger)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
