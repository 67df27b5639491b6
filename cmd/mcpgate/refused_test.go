package main

import (
	"context"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// TestRefusedUpstreamTokenIsRefreshedAndRetried: GitHub refuses a GitHub
// App token before the expiry it announced (401) while its refresh token
// still works. The tool call refreshes the token once, retries the API call
// with it and succeeds; the grant lives on.
func TestRefusedUpstreamTokenIsRefreshedAndRetried(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fake := fakegithubtest.NewServer(t, fakegithub.Options{AppTokens: true, AutoApprove: true, Enterprise: true})
	gw := startGateway(t, gatewayOptions{redisURL: redistest.Start(t).URL, fake: fake})
	mcpURL := gw.URL + "/mcp"
	c := registerClient(ctx, t, gw.URL, "none")
	tr := c.signIn(ctx, t, gw.URL, gw.URL)

	before := fake.Counts().Refreshes
	fake.ExpireAccessTokens() // refused at GitHub, still valid by mcpgate's clock
	res, err := callTool(ctx, t, mcpURL, tr.AccessToken, "get_me", nil)
	if err != nil || res.IsError {
		t.Fatalf("get_me after GitHub refused the token: %v %s", err, callText(t, res))
	}
	if got := fake.Counts().Refreshes - before; got != 1 {
		t.Errorf("upstream refreshes = %d, want 1", got)
	}
	if a := mcpProbe(ctx, t, mcpURL, tr.AccessToken); a.Status == 401 {
		t.Errorf("the grant was revoked although its refresh token worked")
	}
	if n := countLogMessages(gw.logs.String(), "GitHub refused the upstream token; retrying with a refreshed one"); n != 1 {
		t.Errorf("retry logged %d times, want 1", n)
	}
}
