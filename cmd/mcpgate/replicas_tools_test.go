package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// startToolReplicas is two mcpgate processes on one Redis behind one public
// URL, with one fake GitHub, configured by configure.
func startToolReplicas(t *testing.T, configure func(*config.Config)) (a, b *testGateway, fake *fakegithub.Fake) {
	t.Helper()
	rs := redistest.Start(t)
	fake = fakegithubtest.NewServer(t, fakegithub.Options{ClientID: "gh-client", ClientSecret: "gh-client-secret", AutoApprove: true, Enterprise: true})
	lnA, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	secret := randomSecret(t)
	a = startGateway(t, gatewayOptions{redisURL: rs.URL, secret: secret, fake: fake, listener: lnA, configure: configure})
	b = startGateway(t, gatewayOptions{redisURL: rs.URL, secret: secret, fake: fake, publicURL: a.PublicURL, configure: configure})
	return a, b, fake
}

// TestReplicasShareConditionalCache: an issue read through replica A is
// revalidated by replica B, which never read it, with GitHub's 304 (the
// sealed answer A left in Redis).
func TestReplicasShareConditionalCache(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	a, b, fake := startToolReplicas(t, nil)
	c := registerClient(ctx, t, a.URL, "")
	tok := c.signIn(ctx, t, a.PublicURL, a.URL)
	args := map[string]any{"method": "get", "owner": "mona", "repo": "hello-world", "issue_number": 1}
	first, err := callTool(ctx, t, a.URL+"/mcp", tok.AccessToken, "issue_read", args)
	if err != nil || first.IsError {
		t.Fatalf("issue_read on A: %v %q", err, callText(t, first))
	}
	before := fake.Counts().NotModified
	second, err := callTool(ctx, t, b.URL+"/mcp", tok.AccessToken, "issue_read", args)
	if err != nil || second.IsError {
		t.Fatalf("issue_read on B: %v %q", err, callText(t, second))
	}
	if callText(t, second) != callText(t, first) {
		t.Errorf("B answered\n%s\nA answered\n%s", callText(t, second), callText(t, first))
	}
	if got := fake.Counts().NotModified - before; got != 1 {
		t.Errorf("304 answers to B's read = %d, want 1 (B revalidates A's answer)", got)
	}
}

// TestReplicasShareToolCallLimit: with tools.rate_limit 3, a person's
// calls are counted across both replicas; the fourth in a minute, on
// either, is a tool error (not a protocol error)
// whose text says when to retry.
func TestReplicasShareToolCallLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	a, b, _ := startToolReplicas(t, func(cfg *config.Config) { cfg.Tools.RateLimit = 3 })
	c := registerClient(ctx, t, a.URL, "")
	tok := c.signIn(ctx, t, a.PublicURL, a.URL)
	for i, gw := range []*testGateway{a, b, a} {
		res, err := callTool(ctx, t, gw.URL+"/mcp", tok.AccessToken, "whoami", nil)
		if err != nil || res.IsError {
			t.Fatalf("call %d: %v %q", i+1, err, callText(t, res))
		}
	}
	res, err := callTool(ctx, t, b.URL+"/mcp", tok.AccessToken, "get_me", nil)
	if err != nil {
		t.Fatalf("fourth call: %v, want a tool error, not a protocol error", err)
	}
	if text := callText(t, res); !res.IsError || !strings.Contains(text, "Too many tool calls: this server allows 3 per minute per person. Retry in ") {
		t.Errorf("fourth call in a minute = isError %v %q", res.IsError, text)
	}
	logs := a.logs.String() + b.logs.String()
	if !strings.Contains(logs, "tools/call refused by the per-user rate limit") {
		t.Error("the refusal was not logged")
	}
	if strings.Contains(logs, tok.AccessToken) {
		t.Error("the access token reached the log")
	}
}
