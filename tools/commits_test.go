package tools_test

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

func commitMessages(cs []tools.Commit) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Message)
	}
	return out
}

func TestListCommits(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world"}
	cases := []toolCase{
		{
			name: "default branch, newest first",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.CommitList](t, res)
				want := "Link the API docs from the README|Document the API|Add a getting-started guide|Initial commit"
				if got := strings.Join(commitMessages(out.Commits), "|"); got != want || out.NextPage != 0 {
					t.Errorf("commits %q next %d, want %q", got, out.NextPage, want)
				}
				if c := out.Commits[0]; c.Author != "mona" || c.AuthorName != "Mona Lisa Octocat" || len(c.SHA) != 40 || len(c.Parents) != 1 || c.Date == "" {
					t.Errorf("commit = %+v", c)
				}
			},
		},
		{
			name: "a branch, paged",
			args: with(valid, "sha", "fix-blank-name", "perPage", 1),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.CommitList](t, res)
				if got := commitMessages(out.Commits); len(got) != 1 || got[0] != "Trim NAME before greeting" || out.NextPage != 2 {
					t.Errorf("commits %v next %d", got, out.NextPage)
				}
			},
		},
		{
			name: "by author and path",
			args: with(valid, "author", "hubot", "path", "docs/getting-started.md"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if got := commitMessages(output[tools.CommitList](t, res).Commits); len(got) != 1 || got[0] != "Add a getting-started guide" {
					t.Errorf("commits %v", got)
				}
			},
		},
		{name: "unknown ref", args: with(valid, "sha", "nope"), wantErr: "ref nope not found"},
		{name: "bad since", args: with(valid, "since", "yesterday"), wantErr: `invalid arguments: since "yesterday"`},
	}
	runCases(t, "list_commits", append(cases, commonCases(valid, "owner")...))
}

func TestGetCommit(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "sha": "fix-blank-name"}
	cases := []toolCase{
		{
			name: "with diff",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				c := output[tools.CommitDetail](t, res)
				if c.Message != "Trim NAME before greeting" || c.Author != "hubot" || c.Stats == nil || c.Stats.Additions != 5 || c.Stats.Deletions != 4 ||
					len(c.Files) != 1 || c.Files[0].Filename != "main.go" || !strings.Contains(c.Files[0].Patch, "+\tname := strings.TrimSpace") {
					t.Errorf("commit = %+v", c)
				}
			},
		},
		{
			name: "without diff, by tag",
			args: with(valid, "sha", "v1.0", "include_diff", false),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				c := output[tools.CommitDetail](t, res)
				if c.Message != "Add a getting-started guide" || len(c.Files) != 1 || c.Files[0].Status != "added" || c.Files[0].Patch != "" {
					t.Errorf("commit = %+v", c)
				}
			},
		},
		{name: "unknown commit", args: with(valid, "sha", "0123456789abcdef"), wantErr: "GitHub rejected the request as invalid: No commit found for SHA: 0123456789abcdef"},
		{name: "empty sha", args: with(valid, "sha", ""), wantErr: `validating "arguments"`},
	}
	runCases(t, "get_commit", append(cases, commonCases(valid, "sha")...))
}

func TestListBranches(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world"}
	cases := []toolCase{
		{
			name: "by name",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.BranchList](t, res)
				var names []string
				for _, b := range out.Branches {
					names = append(names, b.Name)
				}
				if strings.Join(names, " ") != "api-docs fix-blank-name main" || !out.Branches[2].Protected || len(out.Branches[0].SHA) != 40 {
					t.Errorf("branches = %+v", out.Branches)
				}
			},
		},
		{name: "unknown repository", args: with(valid, "repo", "nope"), wantErr: "the repository not found"},
	}
	runCases(t, "list_branches", append(cases, commonCases(valid, "repo")...))
}

