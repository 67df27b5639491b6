package tools_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

// TestEmptyAnswerIsAToolError: GitHub (or a proxy in front of it)
// answering 200 with no body must give the caller a tool error, never
// a panic that would end the server for everyone.
func TestEmptyAnswerIsAToolError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
	}))
	t.Cleanup(srv.Close)
	deps := tools.Deps{
		GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
			base := srv.URL + "/"
			return github.NewClient(github.WithURLs(&base, &base))
		},
		Whoami: func(context.Context, *mcp.CallToolRequest) (tools.Identity, error) {
			return tools.Identity{}, errors.New("no")
		},
	}
	cs := connect(t, deps)
	for _, call := range []mcp.CallToolParams{
		{Name: "get_me"},
		{Name: "issue_read", Arguments: map[string]any{"method": "get", "owner": "mona", "repo": "hello-world", "issue_number": 1}},
		{Name: "pull_request_read", Arguments: map[string]any{"method": "get", "owner": "mona", "repo": "hello-world", "pullNumber": 1}},
		{Name: "get_commit", Arguments: map[string]any{"owner": "mona", "repo": "hello-world", "sha": "main"}},
	} {
		res, err := cs.CallTool(t.Context(), &call)
		if err != nil {
			t.Fatalf("%s: %v", call.Name, err)
		}
		text := ""
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				text += tc.Text
			}
		}
		if res.IsError && !strings.Contains(text, "GitHub") {
			t.Errorf("%s: tool error %q does not say what failed", call.Name, text)
		}
	}
}
