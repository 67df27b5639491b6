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

func TestPullRequestRead(t *testing.T) {
	valid := map[string]any{"method": "get", "owner": "mona", "repo": "hello-world", "pullNumber": 3}
	cases := []toolCase{
		{
			name: "get: open pull request with details",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				p := output[tools.PullRequestRead](t, res).PullRequest
				if p.Number != 3 || p.Title != "Trim NAME before greeting" || p.State != "open" || p.Draft || p.Merged ||
					p.User != "hubot" || p.Head != "mona:fix-blank-name" || p.Base != "main" || len(p.HeadSHA) != 40 ||
					!slices.Equal(p.Labels, []string{"bug"}) || p.Commits != 1 || p.Additions != 5 ||
					p.Deletions != 4 || p.ChangedFiles != 1 || !strings.HasPrefix(p.Body, "Fixes #2.") {
					t.Errorf("pull request = %+v", p)
				}
			},
		},
		{
			name: "get: merged",
			args: with(valid, "pullNumber", 5),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if p := output[tools.PullRequestRead](t, res).PullRequest; !p.Merged || p.State != "closed" || p.MergedAt == "" || p.Comments != 1 || p.Commits != 2 {
					t.Errorf("pull request = %+v, want merged and closed with 1 comment and 2 commits", p)
				}
			},
		},
		{
			name: "get: draft from a fork",
			args: map[string]any{"method": "get", "owner": "mona", "repo": "spoon-knife", "pullNumber": 2},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if p := output[tools.PullRequestRead](t, res).PullRequest; !p.Draft || p.Head != "hubot:friendlier" {
					t.Errorf("pull request = %+v, want a draft from hubot:friendlier", p)
				}
			},
		},
		{
			name: "get_diff: the diff media type, sent once as text",
			args: with(valid, "method", "get_diff"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				r := output[tools.PullRequestRead](t, res)
				diff := bodyText(t, res)
				if !strings.HasPrefix(diff, "diff --git a/main.go b/main.go\n") || !strings.Contains(diff, "+\tname := strings.TrimSpace(os.Getenv(\"NAME\"))") ||
					r.Diff == nil || r.Diff.Truncated || r.Diff.TotalLines != strings.Count(diff, "\n") {
					t.Errorf("diff %+v:\n%s", r.Diff, diff)
				}
				if strings.Contains(text(res), `\"NAME\"`) {
					t.Error("the diff was also sent JSON-escaped")
				}
			},
		},
		{
			name: "get_diff: a window of lines",
			args: with(valid, "method", "get_diff", "start_line", 2, "end_line", 3),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				r := output[tools.PullRequestRead](t, res)
				if got := bodyText(t, res); !strings.HasPrefix(got, "index ") || !strings.HasPrefix(strings.SplitN(got, "\n", 2)[1], "--- a/main.go") ||
					r.Diff.StartLine != 2 || r.Diff.EndLine != 3 || r.Diff.NextStartLine != 4 {
					t.Errorf("lines 2-3 = %q, window %+v", got, r.Diff)
				}
			},
		},
		{
			name: "get_files",
			args: with(valid, "method", "get_files"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				f := output[tools.PullRequestRead](t, res).Files
				if len(f) != 1 || f[0].Filename != "main.go" || f[0].Status != "modified" || f[0].Additions != 5 || f[0].Deletions != 4 ||
					!strings.HasPrefix(f[0].Patch, "@@ -3,") {
					t.Errorf("files = %+v", f)
				}
			},
		},
		{
			name: "get_commits, oldest first",
			args: with(valid, "method", "get_commits"),
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				c := output[tools.PullRequestRead](t, res).Commits
				if len(c) == 0 || c[0].SHA == "" || c[0].Message == "" || len(c[0].Parents) != 1 {
					t.Fatalf("commits = %+v", c)
				}
				// The same commits compare_refs finds between base and head.
				pr := output[tools.PullRequestRead](t, e.call(t, "pull_request_read", valid)).PullRequest
				cmp := output[tools.Comparison](t, e.call(t, "compare_refs", map[string]any{"owner": "mona", "repo": "hello-world", "base": pr.Base, "head": pr.Head}))
				if len(cmp.Commits) != len(c) || cmp.Commits[len(c)-1].SHA != c[len(c)-1].SHA {
					t.Errorf("get_commits %+v, compare_refs %+v", c, cmp.Commits)
				}
			},
		},
		{
			name: "get_status: commit statuses and check runs",
			args: with(valid, "method", "get_status"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				st := output[tools.PullRequestRead](t, res).Status
				if st == nil || st.State != "success" || len(st.Statuses) != 1 || st.Statuses[0].Context != "deploy/preview" || len(st.CheckRuns) != 2 {
					t.Fatalf("status = %+v", st)
				}
				if c := st.CheckRuns[1]; c.Name != "test" || c.Conclusion != "failure" || c.App != "github-actions" || c.ID == 0 {
					t.Errorf("check run = %+v, want the failed test job", c)
				}
			},
		},
		{
			name: "get_check_runs",
			args: with(valid, "method", "get_check_runs"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				r := output[tools.PullRequestRead](t, res)
				if r.Status != nil || len(r.CheckRuns) != 2 || r.CheckRuns[0].Name != "build" || r.CheckRuns[0].Conclusion != "success" {
					t.Errorf("check runs = %+v, status %+v", r.CheckRuns, r.Status)
				}
			},
		},
		{
			name: "get_reviews",
			args: with(valid, "method", "get_reviews"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				r := output[tools.PullRequestRead](t, res).Reviews
				if len(r) != 1 || r[0].User != "mona" || r[0].State != "CHANGES_REQUESTED" || !strings.Contains(r[0].Body, "add a test") {
					t.Errorf("reviews = %+v", r)
				}
			},
		},
		{
			name: "get_review_comments: a thread",
			args: with(valid, "method", "get_review_comments"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				c := output[tools.PullRequestRead](t, res).ReviewComments
				if len(c) != 2 || c[0].Path != "main.go" || c[0].Line != 10 || c[0].User != "mona" || c[0].ReviewID == 0 ||
					c[1].InReplyToID != c[0].ID || c[1].User != "hubot" || !strings.HasPrefix(c[0].DiffHunk, "@@") {
					t.Errorf("review comments = %+v", c)
				}
			},
		},
		{
			name: "get_comments: the conversation",
			args: with(valid, "method", "get_comments", "pullNumber", 5),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				c := output[tools.PullRequestRead](t, res).Comments
				if len(c) != 1 || c[0].Body != "Looks good to me." {
					t.Errorf("comments = %+v", c)
				}
			},
		},
		{name: "issue number that is not a pull request", args: with(valid, "pullNumber", 2),
			wantErr: "pull request #2 not found, or your GitHub account has no access to mona/hello-world."},
		{name: "pullNumber 0", args: with(valid, "pullNumber", 0), wantErr: `validating "arguments"`},
		{name: "unknown method", args: with(valid, "method", "get_ci_summary"), wantErr: `validating "arguments"`},
	}
	runCases(t, "pull_request_read", append(cases, commonCases(valid, "pullNumber")...))
}

