package protected

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/tokens"
)

// TestMCPServerForPicksByCaller checks that ServerFor chooses the server of
// each request by its verified caller, and that the caller carries the
// provider of its grant: GitHub grants see the GitHub tool, others not.
func TestMCPServerForPicksByCaller(t *testing.T) {
	gitHubOnly := mcp.NewServer(&mcp.Implementation{Name: "github", Version: "0"}, nil)
	mcp.AddTool(gitHubOnly, &mcp.Tool{Name: "get_me"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
		return nil, struct{}{}, nil
	})
	var (
		mu        sync.Mutex
		providers []string
	)
	f := newMCPFixture(t, func(h *MCP) {
		everyone := h.Server // the fixture's server, with whoami
		h.Server = nil
		h.ServerFor = func(c *tokens.Caller) *mcp.Server {
			mu.Lock()
			providers = append(providers, c.Provider)
			mu.Unlock()
			if c.Provider == "github" {
				return gitHubOnly
			}
			return everyone
		}
	})
	srv := httptest.NewServer(f.mux)
	t.Cleanup(srv.Close)

	tests := []struct {
		userID, provider string
		want             []string
	}{
		{"github:1001", "github", []string{"get_me"}},
		{"google:1177", "google", []string{"whoami"}},
		{"okta-2:00u1:odd", "okta-2", []string{"whoami"}},
	}
	for _, tt := range tests {
		t.Run(tt.userID, func(t *testing.T) {
			mu.Lock()
			providers = nil
			mu.Unlock()
			g := f.issue(t, mcpIssueOptions{userID: tt.userID})
			res, err := connectMCPClient(t, srv, g.access).ListTools(mcptest.Bounded(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range res.Tools {
				names = append(names, tool.Name)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("tools/list = %v, want %v", names, tt.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(providers) == 0 || slices.ContainsFunc(providers, func(p string) bool { return p != tt.provider }) {
				t.Errorf("ServerFor saw providers %v, want only %q", providers, tt.provider)
			}
		})
	}
}

// TestMCPServerForNil checks that a ServerFor without an answer fails the
// request instead of serving some other server.
func TestMCPServerForNil(t *testing.T) {
	f := newMCPFixture(t, func(h *MCP) {
		h.Server = nil
		h.ServerFor = func(*tokens.Caller) *mcp.Server { return nil }
	})
	g := f.issue(t, mcpIssueOptions{})
	resp := f.serve(newMCPRequest(http.MethodPost, "/mcp", g.access))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400", resp.StatusCode)
	}
}

func TestProviderOf(t *testing.T) {
	for userID, want := range map[string]string{"github:1001": "github", "okta:a:b": "okta", "nocolon": "nocolon", "": ""} {
		if got := providerOf(userID); got != want {
			t.Errorf("providerOf(%q) = %q, want %q", userID, got, want)
		}
	}
}

// TestSSEServerForPicksByCaller checks that a stream on /sse is served by
// the server ServerFor picks for the caller of the GET that opens it.
func TestSSEServerForPicksByCaller(t *testing.T) {
	gitHubOnly := mcp.NewServer(&mcp.Implementation{Name: "github", Version: "0"}, nil)
	mcp.AddTool(gitHubOnly, &mcp.Tool{Name: "get_me"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
		return nil, struct{}{}, nil
	})
	fx := newSSEFixture(t, func(h *SSE) {
		everyone := h.Server
		h.Server = nil
		h.ServerFor = func(c *tokens.Caller) *mcp.Server {
			if c.Provider == "github" {
				return gitHubOnly
			}
			return everyone
		}
	})
	for userID, want := range map[string]string{"github:1001": "get_me", "google:1177": "whoami"} {
		g := fx.issue(t, mcpIssueOptions{userID: userID})
		cs := mcptest.ConnectSSE(t, fx.srv, &mcptest.SwapBearer{Token: g.access, Base: fx.srv.Client().Transport}, nil)
		res, err := cs.ListTools(mcptest.Bounded(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Tools) != 1 || res.Tools[0].Name != want {
			t.Errorf("%s: tools/list over SSE = %+v, want [%s]", userID, res.Tools, want)
		}
	}
}
