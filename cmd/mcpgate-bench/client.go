package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

// The benchmark's requests are internal/loadclient's (shared with
// cmd/mcpgate-load): a loopback-only transport, the OAuth requests of a
// client and the stateless MCP POST.

// redirectURI is every benchmark client's registered redirect URI:
// loopback, never contacted (the browser stops when sent there).
const redirectURI = "http://127.0.0.1:9/mcpgate-bench/callback"

// newClient is an HTTP client that can dial loopback addresses only, keeps
// up to conns connections to each server (one per connection of the load,
// reused, never more), never follows redirects (API answers are read as
// they come) and bounds every request to 30 s.
func newClient(conns int) *http.Client {
	t := loadclient.NewTransport(conns)
	t.MaxConnsPerHost = conns
	t.DisableCompression = true
	return loadclient.NewClient(t, 30*time.Second)
}

// mcpPost posts one JSON-RPC request, as a client of the streamable HTTP
// transport does, and checks that the answer (JSON or SSE) is a result and
// not a tool error.
func mcpPost(ctx context.Context, hc *http.Client, endpoint, token string, body []byte) error {
	res, err := loadclient.Post(ctx, hc, endpoint, token, body)
	if err != nil {
		return err
	}
	var r struct {
		IsError bool `json:"isError"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return &loadclient.HTTPFailure{Status: http.StatusOK, Detail: "undecodable JSON-RPC result"}
	}
	if r.IsError {
		return &loadclient.HTTPFailure{Status: http.StatusOK, Detail: "tool error: " + loadclient.Excerpt(res)}
	}
	return nil
}

// register registers a client (RFC 7591): public with auth method "none",
// else confidential with client_secret_post.
func register(ctx context.Context, hc *http.Client, endpoint string, confidential bool, n int) (loadclient.Client, error) {
	c, err := loadclient.Register(ctx, hc, endpoint, loadclient.Registration{
		Name: fmt.Sprintf("mcpgate-bench client %d", n), RedirectURI: redirectURI, Confidential: confidential,
	})
	if err != nil {
		return loadclient.Client{}, fmt.Errorf("registration: %w", err)
	}
	return c, nil
}
