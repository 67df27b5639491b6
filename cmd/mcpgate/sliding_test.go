package main

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// TestSlidingTokenEndsWithGrantsRevoke: a client given a sliding policy in
// tokens.policies gets a token whose expires_in is the idle window, and
// the operator command `mcpgate grants revoke` ends it on its next request
// (issue 14), on Redis as in production.
func TestSlidingTokenEndsWithGrantsRevoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clearConfigEnv(t)
	srv := redistest.Start(t)
	fake := fakegithubtest.NewServer(t, fakegithub.Options{ClientID: "gh-client", ClientSecret: "gh-client-secret", AppTokens: true, AutoApprove: true, Enterprise: true})
	gw := startGateway(t, gatewayOptions{fake: fake, redisURL: srv.URL, secret: checkSecret, logLevel: "error",
		configure: func(cfg *config.Config) {
			cfg.Tokens.Policies = []config.PolicyConfig{{Name: "test", ClientName: "hardening test client", IdleTimeout: 24 * time.Hour}}
		}})
	c := registerClient(ctx, t, gw.URL, "")
	tok := c.signIn(ctx, t, gw.PublicURL, gw.URL)
	if tok.ExpiresIn != 24*60*60 {
		t.Fatalf("expires_in = %d, want the idle day", tok.ExpiresIn)
	}
	if a := mcpProbe(ctx, t, gw.URL+"/mcp", tok.AccessToken); a.Status != http.StatusOK {
		t.Fatalf("/mcp before revocation: %d %s", a.Status, a.Body)
	}
	_, grantID, err := tokens.Parse(tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "config.yaml", "secret: "+checkSecret+"\nredis: {url: \""+srv.URL+"\"}\ngithub: {client_id: a, client_secret: b}\n")
	if err := run(ctx, []string{"grants", "revoke", grantID, "-config", path}, io.Discard, io.Discard); err != nil {
		t.Fatalf("grants revoke: %v", err)
	}
	wantChallenge(t, "/mcp after mcpgate grants revoke", mcpProbe(ctx, t, gw.URL+"/mcp", tok.AccessToken))
}