func TestCreatePullRequest(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "title": "Docs for NAME", "head": "docs-name", "base": "main"}
	withBranch := func(t *testing.T, e *testEnv) {
		t.Helper()
		res := e.call(t, "create_branch", map[string]any{"owner": "mona", "repo": "hello-world", "branch": "docs-name"})
		if res.IsError {
			t.Fatalf("create_branch: %s", text(res))
		}
		res = e.call(t, "create_or_update_file", map[string]any{"owner": "mona", "repo": "hello-world", "branch": "docs-name",
			"path": "docs/name.md", "content": "# NAME\n\nSet NAME to greet someone.\n", "message": "Document NAME"})
		if res.IsError {
			t.Fatalf("create_or_update_file: %s", text(res))
		}
	}
	cases := []toolCase{
		{
			name:  "branch, commit, pull request",
			args:  with(valid, "body", "Adds docs/name.md.", "draft", true),
			setup: withBranch,
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				p := output[tools.PullRequest](t, res)
				if p.Number != 7 || p.State != "open" || !p.Draft || p.User != "mona" || p.Head != "mona:docs-name" || p.Base != "main" ||
					p.Commits != 1 || p.ChangedFiles != 1 || p.Additions != 3 || p.Body != "Adds docs/name.md." {
					t.Errorf("pull request = %+v", p)
				}
				files := output[tools.PullRequestRead](t, e.call(t, "pull_request_read", map[string]any{"method": "get_files", "owner": "mona", "repo": "hello-world", "pullNumber": 7})).Files
				if len(files) != 1 || files[0].Filename != "docs/name.md" || files[0].Status != "added" {
					t.Errorf("files = %+v", files)
				}
			},
		},
		{name: "no such head branch", args: valid, wantErr: "GitHub rejected the request as invalid: Validation Failed (head invalid)."},
		{name: "head equals base", args: with(valid, "head", "main"), wantErr: "No commits between main and main"},
		{name: "blank title", args: with(valid, "title", " "), wantErr: "invalid arguments: title must not be empty"},
	}
	runCases(t, "create_pull_request", append(cases, commonCases(valid, "head")...))
}
