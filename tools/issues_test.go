package tools_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

func issueNumbers(issues []tools.Issue) []int {
	nums := []int{}
	for _, i := range issues {
		nums = append(nums, i.Number)
	}
	return nums
}

func TestListIssues(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world"}
	listCase := func(name string, args map[string]any, wantNums []int, wantNext int) toolCase {
		return toolCase{
			name: name,
			args: args,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.IssueList](t, res)
				if got := issueNumbers(out.Issues); !slices.Equal(got, wantNums) || out.NextPage != wantNext {
					t.Errorf("issues %v next %d, want %v next %d", got, out.NextPage, wantNums, wantNext)
				}
			},
		}
	}
	cases := []toolCase{
		listCase("open by default, pull requests left out", valid, []int{4, 2}, 0),
		listCase("all, first page", with(valid, "state", "all", "perPage", 2), []int{6}, 2),
		listCase("all, last page", with(valid, "state", "all", "perPage", 2, "page", 3), []int{2, 1}, 0),
		listCase("closed", with(valid, "state", "closed"), []int{6, 1}, 0),
		listCase("by label", with(valid, "state", "all", "labels", []string{"bug"}), []int{2}, 0),
		listCase("repository without issues", map[string]any{"owner": "hubot", "repo": "chatops-scripts"}, []int{}, 0),
		{
			name: "fields of an issue",
			args: with(valid, "labels", []string{"enhancement"}),
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				out := output[tools.IssueList](t, res)
				if len(out.Issues) != 1 {
					t.Fatalf("issues = %v, want #4 only", issueNumbers(out.Issues))
				}
				i := out.Issues[0]
				if i.Title != "Support a --shout flag" || i.State != "open" || i.User != "mona" ||
					!slices.Equal(i.Labels, []string{"enhancement", "good first issue"}) ||
					i.HTMLURL != e.fake.URL+"/mona/hello-world/issues/4" || i.CreatedAt != "2026-03-10T09:30:00Z" {
					t.Errorf("issue = %+v", i)
				}
			},
		},
		{
			name: "empty page is [] not null",
			args: map[string]any{"owner": "hubot", "repo": "chatops-scripts"},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if !strings.Contains(text(res), `"issues":[]`) {
					t.Errorf("result %s, want \"issues\":[]", text(res))
				}
			},
		},
		{name: "unknown repository", args: with(valid, "repo", "nope"), wantErr: "the repository not found, or your GitHub account has no access to mona/nope."},
		{name: "bad state", args: with(valid, "state", "merged"), wantErr: `validating "arguments"`},
		{name: "bad since", args: with(valid, "since", "yesterday"), wantErr: `invalid arguments: since "yesterday" is not an RFC 3339 time`},
		{name: "perPage 0", args: with(valid, "perPage", 0), wantErr: `validating "arguments"`},
	}
	runCases(t, "list_issues", append(cases, commonCases(valid, "owner")...))
}

