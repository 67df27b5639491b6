package tools_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

func TestListPullRequests(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world"}
	listCase := func(name string, args map[string]any, wantNums []int, wantNext int) toolCase {
		return toolCase{
			name: name,
			args: args,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.PullRequestList](t, res)
				nums := []int{}
				for _, p := range out.PullRequests {
					nums = append(nums, p.Number)
				}
				if !slices.Equal(nums, wantNums) || out.NextPage != wantNext {
					t.Errorf("pull requests %v next %d, want %v next %d", nums, out.NextPage, wantNums, wantNext)
				}
			},
		}
	}
	cases := []toolCase{
		listCase("open by default", valid, []int{3}, 0),
		listCase("all", with(valid, "state", "all"), []int{5, 3}, 0),
		listCase("all, first page", with(valid, "state", "all", "perPage", 1), []int{5}, 2),
		listCase("all, last page", with(valid, "state", "all", "perPage", 1, "page", 2), []int{3}, 0),
		listCase("none", map[string]any{"owner": "hubot", "repo": "chatops-scripts"}, []int{}, 0),
		{
			name: "fields of a pull request",
			args: with(valid, "state", "closed"),
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				out := output[tools.PullRequestList](t, res)
				if len(out.PullRequests) != 1 {
					t.Fatalf("pull requests = %+v, want #5 only", out.PullRequests)
				}
				p := out.PullRequests[0]
				if p.Number != 5 || p.State != "closed" || !p.Merged || p.MergedAt != "2026-03-12T09:30:00Z" ||
					p.User != "mona" || p.Head != "mona:api-docs" || p.Base != "main" ||
					p.HTMLURL != e.fake.URL+"/mona/hello-world/pull/5" {
					t.Errorf("pull request = %+v", p)
				}
			},
		},
		{
			name: "empty page is [] not null",
			args: map[string]any{"owner": "hubot", "repo": "chatops-scripts"},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if !strings.Contains(text(res), `"pull_requests":[]`) {
					t.Errorf("result %s, want \"pull_requests\":[]", text(res))
				}
			},
		},
		{name: "unknown repository", args: with(valid, "owner", "nobody"), wantErr: "not found, or your GitHub account has no access to nobody/hello-world."},
		{name: "bad state", args: with(valid, "state", "merged"), wantErr: `validating "arguments"`},
		{name: "bad sort", args: with(valid, "sort", "stars"), wantErr: `validating "arguments"`},
	}
	runCases(t, "list_pull_requests", append(cases, commonCases(valid, "repo")...))
}

func TestGetPullRequest(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "pullNumber": 3}
	cases := []toolCase{
		{
			name: "open pull request with details",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				p := output[tools.PullRequest](t, res)
				if p.Number != 3 || p.Title != "Trim NAME before greeting" || p.State != "open" || p.Draft || p.Merged ||
					p.User != "hubot" || p.Head != "mona:fix-blank-name" || p.Base != "main" || p.HeadSHA == "" ||
					!slices.Equal(p.Labels, []string{"bug"}) || p.Commits != 1 || p.Additions != 3 ||
					p.Deletions != 1 || p.ChangedFiles != 1 || !strings.HasPrefix(p.Body, "Fixes #2.") {
					t.Errorf("pull request = %+v", p)
				}
			},
		},
		{
			name: "merged",
			args: with(valid, "pullNumber", 5),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if p := output[tools.PullRequest](t, res); !p.Merged || p.State != "closed" || p.MergedAt == "" || p.Comments != 1 {
					t.Errorf("pull request = %+v, want merged and closed with 1 comment", p)
				}
			},
		},
		{
			name: "draft from a fork",
			args: map[string]any{"owner": "mona", "repo": "spoon-knife", "pullNumber": 2},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if p := output[tools.PullRequest](t, res); !p.Draft || p.Head != "hubot:friendlier" {
					t.Errorf("pull request = %+v, want a draft from hubot:friendlier", p)
				}
			},
		},
		{name: "issue number that is not a pull request", args: with(valid, "pullNumber", 2),
			wantErr: "pull request #2 not found, or your GitHub account has no access to mona/hello-world."},
		{name: "pullNumber 0", args: with(valid, "pullNumber", 0), wantErr: `validating "arguments"`},
	}
	runCases(t, "get_pull_request", append(cases, commonCases(valid, "pullNumber")...))
}
