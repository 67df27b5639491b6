package tools_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// largeEnv is a fake GitHub with mona/large (fakegithub.AddLargeRepo) and
// a session to a server with the given result budget.
func largeEnv(t *testing.T, fake *fakegithub.Fake, budget int) *testEnv {
	t.Helper()
	e := &testEnv{fake: fake, token: fake.IssueToken("mona")}
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-test", Version: "test"}, nil)
	err := tools.RegisterWith(srv, tools.Deps{
		GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
			return newGitHubClient(fake, e.token, false)
		},
		Whoami: func(context.Context, *mcp.CallToolRequest) (tools.Identity, error) {
			return tools.Identity{}, errors.New("no")
		},
	}, tools.Options{MaxResultChars: budget})
	if err != nil {
		t.Fatal(err)
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
	e.cs = cs
	return e
}

// TestResultsStayWithinBudget calls every tool and method, asking for as
// much as each allows, on a repository with more of everything than fits,
// and checks that every answer succeeds within the budget and says when it
// left something out.
func TestResultsStayWithinBudget(t *testing.T) {
	fake := fakegithubtest.NewServer(t, fakegithub.Options{})
	if err := fake.AddLargeRepo("mona", "large"); err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int{tools.DefaultMaxResultChars, 10_000} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			e := largeEnv(t, fake, budget)
			repo := map[string]any{"owner": "mona", "repo": "large"}
			runs := output[tools.ActionsList](t, e.call(t, "actions_list", with(repo, "method", "list_workflow_runs")))
			if len(runs.WorkflowRuns) == 0 {
				t.Fatal("no workflow run in the large fixture")
			}
			runID := runs.WorkflowRuns[0].ID
			jobs := output[tools.ActionsList](t, e.call(t, "actions_list", with(repo, "method", "list_workflow_jobs", "resource_id", fmt.Sprint(runID))))
			jobID := jobs.Jobs[0].ID
			max := map[string]any{"perPage": 100}
			calls := []struct {
				tool string
				args map[string]any
				cut  bool // whether the answer must say it left something out
			}{
				{"get_me", nil, false},
				{"search_repositories", map[string]any{"query": "user:mona", "perPage": 100}, false},
				{"get_file_contents", with(repo, "path", "big.txt"), true},
				{"get_file_contents", with(repo, "path", "gen"), true},
				{"list_commits", with(repo, "perPage", 100), true},
				{"get_commit", with(repo, "sha", "big-change"), true},
				{"list_branches", with(repo, "perPage", 100), budget < tools.DefaultMaxResultChars},
				{"compare_refs", with(repo, "base", "main", "head", "big-change", "include_diff", true), true},
				{"list_issues", with(repo, "perPage", 100), true},
				{"issue_read", with(repo, "method", "get", "issue_number", 2), true},
				{"issue_read", with(repo, "method", "get_comments", "issue_number", 1, "perPage", 100), true},
				{"issue_read", with(repo, "method", "get_labels", "issue_number", 1), false},
				{"issue_read", with(repo, "method", "get_sub_issues", "issue_number", 1), false},
				{"list_pull_requests", with(repo, "perPage", 100, "state", "all"), false},
				{"pull_request_read", with(repo, "method", "get", "pullNumber", 121), false},
				{"pull_request_read", with(repo, "method", "get_diff", "pullNumber", 121), true},
				{"pull_request_read", with(repo, "method", "get_files", "pullNumber", 121, "perPage", 100), true},
				{"pull_request_read", with(repo, "method", "get_status", "pullNumber", 121), false},
				{"pull_request_read", with(repo, "method", "get_reviews", "pullNumber", 121, "perPage", 100), true},
				{"pull_request_read", with(repo, "method", "get_review_comments", "pullNumber", 121, "perPage", 100), true},
				{"pull_request_read", with(repo, "method", "get_comments", "pullNumber", 121), false},
				{"pull_request_read", with(repo, "method", "get_commits", "pullNumber", 121, "perPage", 100), false},
				{"actions_list", with(repo, "method", "list_workflows"), false},
				{"actions_list", with(repo, "method", "list_workflow_runs", "perPage", 100), false},
				{"actions_list", with(repo, "method", "list_workflow_jobs", "resource_id", fmt.Sprint(runID)), false},
				{"actions_get", with(repo, "method", "get_workflow_run", "resource_id", fmt.Sprint(runID)), false},
				{"actions_list", with(repo, "method", "list_workflow_run_artifacts", "resource_id", fmt.Sprint(runID), "per_page", 100), false},
				{"actions_get", with(repo, "method", "get_workflow_run_usage", "resource_id", fmt.Sprint(runID)), false},
				{"get_job_logs", with(repo, "job_id", jobID, "tail_lines", 1_000_000), true},
				{"get_job_logs", with(repo, "run_id", runID, "failed_only", true, "tail_lines", 1_000_000), true},
				{"search_issues", with(max, "query", "dull repo:mona/large"), true},
				{"search_pull_requests", with(max, "query", "Rewrite"), false},
				{"search_code", with(max, "query", "x path:gen"), budget < tools.DefaultMaxResultChars},
			}
			for _, c := range calls {
				res := e.call(t, c.tool, c.args)
				label := fmt.Sprintf("%s %v", c.tool, c.args["method"])
				if res.IsError {
					t.Errorf("%s: tool error %s", label, text(res))
					continue
				}
				n := 0
				for _, ct := range res.Content {
					if tc, ok := ct.(*mcp.TextContent); ok {
						n += utf8.RuneCountInString(tc.Text)
					}
				}
				if n > budget {
					t.Errorf("%s: %d characters, over the budget of %d", label, n, budget)
				}
				if said := truncatedSaid(res); c.cut && !said {
					t.Errorf("%s: %d characters and no word of what was left out: %.300s", label, n, text(res))
				}
			}
		})
	}
}

// truncatedSaid reports whether a result's JSON says it left something out.
func truncatedSaid(res *mcp.CallToolResult) bool {
	m, _ := res.StructuredContent.(map[string]any)
	if m == nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			if t, ok := v["truncated"].(bool); ok && t {
				return true
			}
			for _, x := range v {
				if walk(x) {
					return true
				}
			}
		case []any:
			for _, x := range v {
				if walk(x) {
					return true
				}
			}
		}
		return false
	}
	return walk(m)
}
