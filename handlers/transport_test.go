package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/handlers/protected"
)

// echoCaller is what the caller-echoing tool of the routes test answers.
type echoCaller struct {
	UserID  string   `json:"user_id"`
	GrantID string   `json:"grant_id"`
	Scopes  []string `json:"scopes"`
}

func newCallerEchoServer() *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-test", Version: "0.0.1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "whoami", Description: "Returns the verified caller."},
		func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, echoCaller, error) {
			c, ok := protected.CallerFromRequest(req)
			if !ok {
				return nil, echoCaller{}, fmt.Errorf("no verified caller")
			}
			return nil, echoCaller{UserID: c.UserID, GrantID: c.GrantID, Scopes: c.Scopes}, nil
		})
	return srv
}

func callEcho(t *testing.T, cs *mcp.ClientSession) echoCaller {
	t.Helper()
	res, err := cs.CallTool(mcptest.Bounded(t), &mcp.CallToolParams{Name: "whoami", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("CallTool: %v %+v", err, res)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var out echoCaller
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return out
}

// TestSSEThroughNew runs what mcp-remote --transport sse-only does against
// the whole surface built by New: the 401 of GET /sse names /sse's own
// metadata, whose resource is the /sse URL; OAuth with that resource
// yields a token bound to R; the stream works, keeps working across a
// refresh (the tool sees the refreshed token's narrower scopes, not the
// token that opened the stream), and the same token serves /mcp.
func TestSSEThroughNew(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.MCPServer = newCallerEchoServer() })
	sseResource := asTestIssuer + protected.PathSSE
	ssePRM := asTestIssuer + protected.PathMetadata + protected.PathSSE

	resp := s.do(httptest.NewRequest(http.MethodGet, "/sse", nil))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /sse without token: status %d", resp.StatusCode)
	}
	ch, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil || len(ch) != 1 || ch[0].Params["resource_metadata"] != ssePRM {
		t.Fatalf("challenge %q, want resource_metadata %q", resp.Header.Values("WWW-Authenticate"), ssePRM)
	}
	var prm protected.ResourceMetadata
	decodeJSON(t, s.do(httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource/sse", nil)), &prm)
	if prm.Resource != sseResource || !slices.Equal(prm.AuthorizationServers, []string{asTestIssuer}) ||
		!slices.Equal(prm.ScopesSupported, s.cfg.ScopesSupported) {
		t.Fatalf("/sse metadata = %+v", prm)
	}
	var asm authServerMetadata
	decodeJSON(t, s.do(httptest.NewRequest(http.MethodGet, "/.well-known/oauth-authorization-server/sse", nil)), &asm)
	if asm.Issuer != asTestIssuer {
		t.Fatalf("authorization server metadata at the /sse path: issuer %q", asm.Issuer)
	}

	// OAuth as the TypeScript SDK does it: resource = the PRM's resource.
	c := s.register(authMethodNone, "http://localhost:3334/oauth/callback")
	verifier, challenge := pkce()
	params := authParams(c, challenge)
	params.Set("resource", sseResource)
	state := upstreamState(t, s.approve(params, s.idp.name))
	code := s.callback(state, s.idp.login(t, state)).Query().Get("code")
	resp = s.postForm("/token", clientAuthForm(c, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {c.RedirectURI}, "resource": {sseResource},
	}), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token exchange with resource %s: status %d: %s", sseResource, resp.StatusCode, readBody(t, resp))
	}
	var first tokenResponse
	decodeJSON(t, resp, &first)
	rec, err := s.accessRecord(first.AccessToken)
	if err != nil || rec.Resource != asTestResource {
		t.Fatalf("access token record: resource %q, %v; want R = %s", rec.Resource, err, asTestResource)
	}

	ts := httptest.NewServer(s.handler)
	t.Cleanup(ts.Close)
	bearer := &mcptest.SwapBearer{Token: first.AccessToken, Base: ts.Client().Transport}
	cs := mcptest.ConnectSSE(t, ts, bearer, nil)
	before := callEcho(t, cs)
	if before.GrantID != rec.GrantID || !slices.Equal(before.Scopes, []string{"mcp:read", "mcp:write"}) {
		t.Fatalf("before refresh: %+v", before)
	}

	resp = s.postForm("/token", clientAuthForm(c, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}, "scope": {"mcp:read"}, "resource": {sseResource},
	}), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: status %d: %s", resp.StatusCode, readBody(t, resp))
	}
	var second tokenResponse
	decodeJSON(t, resp, &second)
	bearer.Set(second.AccessToken)
	after := callEcho(t, cs)
	if after.GrantID != rec.GrantID || !slices.Equal(after.Scopes, []string{"mcp:read"}) {
		t.Errorf("after refresh on the same stream: %+v, want the refreshed token's scopes [mcp:read]", after)
	}

	// One token, both transports.
	csMCP := connectStreamable(t, ts, &mcptest.SwapBearer{Token: second.AccessToken, Base: ts.Client().Transport}, false)
	if got := callEcho(t, csMCP); got.GrantID != rec.GrantID || !slices.Equal(got.Scopes, []string{"mcp:read"}) {
		t.Errorf("/mcp with the same token: %+v", got)
	}
}
