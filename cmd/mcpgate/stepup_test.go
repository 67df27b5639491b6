package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// recordingFetcher is the browser as the go-sdk's AuthorizationCodeFetcher,
// remembering the scope of every authorization request it was sent to.
type recordingFetcher struct {
	b      *browser
	mu     sync.Mutex
	scopes []string
}

func (f *recordingFetcher) fetch(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
	if u, err := url.Parse(args.URL); err == nil {
		f.mu.Lock()
		f.scopes = append(f.scopes, u.Query().Get("scope"))
		f.mu.Unlock()
	}
	return f.b.fetch(ctx, args)
}

func (f *recordingFetcher) requested() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.scopes...)
}

// consentApprovals counts the consent forms the browser submitted to base.
func consentApprovals(b *browser, base string) int {
	n := 0
	for _, u := range b.Seen() {
		if strings.HasPrefix(u, base+"/authorize?") && strings.Contains(u, "csrf_token=") {
			n++
		}
	}
	return n
}

// TestStepUpAuthorization drives the step-up flow (MCP authorization
// 2025-11-25 "Step-Up Authorization Flow") with the go-sdk's own OAuth
// client on the real application, configured to grant mcp:read by default:
// the client signs in with mcp:read, reads, then calls create_issue; /mcp
// answers 403 insufficient_scope naming mcp:read mcp:write; the client
// authorizes again for the union, the person sees the consent page again
// (the remembered approval covered mcp:read only), and the SDK retries the
// call with the new token, which succeeds.
//
// It runs with a pre-registered client, which keeps its client ID across
// authorizations as Claude and mcp-remote do, so only the scope binding of
// the remembered consent brings the page back; and with the go-sdk's
// dynamic registration, which registers a new client on every
// authorization.
func TestStepUpAuthorization(t *testing.T) {
	tests := []struct {
		name string
		// client returns the handler's registration settings and the
		// redirect URI, registering at base first when it needs to.
		client      func(ctx context.Context, t *testing.T, base string) (*auth.AuthorizationCodeHandlerConfig, string)
		wantClients int
		// oldToken is the status of the read-only token's write call after
		// the step-up: 401 when the step-up retired its grant (the same
		// registered client), 403 when the step-up came through a new
		// registration and the old grant lives on.
		oldToken int
	}{
		{"pre-registered client", func(ctx context.Context, t *testing.T, base string) (*auth.AuthorizationCodeHandlerConfig, string) {
			c := registerClient(ctx, t, base, "none")
			return &auth.AuthorizationCodeHandlerConfig{
				PreregisteredClient: &oauthex.ClientCredentials{ClientID: c.ID, Issuer: base},
				RedirectURL:         c.RedirectURI,
			}, c.RedirectURI
		}, 1, http.StatusUnauthorized},
		{"dynamic registration", func(context.Context, *testing.T, string) (*auth.AuthorizationCodeHandlerConfig, string) {
			const redirectURL = "http://localhost:53682/callback"
			return &auth.AuthorizationCodeHandlerConfig{
				DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
					Metadata: &oauthex.ClientRegistrationMetadata{
						ClientName:              "step-up go-sdk client",
						RedirectURIs:            []string{redirectURL},
						TokenEndpointAuthMethod: "none",
						GrantTypes:              []string{"authorization_code", "refresh_token"},
						ResponseTypes:           []string{"code"},
					},
				},
				RedirectURL: redirectURL,
			}, redirectURL
		}, 2, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			fake := fakegithubtest.NewServer(t, fakegithub.Options{
				ClientID: "gh-client", ClientSecret: "gh-client-secret",
				AppTokens: true, AutoApprove: true, Enterprise: true,
			})
			gw := startGateway(t, gatewayOptions{fake: fake, configure: func(cfg *config.Config) {
				cfg.Scopes.Default = []string{"mcp:read"}
			}})
			cfg, redirectURI := tt.client(ctx, t, gw.URL)
			b := newBrowser(t, redirectURI)
			fetcher := &recordingFetcher{b: b}
			cfg.AuthorizationCodeFetcher = fetcher.fetch
			handler, err := auth.NewAuthorizationCodeHandler(cfg)
			if err != nil {
				t.Fatal(err)
			}
			stepUp(ctx, t, gw, handler, b, fetcher, tt.oldToken)
			clients, err := gw.app.store.ListClients(ctx)
			if err != nil || len(clients) != tt.wantClients {
				t.Errorf("registered clients: %d (%v), want %d", len(clients), err, tt.wantClients)
			}
		})
	}
}