func TestIssueRead(t *testing.T) {
	valid := map[string]any{"method": "get", "owner": "mona", "repo": "hello-world", "issue_number": 2}
	cases := []toolCase{
		{
			name: "get",
			args: valid,
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				r := output[tools.IssueRead](t, res)
				i := r.Issue
				if r.Method != "get" || i == nil || i.Number != 2 || i.Title != "Greeting ignores NAME when it only contains spaces" || i.State != "open" ||
					i.User != "hubot" || !slices.Equal(i.Labels, []string{"bug"}) || i.Comments != 1 ||
					i.HTMLURL != e.fake.URL+"/mona/hello-world/issues/2" || i.CreatedAt != "2026-03-07T09:30:00Z" ||
					i.UpdatedAt != "2026-03-07T15:30:00Z" || i.ClosedAt != "" || i.IsPullRequest ||
					!strings.Contains(i.Body, "NAME='  ' go run .") {
					t.Errorf("issue = %+v", i)
				}
			},
		},
		{
			name: "get a closed issue: state reason, [] labels",
			args: with(valid, "issue_number", 6),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				i := output[tools.IssueRead](t, res).Issue
				if i.State != "closed" || i.StateReason != "not_planned" || i.ClosedAt != "2026-03-14T09:30:00Z" {
					t.Errorf("issue = %+v, want closed as not planned at 2026-03-14T09:30:00Z", i)
				}
				for _, want := range []string{`"labels":[]`, `"assignees":[]`} {
					if !strings.Contains(text(res), want) {
						t.Errorf("result %s, want %s", text(res), want)
					}
				}
			},
		},
		{
			name: "get a pull request number",
			args: with(valid, "issue_number", 3),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if i := output[tools.IssueRead](t, res).Issue; !i.IsPullRequest || !slices.Equal(i.Assignees, []string{"mona"}) {
					t.Errorf("issue = %+v, want a pull request assigned to mona", i)
				}
			},
		},
		{
			name: "get_comments, oldest first, paged",
			args: with(valid, "method", "get_comments", "issue_number", 1, "perPage", 1),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				r := output[tools.IssueRead](t, res)
				if len(r.Comments) != 1 || r.Comments[0].Body != "I can write one this week." || r.Comments[0].User != "mona" || r.NextPage != 2 || r.Issue != nil {
					t.Errorf("comments = %+v next %d", r.Comments, r.NextPage)
				}
			},
		},
		{
			name: "get_comments of an issue without any is []",
			args: with(valid, "method", "get_comments", "issue_number", 4),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if !strings.Contains(text(res), `"comments":[]`) {
					t.Errorf("result %s, want \"comments\":[]", text(res))
				}
			},
		},
		{
			name: "get_sub_issues",
			args: with(valid, "method", "get_sub_issues", "issue_number", 4),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				r := output[tools.IssueRead](t, res)
				if got := issueNumbers(r.SubIssues); !slices.Equal(got, []int{2}) {
					t.Errorf("sub-issues = %v, want [2]", got)
				}
			},
		},
		{
			name: "get_labels",
			args: with(valid, "method", "get_labels", "issue_number", 4),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				r := output[tools.IssueRead](t, res)
				if len(r.Labels) != 2 || r.Labels[0].Name != "enhancement" || r.Labels[0].Color != "a2eeef" || r.Labels[1].Name != "good first issue" {
					t.Errorf("labels = %+v", r.Labels)
				}
			},
		},
		{
			name: "get_parent of a sub-issue",
			args: with(valid, "method", "get_parent", "issue_number", 2),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				r := output[tools.IssueRead](t, res)
				if r.Parent == nil || r.Parent.Number != 4 || r.Parent.Title != "Support a --shout flag" || r.Note != "" {
					t.Errorf("parent = %+v, note %q; want issue #4", r.Parent, r.Note)
				}
			},
		},
		{
			name: "get_parent of an issue that has none",
			args: with(valid, "method", "get_parent", "issue_number", 1),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				r := output[tools.IssueRead](t, res)
				if r.Parent != nil || r.Note != "issue #1 is not a sub-issue of another issue" {
					t.Errorf("parent = %+v, note %q", r.Parent, r.Note)
				}
			},
		},
		{name: "get_parent of an unknown issue", args: with(valid, "method", "get_parent", "issue_number", 99),
			wantErr: "issue #99 not found, or your GitHub account has no access to mona/hello-world."},
		{name: "unknown method", args: with(valid, "method", "get_timeline"), wantErr: `validating "arguments"`},
		{name: "unknown issue", args: with(valid, "issue_number", 99), wantErr: "issue #99 not found, or your GitHub account has no access to mona/hello-world."},
		{name: "private repository of someone else", args: map[string]any{"method": "get", "owner": "mona", "repo": "secret-plans", "issue_number": 1}, setup: asHubot,
			wantErr: "issue #1 not found, or your GitHub account has no access to mona/secret-plans."},
		{name: "issue number 0", args: with(valid, "issue_number", 0), wantErr: `validating "arguments"`},
		{name: "issue number as text", args: with(valid, "issue_number", "two"), wantErr: `validating "arguments"`},
	}
	runCases(t, "issue_read", append(cases, commonCases(valid, "method")...))
}

// TestRetiredNames checks that the old names still answer, through the
// tools that replaced them, and that tools/list does not show them.
func TestRetiredNames(t *testing.T) {
	e := newTestEnv(t)
	got := output[tools.IssueRead](t, e.call(t, "get_issue", map[string]any{"owner": "mona", "repo": "hello-world", "issue_number": 2}))
	if got.Method != "get" || got.Issue == nil || got.Issue.Number != 2 {
		t.Errorf("get_issue = %+v, want issue #2", got)
	}
	created := output[tools.Issue](t, e.call(t, "create_issue", map[string]any{"owner": "mona", "repo": "hello-world", "title": "Old name"}))
	if created.Title != "Old name" || created.State != "open" {
		t.Errorf("create_issue = %+v", created)
	}
	pr := output[tools.PullRequestRead](t, e.call(t, "get_pull_request", map[string]any{"owner": "mona", "repo": "hello-world", "pullNumber": 3}))
	if pr.PullRequest == nil || pr.PullRequest.Number != 3 {
		t.Errorf("get_pull_request = %+v", pr)
	}
	diff := e.call(t, "get_pull_request_diff", map[string]any{"owner": "mona", "repo": "hello-world", "pullNumber": 3})
	if !strings.Contains(bodyText(t, diff), "diff --git a/main.go b/main.go") {
		t.Errorf("get_pull_request_diff = %s", text(diff))
	}
	for _, tool := range listTools(t) {
		if _, retired := tools.Aliases()[tool.Name]; retired {
			t.Errorf("tools/list shows the retired name %s", tool.Name)
		}
	}
}

