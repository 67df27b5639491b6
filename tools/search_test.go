package tools_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

func TestSearchIssues(t *testing.T) {
	valid := map[string]any{"query": "NAME"}
	cases := []toolCase{
		{
			name: "issues only, across visible repositories",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.IssueSearchResult](t, res)
				if got := issueNumbers(out.Items); out.TotalCount != 1 || !slices.Equal(got, []int{2}) || out.Items[0].IsPullRequest {
					t.Errorf("results %v (total %d), want issue #2", got, out.TotalCount)
				}
			},
		},
		{
			name: "scoped to a repository, with qualifiers",
			args: map[string]any{"query": "is:closed", "owner": "mona", "repo": "hello-world"},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if got := issueNumbers(output[tools.IssueSearchResult](t, res).Items); !slices.Equal(got, []int{6, 1}) {
					t.Errorf("results %v, want [6 1]", got)
				}
			},
		},
		{
			name: "minimal output leaves bodies out",
			args: map[string]any{"query": "label:bug", "minimal_output": true},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.IssueSearchResult](t, res)
				if len(out.Items) != 1 || out.Items[0].Body != "" || out.Items[0].Title == "" {
					t.Errorf("items = %+v", out.Items)
				}
			},
		},
		{name: "owner without repo", args: with(valid, "owner", "mona"), wantErr: "invalid arguments: give both owner and repo"},
		{name: "empty query", args: with(valid, "query", ""), wantErr: `validating "arguments"`},
	}
	runCases(t, "search_issues", append(cases, commonCases(valid, "query")...))
}

func TestSearchPullRequests(t *testing.T) {
	valid := map[string]any{"query": "NAME"}
	cases := []toolCase{
		{
			name: "pull requests only",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.IssueSearchResult](t, res)
				if got := issueNumbers(out.Items); !slices.Equal(got, []int{3}) || !out.Items[0].IsPullRequest {
					t.Errorf("results %v, want pull request #3", got)
				}
			},
		},
		{
			name: "merged, in a repository",
			args: map[string]any{"query": "is:merged", "owner": "mona", "repo": "hello-world"},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if got := issueNumbers(output[tools.IssueSearchResult](t, res).Items); !slices.Equal(got, []int{5}) {
					t.Errorf("results %v, want [5]", got)
				}
			},
		},
	}
	runCases(t, "search_pull_requests", append(cases, commonCases(valid, "query")...))
}

func TestSearchCode(t *testing.T) {
	valid := map[string]any{"query": "Getenv repo:mona/hello-world"}
	cases := []toolCase{
		{
			name: "a symbol, with the matching line",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.CodeSearchResult](t, res)
				if out.TotalCount != 1 || out.Items[0].Path != "main.go" || out.Items[0].Repository != "mona/hello-world" ||
					len(out.Items[0].Fragments) != 1 || !strings.Contains(out.Items[0].Fragments[0], `os.Getenv("NAME")`) {
					t.Errorf("results = %+v", out)
				}
			},
		},
		{
			name: "qualifiers: extension and path, minimal output",
			args: map[string]any{"query": "robot extension:js path:scripts", "minimal_output": true},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.CodeSearchResult](t, res)
				if out.TotalCount != 2 || out.Items[0].Path != "scripts/deploy.js" || len(out.Items[0].Fragments) != 0 {
					t.Errorf("results = %+v", out)
				}
			},
		},
		{
			name:  "private repository of someone else stays hidden",
			args:  map[string]any{"query": "Plans"},
			setup: asHubot,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if out := output[tools.CodeSearchResult](t, res); out.TotalCount != 0 || !strings.Contains(text(res), `"items":[]`) {
					t.Errorf("results = %+v", out)
				}
			},
		},
	}
	runCases(t, "search_code", append(cases, commonCases(valid, "query")...))
}
