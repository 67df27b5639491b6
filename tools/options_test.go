package tools_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

// connectWith registers the tools with o on a new server and returns a
// connected client session.
func connectWith(t *testing.T, o tools.Options) *mcp.ClientSession {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-test", Version: "test"}, nil)
	err := tools.RegisterWith(srv, tools.Deps{
		GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
			return nil, errors.New("no GitHub in this test")
		},
		Whoami: func(context.Context, *mcp.CallToolRequest) (tools.Identity, error) {
			return tools.Identity{}, errors.New("no whoami")
		},
	}, o)
	if err != nil {
		t.Fatalf("RegisterWith: %v", err)
	}
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "t"}, nil).Connect(context.Background(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func listedNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

func TestOptionsSelectTools(t *testing.T) {
	cases := []struct {
		name string
		o    tools.Options
		want []string
	}{
		{"one toolset", tools.Options{Toolsets: []string{tools.ToolsetActions}}, []string{"actions_get", "actions_list", "get_job_logs", "whoami"}},
		{"toolsets, read-only", tools.Options{Toolsets: []string{tools.ToolsetIssues}, ReadOnly: true}, []string{"issue_read", "list_issues", "whoami"}},
		{"allow, by old and new names", tools.Options{Allow: []string{"get_me", "get_issue"}}, []string{"get_me", "issue_read", "whoami"}},
		{"deny wins", tools.Options{Toolsets: []string{tools.ToolsetContext, tools.ToolsetSearch}, Deny: []string{"search_code"}},
			[]string{"get_me", "search_issues", "search_pull_requests", "search_repositories", "whoami"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := listedNames(t, connectWith(t, tc.o)); !slices.Equal(got, tc.want) {
				t.Errorf("tools/list = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReadOnlyHidesWritesAndTheirAliases(t *testing.T) {
	cs := connectWith(t, tools.Options{ReadOnly: true})
	for _, name := range listedNames(t, cs) {
		if tools.RequiredScope(name) != tools.ScopeRead {
			t.Errorf("read-only server lists %s", name)
		}
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "create_issue", Arguments: map[string]any{"owner": "mona", "repo": "x", "title": "t"}})
	if err == nil && !res.IsError {
		t.Errorf("create_issue on a read-only server succeeded: %s", text(res))
	}
	prompts, err := cs.ListPrompts(context.Background(), nil)
	if err != nil || len(prompts.Prompts) != 3 {
		t.Errorf("prompts = %v, %v; want all three (they only read)", prompts, err)
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		o    tools.Options
		want string
	}{
		{tools.Options{Toolsets: []string{"gists"}}, `unknown toolset "gists"`},
		{tools.Options{Allow: []string{"delete_repository"}}, `unknown tool "delete_repository"`},
		{tools.Options{Deny: []string{"nope"}}, `unknown tool "nope"`},
		{tools.Options{MaxResultChars: 100}, "max_result_chars 100 is below the minimum"},
	}
	for _, tc := range cases {
		if err := tc.o.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.o, err, tc.want)
		}
	}
	if err := (tools.Options{Toolsets: tools.Toolsets(), Allow: []string{"create_issue"}}).Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "x", Version: "x"}, nil)
	deps := tools.Deps{
		GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) { return nil, nil },
		Whoami: func(context.Context, *mcp.CallToolRequest) (tools.Identity, error) { return tools.Identity{}, nil },
	}
	if err := tools.RegisterWith(srv, deps, tools.Options{Toolsets: []string{"gists"}}); err == nil {
		t.Error("RegisterWith accepted an unknown toolset")
	}
}

// TestCapabilitiesServed checks that a server advertises resources and
// prompts exactly when it serves them.
func TestCapabilitiesServed(t *testing.T) {
	for _, tc := range []struct {
		o                  tools.Options
		resources, prompts bool
	}{
		{tools.Options{}, true, true},
		{tools.Options{NoResources: true, NoPrompts: true}, false, false},
		{tools.Options{Toolsets: []string{tools.ToolsetContext}}, true, false},
	} {
		caps := connectWith(t, tc.o).InitializeResult().Capabilities
		if (caps.Resources != nil) != tc.resources || (caps.Prompts != nil) != tc.prompts {
			t.Errorf("options %+v: resources %v prompts %v, want %v %v", tc.o, caps.Resources != nil, caps.Prompts != nil, tc.resources, tc.prompts)
		}
	}
}