func TestCompareRefs(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "base": "main", "head": "fix-blank-name"}
	cases := []toolCase{
		{
			name: "diverged branch",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				c := output[tools.Comparison](t, res)
				if c.Status != "diverged" || c.AheadBy != 1 || c.BehindBy != 2 || c.TotalCommits != 1 || len(c.MergeBase) != 40 ||
					len(c.Commits) != 1 || c.Commits[0].Message != "Trim NAME before greeting" ||
					len(c.Files) != 1 || c.Files[0].Filename != "main.go" || c.Files[0].Patch != "" {
					t.Errorf("comparison = %+v", c)
				}
			},
		},
		{
			name: "tag to branch, with patches",
			args: with(valid, "base", "v1.0", "head", "main", "include_diff", true),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				c := output[tools.Comparison](t, res)
				if c.Status != "ahead" || c.AheadBy != 2 || len(c.Files) != 2 || c.Files[0].Filename != "README.md" || !strings.HasPrefix(c.Files[1].Patch, "@@") {
					t.Errorf("comparison = %+v", c)
				}
			},
		},
		{
			name: "identical",
			args: with(valid, "head", "main"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if c := output[tools.Comparison](t, res); c.Status != "identical" || len(c.Commits) != 0 || !strings.Contains(text(res), `"files":[]`) {
					t.Errorf("comparison = %+v", c)
				}
			},
		},
		{name: "unknown ref", args: with(valid, "head", "nope"), wantErr: "the comparison main...nope not found"},
		{name: "range syntax", args: with(valid, "base", "main...x"), wantErr: "invalid arguments: base and head"},
	}
	runCases(t, "compare_refs", append(cases, commonCases(valid, "base")...))
}

func TestCreateBranch(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "branch": "shout"}
	cases := []toolCase{
		{
			name: "from the default branch",
			args: valid,
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				r := output[tools.Ref](t, res)
				main := output[tools.BranchList](t, e.call(t, "list_branches", map[string]any{"owner": "mona", "repo": "hello-world"})).Branches
				if r.Ref != "refs/heads/shout" || len(main) != 4 || r.SHA != main[2].SHA {
					t.Errorf("ref = %+v, branches %+v", r, main)
				}
			},
		},
		{
			name: "from another branch",
			args: with(valid, "from_branch", "fix-blank-name"),
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				c := output[tools.CommitDetail](t, e.call(t, "get_commit", map[string]any{"owner": "mona", "repo": "hello-world", "sha": "shout"}))
				if c.Message != "Trim NAME before greeting" {
					t.Errorf("shout is at %q", c.Message)
				}
			},
		},
		{name: "exists", args: with(valid, "branch", "main"), wantErr: "GitHub rejected the request as invalid: Reference already exists."},
		{name: "unknown source", args: with(valid, "from_branch", "nope"), wantErr: "branch nope not found"},
		{name: "no push access", args: valid, setup: asHubot, wantErr: "GitHub refused this (403)"},
		{name: "bad name", args: with(valid, "branch", "a..b"), wantErr: `invalid arguments: "a..b" is not a valid branch name`},
	}
	runCases(t, "create_branch", append(cases, commonCases(valid, "branch")...))
}

func TestCreateOrUpdateFile(t *testing.T) {
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "branch": "main", "path": "docs/faq.md", "content": "# FAQ\n", "message": "Add a FAQ"}
	cases := []toolCase{
		{
			name: "create, then update with the sha",
			args: valid,
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				f := output[tools.FileCommit](t, res)
				if !f.Created || f.Path != "docs/faq.md" || len(f.SHA) != 40 || len(f.CommitSHA) != 40 {
					t.Fatalf("created = %+v", f)
				}
				upd := output[tools.FileCommit](t, e.call(t, "create_or_update_file", with(valid, "content", "# FAQ\n\nNone yet.\n", "message", "Say so", "sha", f.SHA)))
				if upd.Created || upd.SHA == f.SHA {
					t.Errorf("updated = %+v", upd)
				}
				got := e.call(t, "get_file_contents", map[string]any{"owner": "mona", "repo": "hello-world", "path": "docs/faq.md"})
				if bodyText(t, got) != "# FAQ\n\nNone yet.\n" {
					t.Errorf("file now %q", bodyText(t, got))
				}
				stale := e.call(t, "create_or_update_file", with(valid, "sha", f.SHA))
				if got := errorText(t, stale); !strings.Contains(got, "docs/faq.md changed on main since the version with sha") {
					t.Errorf("stale update: %s", got)
				}
			},
		},
		{name: "existing file without sha", args: with(valid, "path", "README.md"), wantErr: "README.md already exists on main: pass its current blob sha"},
		{name: "unknown branch", args: with(valid, "branch", "nope"), wantErr: "branch nope not found"},
		{name: "no push access", args: valid, setup: asHubot, wantErr: "GitHub refused this (403)"},
		{name: "path escaping", args: with(valid, "path", "../x"), wantErr: "invalid arguments: path"},
	}
	runCases(t, "create_or_update_file", append(cases, commonCases(valid, "message")...))
}
