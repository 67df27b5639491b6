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

func TestGetIssue(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "issue_number": 2}
	cases := []toolCase{
		{
			name: "issue",
			args: valid,
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				i := output[tools.Issue](t, res)
				if i.Number != 2 || i.Title != "Greeting ignores NAME when it only contains spaces" || i.State != "open" ||
					i.User != "hubot" || !slices.Equal(i.Labels, []string{"bug"}) || i.Comments != 1 ||
					i.HTMLURL != e.fake.URL+"/mona/hello-world/issues/2" || i.CreatedAt != "2026-03-07T09:30:00Z" ||
					i.UpdatedAt != "2026-03-07T15:30:00Z" || i.ClosedAt != "" || i.IsPullRequest ||
					!strings.Contains(i.Body, "NAME='  ' go run .") {
					t.Errorf("issue = %+v", i)
				}
			},
		},
		{
			name: "closed issue without labels has [] labels",
			args: with(valid, "issue_number", 6),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				i := output[tools.Issue](t, res)
				if i.State != "closed" || i.ClosedAt != "2026-03-14T09:30:00Z" {
					t.Errorf("issue = %+v, want closed at 2026-03-14T09:30:00Z", i)
				}
				for _, want := range []string{`"labels":[]`, `"assignees":[]`} {
					if !strings.Contains(text(res), want) {
						t.Errorf("result %s, want %s", text(res), want)
					}
				}
			},
		},
		{
			name: "pull request number",
			args: with(valid, "issue_number", 3),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if i := output[tools.Issue](t, res); !i.IsPullRequest || !slices.Equal(i.Assignees, []string{"mona"}) {
					t.Errorf("issue = %+v, want a pull request assigned to mona", i)
				}
			},
		},
		{name: "unknown issue", args: with(valid, "issue_number", 99), wantErr: "issue #99 not found, or your GitHub account has no access to mona/hello-world."},
		{name: "private repository of someone else", args: map[string]any{"owner": "mona", "repo": "secret-plans", "issue_number": 1}, setup: asHubot,
			wantErr: "issue #1 not found, or your GitHub account has no access to mona/secret-plans."},
		{name: "issue number 0", args: with(valid, "issue_number", 0), wantErr: `validating "arguments"`},
		{name: "issue number as text", args: with(valid, "issue_number", "two"), wantErr: `validating "arguments"`},
	}
	runCases(t, "get_issue", append(cases, commonCases(valid, "issue_number")...))
}

func TestCreateIssue(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "title": "Add a --whisper flag"}
	cases := []toolCase{
		{
			name: "created and visible to get_issue",
			args: with(valid, "body", "Lower-case greeting.", "labels", []string{"enhancement"}, "assignees", []string{"hubot"}),
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				created := output[tools.Issue](t, res)
				if created.Number != 7 || created.Title != "Add a --whisper flag" || created.State != "open" ||
					created.User != "mona" || created.Body != "Lower-case greeting." ||
					!slices.Equal(created.Labels, []string{"enhancement"}) || !slices.Equal(created.Assignees, []string{"hubot"}) {
					t.Errorf("created = %+v", created)
				}
				got := output[tools.Issue](t, e.call(t, "get_issue", map[string]any{"owner": "mona", "repo": "hello-world", "issue_number": created.Number}))
				if got.Title != created.Title || got.Body != created.Body || got.HTMLURL != created.HTMLURL {
					t.Errorf("get_issue = %+v, want the created issue %+v", got, created)
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
		{name: "empty title", args: with(valid, "title", ""), wantErr: `validating "arguments"`},
		{name: "blank title", args: with(valid, "title", "   "), wantErr: "invalid arguments: title must not be empty"},
		{name: "unknown assignee", args: with(valid, "assignees", []string{"nobody"}), wantErr: "GitHub rejected the request as invalid: Validation Failed (assignees invalid)."},
		{name: "unknown repository", args: with(valid, "repo", "nope"), wantErr: "not found, or your GitHub account has no access to mona/nope."},
	}
	runCases(t, "create_issue", append(cases, commonCases(valid, "title")...))
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
				i := output[tools.Issue](t, e.call(t, "get_issue", map[string]any{"owner": "mona", "repo": "hello-world", "issue_number": 2}))
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
