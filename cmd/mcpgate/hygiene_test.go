package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// TestLogsCarryNoSecrets runs the whole flow of a confidential client (the
// kind Claude registers) with logs at debug level: registration, consent,
// GitHub sign-in, code exchange, tool calls, an upstream refresh, a
// rotation, a refused reuse and a revocation. Then it looks for every
// secret the flow produced in the logs: client secret, codes, states, CSRF
// values, cookies, our tokens, the GitHub tokens, the server secret and the
// GitHub client secret. Logs carry IDs only.
func TestLogsCarryNoSecrets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	fake := fakegithubtest.NewServer(t, fakegithub.Options{
		ClientID: "gh-client", ClientSecret: "gh-client-secret-value",
		AppTokens: true, AutoApprove: true, Enterprise: true,
	})
	gw := startGateway(t, gatewayOptions{redisURL: rs.URL, fake: fake, logLevel: "debug"})
	mcpURL := gw.URL + "/mcp"

	c := registerClient(ctx, t, gw.URL, "client_secret_post")
	if c.Secret == "" {
		t.Fatal("a client_secret_post registration got no secret")
	}
	first := c.signIn(ctx, t, gw.URL, gw.URL)
	if res, err := callTool(ctx, t, mcpURL, first.AccessToken, "get_me", nil); err != nil || res.IsError {
		t.Fatalf("get_me: %v %s", err, callText(t, res))
	}
	fake.ExpireAccessTokens() // the next call refreshes the GitHub token
	if res, err := callTool(ctx, t, mcpURL, first.AccessToken, "list_issues",
		map[string]any{"owner": "mona", "repo": "hello-world"}); err != nil || res.IsError {
		t.Fatalf("list_issues after the upstream token expired: %v %s\n%s", err, callText(t, res), gw.logs.String())
	}
	a, second := c.refresh(ctx, t, gw.URL, first.RefreshToken)
	if a.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", a.Status, a.Body)
	}
	wrong := *c
	wrong.Secret = "mcpgate_cs_" + strings.Repeat("a", 52)
	if a, _ := wrong.refresh(ctx, t, gw.URL, second.RefreshToken); a.Status != http.StatusUnauthorized {
		t.Fatalf("refresh with a wrong secret: %d, want 401", a.Status)
	}
	if a, _ := postFormCtx(ctx, t, gw.URL+"/revoke", url.Values{
		"token": {second.RefreshToken}, "client_id": {c.ID}, "client_secret": {c.Secret},
	}); a.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", a.Status, a.Body)
	}
	wantChallenge(t, "after revoke", mcpProbe(ctx, t, mcpURL, second.AccessToken))

	secrets := map[string]string{
		"client secret":         c.Secret,
		"wrong client secret":   wrong.Secret,
		"access token":          first.AccessToken,
		"refresh token":         first.RefreshToken,
		"rotated access token":  second.AccessToken,
		"rotated refresh token": second.RefreshToken,
		"server secret":         gw.secret,
		"GitHub client secret":  "gh-client-secret-value",
	}
	for i, tok := range fake.IssuedTokens() {
		secrets["GitHub token "+string(rune('a'+i%26))] = tok
	}
	for _, u := range c.browser.Seen() {
		pu, err := url.Parse(u)
		if err != nil {
			continue
		}
		for k, vs := range pu.Query() {
			if k == "code" || k == "state" || strings.Contains(k, "csrf") || k == "code_challenge" {
				secrets["browser "+k] = vs[0]
			}
		}
	}
	for _, origin := range []string{gw.URL, fake.URL} {
		u, _ := url.Parse(origin)
		for _, ck := range c.browser.Client.Jar.Cookies(u) {
			secrets["cookie "+ck.Name] = ck.Value
		}
	}
	if len(secrets) < 14 {
		t.Fatalf("the flow produced only %d secrets to look for; it did not run as intended", len(secrets))
	}
	logs := gw.logs.String()
	audit := gw.audit.String()
	if !strings.Contains(audit, `"event":"tool.called"`) || !strings.Contains(audit, `"event":"token.refreshed"`) {
		t.Fatalf("the audit log did not record the flow:\n%s", audit)
	}
	for what, v := range secrets {
		if len(v) >= 8 && strings.Contains(logs, v) {
			t.Errorf("the %s appears in the logs", what)
		}
		if len(v) >= 8 && strings.Contains(audit, v) {
			t.Errorf("the %s appears in the audit log", what)
		}
	}
	for _, id := range []string{"client_id", "grant_id", "user_id"} {
		if !strings.Contains(logs, `"`+id+`"`) {
			t.Errorf("no log line carries %s: the flow was not logged at debug level", id)
		}
	}
}
