package tools_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

// wantToolScopes is the reviewed classification of every tool. A new tool
// fails TestRequiredScope until it is added here, so that granting it to
// read-only tokens is always a deliberate decision.
var wantToolScopes = map[string]string{
	"get_me":                tools.ScopeRead,
	"search_repositories":   tools.ScopeRead,
	"get_file_contents":     tools.ScopeRead,
	"list_commits":          tools.ScopeRead,
	"get_commit":            tools.ScopeRead,
	"list_branches":         tools.ScopeRead,
	"compare_refs":          tools.ScopeRead,
	"create_branch":         tools.ScopeWrite,
	"create_or_update_file": tools.ScopeWrite,
	"list_issues":           tools.ScopeRead,
	"issue_read":            tools.ScopeRead,
	"issue_write":           tools.ScopeWrite,
	"add_issue_comment":     tools.ScopeWrite,
	"list_pull_requests":    tools.ScopeRead,
	"pull_request_read":     tools.ScopeRead,
	"create_pull_request":   tools.ScopeWrite,
	"actions_list":          tools.ScopeRead,
	"actions_get":           tools.ScopeRead,
	"get_job_logs":          tools.ScopeRead,
	"search_issues":         tools.ScopeRead,
	"search_pull_requests":  tools.ScopeRead,
	"search_code":           tools.ScopeRead,
	"whoami":                tools.ScopeRead,
}

// TestAliasScopes checks that a retired name needs the scope of the tool
// that answers it, so that an alias never lets a write through on a
// read-only token.
func TestAliasScopes(t *testing.T) {
	for alias, tool := range tools.Aliases() {
		if got, want := tools.RequiredScope(alias), wantToolScopes[tool]; got != want {
			t.Errorf("RequiredScope(%q) = %q, want %q (the scope of %s)", alias, got, want, tool)
		}
	}
	for alias, want := range map[string]string{"get_issue": tools.ScopeRead, "get_pull_request": tools.ScopeRead, "create_issue": tools.ScopeWrite} {
		if got := tools.RequiredScope(alias); got != want {
			t.Errorf("RequiredScope(%q) = %q, want %q", alias, got, want)
		}
	}
}

func TestRequiredScope(t *testing.T) {
	for _, name := range tools.Names() {
		want, ok := wantToolScopes[name]
		if !ok {
			t.Errorf("tool %s has no reviewed scope in wantToolScopes; add it (%s for a tool that only reads)", name, tools.ScopeRead)
			continue
		}
		if got := tools.RequiredScope(name); got != want {
			t.Errorf("RequiredScope(%q) = %q, want %q", name, got, want)
		}
	}
	for name := range wantToolScopes {
		if !slices.Contains(tools.Names(), name) {
			t.Errorf("wantToolScopes lists %s, which is not a registered tool", name)
		}
	}
	// Names that are not tools fail closed.
	for _, name := range []string{"", "unknown_tool", "GET_ME", "get_me ", "create_issue\x00"} {
		if got := tools.RequiredScope(name); got != tools.ScopeWrite {
			t.Errorf("RequiredScope(%q) = %q, want %q", name, got, tools.ScopeWrite)
		}
	}
}

// TestRequiredScopeFollowsAnnotations checks, against what a client sees in
// tools/list, that a tool needs mcp:read exactly when it declares
// readOnlyHint.
func TestRequiredScopeFollowsAnnotations(t *testing.T) {
	cs := connect(t, tools.Deps{GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
		return nil, errors.New("not used")
	}})
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tools) != len(tools.Names()) {
		t.Fatalf("tools/list has %d tools, Names %d", len(res.Tools), len(tools.Names()))
	}
	for _, tool := range res.Tools {
		want := tools.ScopeWrite
		if tool.Annotations != nil && tool.Annotations.ReadOnlyHint {
			want = tools.ScopeRead
		}
		if got := tools.RequiredScope(tool.Name); got != want {
			t.Errorf("%s: RequiredScope = %q, but its annotations call for %q", tool.Name, got, want)
		}
	}
}

func TestScopeSatisfies(t *testing.T) {
	tests := []struct {
		granted  []string
		required string
		want     bool
	}{
		{[]string{tools.ScopeRead}, tools.ScopeRead, true},
		{[]string{tools.ScopeRead}, tools.ScopeWrite, false},
		{[]string{tools.ScopeWrite}, tools.ScopeWrite, true},
		{[]string{tools.ScopeWrite}, tools.ScopeRead, true}, // the hierarchy
		{[]string{tools.ScopeRead, tools.ScopeWrite}, tools.ScopeWrite, true},
		{[]string{"repo", tools.ScopeWrite}, tools.ScopeRead, true},
		{nil, tools.ScopeRead, false},
		{[]string{}, tools.ScopeWrite, false},
		{[]string{"repo", "mcp"}, tools.ScopeRead, false},
		{[]string{"MCP:READ"}, tools.ScopeRead, false}, // scopes are case-sensitive (RFC 6749 §3.3)
		{[]string{"mcp:read mcp:write"}, tools.ScopeWrite, false},
		{[]string{tools.ScopeRead}, "", false},
		{[]string{""}, "", false},
		{[]string{tools.ScopeRead}, "mcp:admin", false},
	}
	for _, tt := range tests {
		if got := tools.ScopeSatisfies(tt.granted, tt.required); got != tt.want {
			t.Errorf("ScopeSatisfies(%q, %q) = %v, want %v", tt.granted, tt.required, got, tt.want)
		}
	}
}

