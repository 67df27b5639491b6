package protected_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/protected"
)

type listIn struct {
	Owner string `json:"owner" jsonschema:"the owner"`
	Count int    `json:"count,omitempty"`
}

type listOut struct {
	Items []string `json:"items"`
}

func addListTool(s *mcp.Server, name, description string) {
	mcp.AddTool(s, &mcp.Tool{Name: name, Description: description},
		func(context.Context, *mcp.CallToolRequest, listIn) (*mcp.CallToolResult, listOut, error) {
			return nil, listOut{Items: []string{"x"}}, nil
		})
}

// listTools answers tools/list of s over an in-memory connection, as JSON.
func listTools(t *testing.T, s *mcp.Server) string {
	t.Helper()
	ctx := t.Context()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	out, err := json.Marshal(res.Tools)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestCacheToolList: the cached tools/list answers exactly what the SDK
// answers, and follows tools added or replaced after the first list.
func TestCacheToolList(t *testing.T) {
	plain := mcp.NewServer(&mcp.Implementation{Name: "s", Version: "1"}, nil)
	cached := mcp.NewServer(&mcp.Implementation{Name: "s", Version: "1"}, nil)
	cached.AddReceivingMiddleware(protected.CacheToolList)
	steps := []struct {
		name   string
		change func(s *mcp.Server)
	}{
		{"first list", func(s *mcp.Server) { addListTool(s, "list_things", "Lists things.") }},
		{"again, from the cache", func(*mcp.Server) {}},
		{"a tool added", func(s *mcp.Server) { addListTool(s, "list_more", "Lists more.") }},
		{"a tool replaced", func(s *mcp.Server) { addListTool(s, "list_things", "Lists things, changed.") }},
		{"a tool removed", func(s *mcp.Server) { s.RemoveTools("list_more") }},
	}
	for _, step := range steps {
		step.change(plain)
		step.change(cached)
		want, got := listTools(t, plain), listTools(t, cached)
		if got != want {
			t.Errorf("%s: cached tools/list\n%s\nwant the SDK's\n%s", step.name, got, want)
		}
	}
	if got := listTools(t, cached); !json.Valid([]byte(got)) || got == "[]" {
		t.Errorf("final list %s", got)
	}
}
