package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

// TestClientGoneCancelsGitHubCall: when the MCP client goes away in the
// middle of a tools/call, the GitHub request behind it is cancelled (the
// tool runs under the HTTP request's context, which go-github passes on),
// rather than left to spend the person's quota and a connection.
func TestClientGoneCancelsGitHubCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	// The fake GitHub, behind a handler that holds GET /user once armed
	// and reports when the gateway gives up on it.
	fake := fakegithub.New(fakegithub.Options{ClientID: "gh-client", ClientSecret: "gh-client-secret", AutoApprove: true, Enterprise: true})
	var armed atomic.Bool
	started, cancelled, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if armed.Load() && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/user") && armed.CompareAndSwap(true, false) {
			close(started)
			select {
			case <-r.Context().Done():
				close(cancelled)
			case <-release:
			}
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	fake.SetURL(srv.URL)

	// No client timeout: only the client going away can end the GitHub
	// request (the providers' default client would end it after 15s).
	gw := startGateway(t, gatewayOptions{fake: fake, httpClient: &http.Client{}})
	// Registered after the gateway's, so it runs first: a held request
	// must not keep the gateway from stopping when the test fails.
	t.Cleanup(func() { close(release) })
	c := registerClient(ctx, t, gw.URL, "")
	tok := c.signIn(ctx, t, gw.PublicURL, gw.URL)

	armed.Store(true)
	callCtx, hangUp := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := callTool(callCtx, t, gw.URL+"/mcp", tok.AccessToken, "get_me", nil)
		errc <- err
	}()
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("get_me never reached GitHub")
	}
	hangUp()
	select {
	case <-cancelled:
	case <-ctx.Done():
		t.Fatal("the GitHub request went on after the client went away")
	}
	if err := <-errc; err == nil {
		t.Error("the abandoned call reported success")
	}
}