func TestScopeRules(t *testing.T) {
	var r tools.ScopeRules
	if got := r.Scopes(); !slices.Equal(got, []string{tools.ScopeRead, tools.ScopeWrite}) {
		t.Errorf("Scopes() = %q", got)
	}
	for _, name := range append(tools.Names(), "unknown_tool") {
		if got := r.RequiredScope(name); !slices.Contains(r.Scopes(), got) {
			t.Errorf("RequiredScope(%q) = %q, not listed by Scopes()", name, got)
		}
	}
	if !r.Satisfies([]string{tools.ScopeWrite}, tools.ScopeRead) || r.Satisfies([]string{tools.ScopeRead}, tools.ScopeWrite) {
		t.Errorf("Satisfies does not follow ScopeSatisfies")
	}
}

func TestRequireScopes(t *testing.T) {
	withToken := func(scopes ...string) *mcp.RequestExtra {
		return &mcp.RequestExtra{TokenInfo: &auth.TokenInfo{Scopes: scopes, UserID: "github:1"}}
	}
	tests := []struct {
		name     string
		method   string
		req      mcp.Request
		wantNext bool
		wantErr  string // substring of the tool error when refused
	}{
		{"read tool with read scope", "tools/call",
			&mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "get_me"}, Extra: withToken(tools.ScopeRead)}, true, ""},
		{"read tool with write scope", "tools/call",
			&mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "list_issues"}, Extra: withToken(tools.ScopeWrite)}, true, ""},
		{"write tool with write scope", "tools/call",
			&mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "create_issue"}, Extra: withToken(tools.ScopeRead, tools.ScopeWrite)}, true, ""},
		{"write tool with read scope", "tools/call",
			&mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "add_issue_comment"}, Extra: withToken(tools.ScopeRead)}, false, "needs the mcp:write scope"},
		{"read tool without scopes", "tools/call",
			&mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "get_me"}, Extra: withToken()}, false, "needs the mcp:read scope"},
		{"unknown tool with read scope", "tools/call",
			&mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "delete_repository"}, Extra: withToken(tools.ScopeRead)}, false, "needs the mcp:write scope"},
		{"no token information", "tools/call",
			&mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "get_me"}}, false, "needs the mcp:read scope"},
		{"no extra token", "tools/call",
			&mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "get_me"}, Extra: &mcp.RequestExtra{}}, false, "needs the mcp:read scope"},
		{"tools/list is not checked", "tools/list", &mcp.ListToolsRequest{Extra: withToken()}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			next := func(context.Context, string, mcp.Request) (mcp.Result, error) {
				called = true
				return &mcp.CallToolResult{}, nil
			}
			res, err := tools.RequireScopes(next)(context.Background(), tt.method, tt.req)
			if err != nil {
				t.Fatalf("protocol error %v; scope refusals must be tool errors", err)
			}
			if called != tt.wantNext {
				t.Fatalf("next called = %v, want %v", called, tt.wantNext)
			}
			if tt.wantNext {
				return
			}
			ctr, ok := res.(*mcp.CallToolResult)
			if !ok || !ctr.IsError {
				t.Fatalf("result %#v, want a tool error", res)
			}
			if got := text(ctr); !strings.Contains(got, tt.wantErr) {
				t.Errorf("tool error %q, want it to contain %q", got, tt.wantErr)
			}
		})
	}
}

// TestRequireScopesOnAServer runs the middleware in a real server: a call
// that did not come through the bearer check (an in-memory session carries
// no token) is refused before the tool asks for a GitHub client, and
// tools/list still lists every tool.
func TestRequireScopesOnAServer(t *testing.T) {
	asked := 0
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-test", Version: "test"}, nil)
	tools.Register(srv, tools.Deps{GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
		asked++
		return nil, errors.New("no GitHub here")
	}, Whoami: func(context.Context, *mcp.CallToolRequest) (tools.Identity, error) {
		return tools.Identity{}, errors.New("no identity here")
	}})
	srv.AddReceivingMiddleware(tools.RequireScopes)
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "test"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })

	list, err := cs.ListTools(ctx, nil)
	if err != nil || len(list.Tools) != len(tools.Names()) {
		t.Fatalf("tools/list: %v, %d tools", err, len(list.Tools))
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "create_issue",
		Arguments: map[string]any{"owner": "mona", "repo": "hello-world", "title": "x"}})
	if err != nil {
		t.Fatalf("protocol error: %v", err)
	}
	if !res.IsError || !strings.Contains(text(res), "needs the mcp:write scope") {
		t.Errorf("create_issue without a token = %q (isError %v), want a scope error", text(res), res.IsError)
	}
	if asked != 0 {
		t.Errorf("the tool asked for a GitHub client %d times; the refusal must come first", asked)
	}
}
