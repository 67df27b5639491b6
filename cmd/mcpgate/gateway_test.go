package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// githubLikeBackend is a go-sdk MCP server that does what GitHub's own
// server does with the token it receives: it calls the GitHub API with it
// (here the fake GitHub's /user). It records every Authorization header.
func githubLikeBackend(t *testing.T, apiBase string) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := mcp.NewServer(&mcp.Implementation{Name: "github-like", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "get_me", Description: "The signed-in GitHub user.", Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, struct{}, error) {
			r, err := http.NewRequestWithContext(ctx, http.MethodGet, apiBase+"user", nil)
			if err != nil {
				return nil, struct{}{}, err
			}
			r.Header.Set("Authorization", req.Extra.Header.Get("Authorization"))
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				return nil, struct{}{}, err
			}
			defer resp.Body.Close()
			var u struct {
				Login string `json:"login"`
			}
			if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&u) != nil {
				return nil, struct{}{}, fmt.Errorf("GitHub answered %d", resp.StatusCode)
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: u.Login}}}, struct{}{}, nil
		})
	mcp.AddTool(srv, &mcp.Tool{Name: "create_issue", Description: "Writes."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "created"}}}, struct{}{}, nil
		})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{Stateless: true})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// connectOAuth connects the go-sdk's OAuth client to endpoint: discovery
// from the 401 challenge, DCR, consent and the fake GitHub's sign-in.
func connectOAuth(ctx context.Context, t *testing.T, endpoint string) (*mcp.ClientSession, *auth.AuthorizationCodeHandler) {
	t.Helper()
	const redirectURL = "http://localhost:53682/callback"
	b := newBrowser(t, redirectURL)
	handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{
			Metadata: &oauthex.ClientRegistrationMetadata{
				ClientName: "gateway test client", RedirectURIs: []string{redirectURL}, TokenEndpointAuthMethod: "none",
				GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
			},
		},
		RedirectURL:              redirectURL,
		AuthorizationCodeFetcher: b.fetch,
	})
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "gateway-test", Version: "1"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, OAuthHandler: handler}, nil)
	if err != nil {
		t.Fatalf("connect with OAuth to %s: %v", endpoint, err)
	}
	t.Cleanup(func() { session.Close() })
	return session, handler
}

// TestGatewayMode runs mcpgate with MCPGATE_BACKEND_URL on Redis: the
// go-sdk's OAuth client signs in through mcpgate (discovery, DCR, consent,
// the fake GitHub), and its tool calls reach the backend with the
// person's GitHub token, which GitHub accepts, never with mcpgate's.
func TestGatewayMode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	fake := fakegithubtest.NewServer(t, fakegithub.Options{
		ClientID: "gh-client", ClientSecret: "gh-client-secret", AppTokens: true, AutoApprove: true, Enterprise: true,
	})
	backend, seen := githubLikeBackend(t, fake.APIBaseURL())
	gw := startGateway(t, gatewayOptions{redisURL: rs.URL, fake: fake, configure: func(cfg *config.Config) {
		cfg.BackendURL = backend.URL + "/"
		cfg.Backend.Headers = map[string]string{"X-MCP-Toolsets": "default"}
	}})

	session, handler := connectOAuth(ctx, t, gw.URL+"/mcp")
	tools, err := session.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 2 {
		t.Fatalf("tools/list through the gateway: %d tools, want the backend's 2", len(tools.Tools))
	}
	me, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "get_me", Arguments: map[string]any{}})
	if err != nil || me.IsError || callText(t, me) != "mona" {
		t.Fatalf("get_me through the gateway: %v %+v", err, me)
	}

	ts, err := handler.TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range seen() {
		if !strings.HasPrefix(a, "Bearer ") || strings.Contains(a, tok.AccessToken) || strings.HasPrefix(a, "Bearer mcp_") {
			t.Fatalf("backend saw Authorization %.12q…, want the GitHub token only", a)
		}
	}

	// /sse is not forwarded; the resource metadata is mcpgate's own.
	resp, err := http.Get(gw.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "streamable HTTP") {
		t.Fatalf("GET /sse in gateway mode: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(gw.URL + "/.well-known/oauth-protected-resource/mcp")
	if err != nil {
		t.Fatal(err)
	}
	var prm struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
	}
	json.NewDecoder(resp.Body).Decode(&prm)
	resp.Body.Close()
	if prm.Resource != gw.PublicURL+"/mcp" || len(prm.AuthorizationServers) != 1 || prm.AuthorizationServers[0] != gw.PublicURL {
		t.Fatalf("resource metadata %+v", prm)
	}
	// Nor is /sse's metadata document: it would send a legacy client to
	// sign in for an endpoint that answers 404.
	resp, err = http.Get(gw.URL + "/.well-known/oauth-protected-resource/sse")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /.well-known/oauth-protected-resource/sse in gateway mode: %d, want 404", resp.StatusCode)
	}
	if strings.Contains(gw.logs.String(), tok.AccessToken) {
		t.Fatal("the logs carry the client's access token")
	}
}