func TestIssueWrite(t *testing.T) {
	valid := map[string]any{"method": "create", "owner": "mona", "repo": "hello-world", "title": "Add a --whisper flag"}
	update := map[string]any{"method": "update", "owner": "mona", "repo": "hello-world", "issue_number": 2}
	cases := []toolCase{
		{
			name: "created and visible to issue_read",
			args: with(valid, "body", "Lower-case greeting.", "labels", []string{"enhancement"}, "assignees", []string{"hubot"}),
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				created := output[tools.Issue](t, res)
				if created.Number != 7 || created.Title != "Add a --whisper flag" || created.State != "open" ||
					created.User != "mona" || created.Body != "Lower-case greeting." ||
					!slices.Equal(created.Labels, []string{"enhancement"}) || !slices.Equal(created.Assignees, []string{"hubot"}) {
					t.Errorf("created = %+v", created)
				}
				got := output[tools.IssueRead](t, e.call(t, "issue_read", map[string]any{"method": "get", "owner": "mona", "repo": "hello-world", "issue_number": created.Number})).Issue
				if got.Title != created.Title || got.Body != created.Body || got.HTMLURL != created.HTMLURL {
					t.Errorf("issue_read = %+v, want the created issue %+v", got, created)
				}
			},
		},
		{
			name: "title only",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if i := output[tools.Issue](t, res); i.Body != "" || len(i.Labels) != 0 {
					t.Errorf("created = %+v, want no body and no labels", i)
				}
			},
		},
		{
			name: "close as not planned",
			args: with(update, "state", "closed", "state_reason", "not_planned"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if i := output[tools.Issue](t, res); i.State != "closed" || i.StateReason != "not_planned" || i.ClosedAt == "" {
					t.Errorf("closed = %+v", i)
				}
			},
		},
		{
			name: "reopen and retitle",
			args: map[string]any{"method": "update", "owner": "mona", "repo": "hello-world", "issue_number": 1, "state": "open", "title": "Guide, again"},
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if i := output[tools.Issue](t, res); i.State != "open" || i.StateReason != "reopened" || i.ClosedAt != "" || i.Title != "Guide, again" {
					t.Errorf("reopened = %+v", i)
				}
			},
		},
		{
			name: "replace labels",
			args: with(update, "labels", []string{"documentation", "enhancement"}),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if i := output[tools.Issue](t, res); !slices.Equal(i.Labels, []string{"documentation", "enhancement"}) {
					t.Errorf("labels = %v", i.Labels)
				}
			},
		},
		{name: "update someone else's issue in someone else's repository", args: with(update, "issue_number", 4, "title", "x"), setup: asHubot,
			wantErr: "GitHub refused this (403): your GitHub account lacks permission on mona/hello-world"},
		{name: "update without issue_number", args: without(update, "issue_number"), wantErr: "invalid arguments: issue_number is required"},
		{name: "update with nothing to change", args: update, wantErr: "invalid arguments: nothing to update"},
		{name: "state_reason without state", args: with(update, "state_reason", "completed"), wantErr: "invalid arguments: state_reason needs state"},
		{name: "state on create", args: with(valid, "state", "closed"), wantErr: "invalid arguments: state, state_reason and issue_number are for method update"},
		{name: "unknown state reason", args: with(update, "state", "closed", "state_reason", "wontfix"), wantErr: `validating "arguments"`},
		{name: "empty title", args: with(valid, "title", ""), wantErr: "invalid arguments: title must not be empty"},
		{name: "blank title", args: with(valid, "title", "   "), wantErr: "invalid arguments: title must not be empty"},
		{name: "unknown assignee", args: with(valid, "assignees", []string{"nobody"}), wantErr: "GitHub rejected the request as invalid: Validation Failed (assignees invalid)."},
		{name: "unknown repository", args: with(valid, "repo", "nope"), wantErr: "not found, or your GitHub account has no access to mona/nope."},
		{name: "unknown issue", args: with(update, "issue_number", 99, "title", "x"), wantErr: "issue #99 not found"},
	}
	runCases(t, "issue_write", append(cases, commonCases(valid, "method")...))
}

func TestAddIssueComment(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "issue_number": 2, "body": "Fixed by #3."}
	cases := []toolCase{
		{
			name: "comment added",
			args: valid,
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				c := output[tools.Comment](t, res)
				if c.ID == 0 || c.Body != "Fixed by #3." || c.User != "mona" || c.CreatedAt == "" ||
					!strings.HasPrefix(c.HTMLURL, e.fake.URL+"/mona/hello-world/issues/2#issuecomment-") {
					t.Errorf("comment = %+v", c)
				}
				i := output[tools.IssueRead](t, e.call(t, "issue_read", map[string]any{"method": "get", "owner": "mona", "repo": "hello-world", "issue_number": 2})).Issue
				if i.Comments != 2 {
					t.Errorf("comments after adding one = %d, want 2", i.Comments)
				}
			},
		},
		{name: "unknown issue", args: with(valid, "issue_number", 99), wantErr: "issue #99 not found, or your GitHub account has no access to mona/hello-world."},
		{name: "empty body", args: with(valid, "body", ""), wantErr: `validating "arguments"`},
		{name: "blank body", args: with(valid, "body", " \n "), wantErr: "invalid arguments: body must not be empty"},
	}
	runCases(t, "add_issue_comment", append(cases, commonCases(valid, "body")...))
}
