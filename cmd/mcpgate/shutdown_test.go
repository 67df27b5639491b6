package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/testwait"
)

// signalHandler is a slog.Handler that closes a channel when a record with
// a given message is logged (how the test knows serveHTTP began to shut
// down, without sleeping).
type signalHandler struct {
	msg  string
	once *sync.Once
	seen chan struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.seen) })
	}
	return nil
}

func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// TestServeHTTPDrainsInFlightRequests: when the context ends, serveHTTP
// stops accepting connections but lets a request already being served
// finish with its full response, then returns nil.
func TestServeHTTPDrainsInFlightRequests(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			close(started)
			<-release
			w.Write([]byte("finished"))
		default:
			w.Write([]byte("fast"))
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	shuttingDown := signalHandler{msg: "shutting down: draining in-flight requests", once: &sync.Once{}, seen: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serveHTTP(ctx, ln, h, slog.New(shuttingDown)) }()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	t.Cleanup(client.CloseIdleConnections)
	if body, status := getBody(t, client, "http://"+addr+"/fast"); status != http.StatusOK || body != "fast" {
		t.Fatalf("before shutdown: %d %q", status, body)
	}

	type result struct {
		body   string
		status int
		err    error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := client.Get("http://" + addr + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{body: string(b), status: resp.StatusCode, err: err}
	}()
	testwait.Recv(t, started, "the slow request to reach the handler")
	cancel()
	testwait.Recv(t, shuttingDown.seen, "the shutdown log line")

	// New connections are refused once the listener is closed (Shutdown
	// closes it first thing, right after the log line).
	for {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conn.Close()
	}
	select {
	case err := <-served:
		t.Fatalf("serveHTTP returned (%v) while a request was in flight", err)
	case r := <-slow:
		t.Fatalf("the in-flight request ended before it was released: %+v", r)
	default:
	}

	close(release)
	r := <-slow
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Fatalf("in-flight request: status %d body %q err %v; want 200 finished", r.status, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serveHTTP: %v", err)
	}
}

func getBody(t *testing.T, c *http.Client, url string) (string, int) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return string(b), resp.StatusCode
}

// TestServeHTTPReturnsListenerErrors: a listener that fails makes serveHTTP
// return its error instead of blocking until the context ends.
func TestServeHTTPReturnsListenerErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	err = serveHTTP(t.Context(), ln, http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("serveHTTP on a closed listener = %v, want its error", err)
	}
}

// TestHTTPServerTimeouts: a slow or idle client cannot hold a connection
// open forever. WriteTimeout stays zero on purpose: MCP responses stream.
func TestHTTPServerTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout,
		"ReadTimeout":       srv.ReadTimeout,
		"IdleTimeout":       srv.IdleTimeout,
	} {
		if d <= 0 {
			t.Errorf("%s is %s, want a positive timeout", name, d)
		}
	}
	if srv.ReadHeaderTimeout > srv.ReadTimeout {
		t.Errorf("ReadHeaderTimeout %s exceeds ReadTimeout %s", srv.ReadHeaderTimeout, srv.ReadTimeout)
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes %d, want a bound below the 1 MiB default", srv.MaxHeaderBytes)
	}
	if srv.WriteTimeout != 0 {
		t.Errorf("WriteTimeout %s would cut streaming MCP responses", srv.WriteTimeout)
	}
	if srv.ErrorLog == nil {
		t.Errorf("ErrorLog is nil: connection errors would bypass slog")
	}
}