// TestNamedBackends serves two backends at /mcp/a and /mcp/b beside the
// built-in tools at /mcp: each is its own resource with its own metadata,
// and a token issued for one is refused at the others.
func TestNamedBackends(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	fake := fakegithubtest.NewServer(t, fakegithub.Options{
		ClientID: "gh-client", ClientSecret: "gh-client-secret", AppTokens: true, AutoApprove: true, Enterprise: true,
	})
	backendA, seenA := githubLikeBackend(t, fake.APIBaseURL())
	backendB, seenB := githubLikeBackend(t, fake.APIBaseURL())
	backendC, seenC := githubLikeBackend(t, fake.APIBaseURL())
	gw := startGateway(t, gatewayOptions{redisURL: rs.URL, fake: fake, configure: func(cfg *config.Config) {
		cfg.Backends = []config.NamedBackendConfig{
			{Name: "a", URL: backendA.URL, Provider: "github"},
			{Name: "b", URL: backendB.URL, Tools: config.ToolPolicyConfig{Deny: []string{"create_issue"}}},
			{Name: "c", URL: backendC.URL, Credential: "identity"},
		}
	}})
	for _, name := range []string{"a", "b"} {
		resp, err := http.Get(gw.URL + "/.well-known/oauth-protected-resource/mcp/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var prm struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
		}
		json.NewDecoder(resp.Body).Decode(&prm)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || prm.Resource != gw.PublicURL+"/mcp/"+name || prm.AuthorizationServers[0] != gw.PublicURL {
			t.Fatalf("metadata of %s: %d %+v", name, resp.StatusCode, prm)
		}
	}

	session, handler := connectOAuth(ctx, t, gw.URL+"/mcp/a")
	me, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "get_me", Arguments: map[string]any{}})
	if err != nil || me.IsError || callText(t, me) != "mona" {
		t.Fatalf("get_me at /mcp/a: %v %+v", err, me)
	}
	if len(seenA()) == 0 || len(seenB()) != 0 {
		t.Fatalf("backend a saw %d requests, b %d", len(seenA()), len(seenB()))
	}
	ts, err := handler.TokenSource(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"/mcp/b", "/mcp", "/sse"} {
		a := mcpProbe(ctx, t, gw.URL+other, tok.AccessToken)
		wantChallenge(t, "a token for /mcp/a at "+other, a)
		if !strings.Contains(a.Header.Get("WWW-Authenticate"), "another resource") {
			t.Errorf("%s: challenge %q, want the audience refusal", other, a.Header.Get("WWW-Authenticate"))
		}
	}
	if len(seenB()) != 0 {
		t.Fatal("a refused token reached backend b")
	}

	// Signed in for /mcp/b, the deny list hides create_issue there.
	sb, _ := connectOAuth(ctx, t, gw.URL+"/mcp/b")
	tools, err := sb.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "get_me" {
		t.Fatalf("tools at /mcp/b: %+v", tools.Tools)
	}

	// /mcp/c takes mcpgate's identity JWT, verifiable with the JWKS.
	sc, _ := connectOAuth(ctx, t, gw.URL+"/mcp/c")
	if _, err := sc.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got := seenC()
	raw, ok := strings.CutPrefix(got[len(got)-1], "Bearer ")
	if !ok {
		t.Fatalf("backend c got %q", got[len(got)-1])
	}
	resp, err := http.Get(gw.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS: %v", err)
	}
	jt, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatalf("backend c got no JWT: %v", err)
	}
	var claims jwt.Claims
	var extra struct {
		Login string `json:"login"`
	}
	if err := jt.Claims(set.Keys[0].Key, &claims, &extra); err != nil {
		t.Fatalf("identity JWT does not verify with %s: %v", "/.well-known/jwks.json", err)
	}
	if claims.Issuer != gw.PublicURL || len(claims.Audience) != 1 || claims.Audience[0] != gw.PublicURL+"/mcp/c" || extra.Login != "mona" {
		t.Fatalf("identity claims %+v login %q", claims, extra.Login)
	}
}
