package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

func postForm(t *testing.T, u string, v url.Values) (int, tokenResponse) {
	t.Helper()
	resp, err := http.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil && resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d, undecodable body: %v", u, resp.StatusCode, err)
	}
	return resp.StatusCode, tr
}

// TestEndToEnd drives the whole product with the go-sdk's own OAuth client:
// discovery → DCR → consent → GitHub → callback → code → tokens →
// initialize → tools/list → tools/call (data from the fake GitHub, fetched
// with the upstream token) → refresh → revoke → 401; then a restart keeps
// registrations and tokens working; and the logs never carry a secret.
func TestEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	fake := fakegithubtest.NewServer(t, fakegithub.Options{
		ClientID: "gh-client", ClientSecret: "gh-client-secret",
		AppTokens: true, AutoApprove: true, Enterprise: true,
	})
	gw := startGateway(t, gatewayOptions{redisURL: rs.URL, fake: fake})
	mcpURL := gw.URL + "/mcp"

	const redirectURL = "http://localhost:53682/callback"
	b := newBrowser(t, redirectURL)
	handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{
				ClientName:              "e2e go-sdk client",
				RedirectURIs:            []string{redirectURL},
				TokenEndpointAuthMethod: "none",
				GrantTypes:              []string{"authorization_code", "refresh_token"},
				ResponseTypes:           []string{"code"},
			},
		},
		RedirectURL:              redirectURL,
		AuthorizationCodeFetcher: b.fetch,
	})
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: mcpURL, OAuthHandler: handler}, nil)
	if err != nil {
		t.Fatalf("connect with OAuth: %v", err)
	}
	defer session.Close()

	tools, err := session.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tool := range tools.Tools {
		names[tool.Name] = true
	}
	for _, want := range []string{"get_me", "search_repositories", "get_file_contents", "list_issues",
		"issue_read", "issue_write", "add_issue_comment", "list_pull_requests", "pull_request_read"} {
		if !names[want] {
			t.Errorf("tools/list lacks %s", want)
		}
	}
	me, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "get_me"})
	if err != nil {
		t.Fatal(err)
	}
	if me.IsError || !strings.Contains(callText(t, me), "mona") {
		t.Fatalf("get_me = %q (isError %v), want the fake GitHub's user mona", callText(t, me), me.IsError)
	}
	issues, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "list_issues",
		Arguments: map[string]any{"owner": "mona", "repo": "hello-world"}})
	if err != nil || issues.IsError {
		t.Fatalf("list_issues: %v %s", err, callText(t, issues))
	}

	// The client's tokens, as the go-sdk handler holds them.
	ts, err := handler.TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.AccessToken, "mcpgate_at_") || !strings.HasPrefix(tok.RefreshToken, "mcpgate_rt_") {
		t.Fatalf("tokens lack their type prefixes")
	}
	clientID := registeredClientID(t, gw)

	// Restart: a new process on the same Redis and secret keeps the
	// registration and the tokens working.
	gw.stop()
	ln, err := net.Listen("tcp", strings.TrimPrefix(gw.URL, "http://"))
	if err != nil {
		t.Fatalf("re-listen on the same address: %v", err)
	}
	gw2 := startGateway(t, gatewayOptions{redisURL: rs.URL, fake: fake, secret: gw.secret, listener: ln})
	s2, err := connectWithToken(ctx, t, mcpURL, tok.AccessToken)
	if err != nil {
		t.Fatalf("access token after restart: %v", err)
	}
	me2, err := s2.CallTool(ctx, &mcp.CallToolParams{Name: "get_me"})
	if err != nil || me2.IsError {
		t.Fatalf("get_me after restart: %v %s", err, callText(t, me2))
	}
	s2.Close()

	// Refresh (rotation) on the restarted server.
	code, refreshed := postForm(t, gw2.URL+"/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {clientID},
	})
	if code != http.StatusOK || refreshed.AccessToken == "" || refreshed.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %d %+v", code, refreshed.Error)
	}
	s3, err := connectWithToken(ctx, t, mcpURL, refreshed.AccessToken)
	if err != nil {
		t.Fatalf("refreshed access token: %v", err)
	}
	s3.Close()

	// Revoke → the next request gets 401 with the challenge.
	resp, err := http.PostForm(gw2.URL+"/revoke", url.Values{"token": {refreshed.RefreshToken}, "client_id": {clientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPost, mcpURL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Authorization", "Bearer "+refreshed.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "resource_metadata=") {
		t.Fatalf("after revoke: %d %q, want 401 with a challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// Nothing secret in the logs of either process, at debug level.
	logs := gw.logs.String() + gw2.logs.String()
	secrets := map[string]string{
		"access token": tok.AccessToken, "refresh token": tok.RefreshToken,
		"rotated access token": refreshed.AccessToken, "rotated refresh token": refreshed.RefreshToken,
		"server secret": gw.secret, "GitHub client secret": "gh-client-secret",
	}
	for _, u := range b.Seen() {
		if pu, err := url.Parse(u); err == nil {
			for _, k := range []string{"code", "state", "csrf", "code_challenge"} {
				if v := pu.Query().Get(k); len(v) >= 8 {
					secrets["browser "+k] = v
				}
			}
		}
	}
	for _, tokStr := range fake.IssuedTokens() {
		secrets["upstream token"] = tokStr
		if strings.Contains(logs, tokStr) {
			t.Errorf("an upstream GitHub token appears in the logs")
		}
	}
	for what, v := range secrets {
		if strings.Contains(logs, v) {
			t.Errorf("the %s appears in the logs", what)
		}
	}
	if !strings.Contains(logs, "grant_id") {
		t.Errorf("logs carry no grant IDs; the flow was not logged:\n%s", logs)
	}
}

// registeredClientID reads the one registered client from the store.
func registeredClientID(t *testing.T, gw *testGateway) string {
	t.Helper()
	clients, err := gw.app.store.ListClients(context.Background())
	if err != nil || len(clients) != 1 {
		t.Fatalf("clients: %v (%d)", err, len(clients))
	}
	return clients[0].ID
}