// stepUp is the body of TestStepUpAuthorization for one client setup.
func stepUp(ctx context.Context, t *testing.T, gw *testGateway, handler *auth.AuthorizationCodeHandler, b *browser, fetcher *recordingFetcher, oldToken int) {
	t.Helper()
	mcpURL := gw.URL + "/mcp"
	tokenScope := func() (access, scope string) {
		t.Helper()
		ts, err := handler.TokenSource(ctx)
		if err != nil || ts == nil {
			t.Fatalf("token source: %v", err)
		}
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		s, _ := tok.Extra("scope").(string)
		return tok.AccessToken, s
	}

	// Sign-in: the 401 challenge names the default scope only.
	session, err := mcp.NewClient(&mcp.Implementation{Name: "step-up", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: mcpURL, OAuthHandler: handler}, nil)
	if err != nil {
		t.Fatalf("connect with OAuth: %v", err)
	}
	defer session.Close()
	if got := fetcher.requested(); len(got) != 1 || got[0] != "mcp:read" {
		t.Fatalf("first authorization asked for %q, want mcp:read (the default scope in the 401 challenge)", got)
	}
	readToken, scope := tokenScope()
	if scope != "mcp:read" {
		t.Fatalf("first token has scope %q, want mcp:read", scope)
	}
	if n := consentApprovals(b, gw.URL); n != 1 {
		t.Fatalf("consent approved %d times at sign-in, want 1", n)
	}

	// Reading works with mcp:read; tools/list shows the write tools too.
	me, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "get_me"})
	if err != nil || me.IsError || !strings.Contains(callText(t, me), "mona") {
		t.Fatalf("get_me with mcp:read: %v %q", err, callText(t, me))
	}
	list, err := session.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, tool := range list.Tools {
		listed = listed || tool.Name == "issue_write"
	}
	if !listed {
		t.Fatalf("tools/list hides issue_write from a read-only token; clients must see it to ask for it")
	}
	// issue_write, GitHub's current name, is refused like create_issue,
	// its retired alias, below.
	if probe := mcpToolCall(ctx, t, mcpURL, readToken, "issue_write"); probe.Status != http.StatusForbidden {
		t.Fatalf("issue_write with mcp:read: %d %s, want 403", probe.Status, probe.Body)
	}

	// The read-only token gets the step-up challenge for create_issue.
	probe := mcpToolCall(ctx, t, mcpURL, readToken, "create_issue")
	if probe.Status != http.StatusForbidden {
		t.Fatalf("create_issue with mcp:read: %d %s, want 403", probe.Status, probe.Body)
	}
	challenges, err := oauthex.ParseWWWAuthenticate(probe.Header.Values("WWW-Authenticate"))
	if err != nil || len(challenges) != 1 {
		t.Fatalf("403 challenge %q: %v", probe.Header.Values("WWW-Authenticate"), err)
	}
	p := challenges[0].Params
	if p["error"] != "insufficient_scope" || p["scope"] != "mcp:read mcp:write" ||
		p["resource_metadata"] != gw.URL+"/.well-known/oauth-protected-resource/mcp" || p["error_description"] == "" {
		t.Fatalf("403 challenge params %v", p)
	}
	if probe.jsonError() != "insufficient_scope" {
		t.Errorf("403 body %s, want error insufficient_scope", probe.Body)
	}

	// The go-sdk client steps up by itself and retries the call.
	issue, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "create_issue", Arguments: map[string]any{
		"owner": "mona", "repo": "hello-world", "title": "Filed after step-up",
	}})
	if err != nil {
		t.Fatalf("create_issue after step-up: %v", err)
	}
	if issue.IsError || !strings.Contains(callText(t, issue), "Filed after step-up") {
		t.Fatalf("create_issue after step-up = %q (isError %v)", callText(t, issue), issue.IsError)
	}
	// The client unions the scopes in no particular order.
	if got := fetcher.requested(); len(got) != 2 || !sameScopes(got[1], "mcp:read mcp:write") {
		t.Fatalf("authorizations asked for %q, want the step-up to ask for mcp:read mcp:write", got)
	}
	if n := consentApprovals(b, gw.URL); n != 2 {
		t.Fatalf("consent approved %d times, want 2: a broader scope must be approved again", n)
	}
	writeToken, scope := tokenScope()
	if scope != "mcp:read mcp:write" || writeToken == readToken {
		t.Fatalf("after step-up the client holds scope %q (new token %v), want mcp:read mcp:write", scope, writeToken != readToken)
	}

	// The old token may not write (its grant is retired when the same
	// client stepped up); the client keeps reading with the new one.
	if probe := mcpToolCall(ctx, t, mcpURL, readToken, "create_issue"); probe.Status != oldToken {
		t.Errorf("the read-only token after step-up: %d, want %d", probe.Status, oldToken)
	}
	me, err = session.CallTool(ctx, &mcp.CallToolParams{Name: "get_me"})
	if err != nil || me.IsError {
		t.Errorf("get_me after step-up: %v %q", err, callText(t, me))
	}
	if logs := gw.logs.String(); countLogMessages(logs, "tool call refused: insufficient scope") < 2 ||
		strings.Contains(logs, readToken) || strings.Contains(logs, writeToken) {
		t.Errorf("refusals not logged, or a token in the logs")
	}
}

// mcpToolCall posts one tools/call with token and returns the raw answer.
func mcpToolCall(ctx context.Context, t *testing.T, endpoint, token, tool string) httpAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+tool+`","arguments":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	return do(t, nil, req)
}

// sameScopes reports whether two space-separated scope lists hold the same
// scopes, in any order.
func sameScopes(a, b string) bool {
	as, bs := strings.Fields(a), strings.Fields(b)
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}
