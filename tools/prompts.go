package tools

import (
	"context"
	"fmt"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Prompts a person picks from a client's menu (spec: "Prompts"; Claude
// Code shows them as slash commands). Each one asks the model to use the
// tools served here, so a prompt is offered only when its tools are.
type prompt struct {
	name, title, description string
	args                     []*mcp.PromptArgument
	needs                    []string
	text                     func(a map[string]string) string
}

var repoArgs = []*mcp.PromptArgument{
	{Name: "owner", Title: "Owner", Description: "Repository owner: a user or organization login.", Required: true},
	{Name: "repo", Title: "Repository", Description: "Repository name.", Required: true},
}

var prompts = []prompt{
	{
		name: "review_pull_request", title: "Review a pull request",
		description: "Review a pull request: what it changes, whether CI passes, what reviewers said, and what to fix.",
		args:        append(slices.Clone(repoArgs), &mcp.PromptArgument{Name: "pullNumber", Title: "Pull request", Description: "Pull request number.", Required: true}),
		needs:       []string{"pull_request_read"},
		text: func(a map[string]string) string {
			return fmt.Sprintf("Review pull request #%s in %s/%s.\n\n"+
				"1. Read it with pull_request_read (method get), then its changes (get_files; get_diff for the full diff, continuing with start_line when it is truncated).\n"+
				"2. Check CI with get_status; for a failed check, read the job's log with get_job_logs.\n"+
				"3. Read the reviews (get_reviews) and review threads (get_review_comments) and the conversation (get_comments).\n\n"+
				"Then write a review: a summary of the change, correctness problems with file and line, missing tests, "+
				"open reviewer requests, and a verdict (approve, or request changes with a list). Do not post anything unless I ask.",
				a["pullNumber"], a["owner"], a["repo"])
		},
	},
	{
		name: "summarize_issue", title: "Summarise an issue thread",
		description: "Summarise an issue and its discussion: the problem, what was tried or decided, and what is still open.",
		args:        append(slices.Clone(repoArgs), &mcp.PromptArgument{Name: "issue_number", Title: "Issue", Description: "Issue number.", Required: true}),
		needs:       []string{"issue_read"},
		text: func(a map[string]string) string {
			return fmt.Sprintf("Summarise issue #%s in %s/%s.\n\n"+
				"Read it with issue_read (method get), then every page of its comments (method get_comments, following next_page), "+
				"and its sub-issues (get_sub_issues) if it has any.\n\n"+
				"Write: the problem in two sentences; what was tried, proposed or decided, with who said it; "+
				"the current state; and the open questions or next steps.",
				a["issue_number"], a["owner"], a["repo"])
		},
	},
	{
		name: "explain_failed_run", title: "Explain a failed workflow run",
		description: "Find why a GitHub Actions run failed and what to change.",
		args: append(slices.Clone(repoArgs),
			&mcp.PromptArgument{Name: "run_id", Title: "Run ID", Description: "Workflow run ID; the latest failed run when omitted."},
			&mcp.PromptArgument{Name: "branch", Title: "Branch", Description: "Branch to look at when run_id is omitted."}),
		needs: []string{"actions_list", "get_job_logs"},
		text: func(a map[string]string) string {
			find := fmt.Sprintf("Use run %s.", a["run_id"])
			if a["run_id"] == "" {
				find = "Find the latest failed run with actions_list (method list_workflow_runs, workflow_runs_filter status failure"
				if a["branch"] != "" {
					find += " and branch " + a["branch"]
				}
				find += ")."
			}
			return fmt.Sprintf("Explain why a GitHub Actions workflow run failed in %s/%s. %s\n\n"+
				"List its jobs (actions_list, method list_workflow_jobs), read the failed jobs' logs with get_job_logs "+
				"(run_id with failed_only true), and if needed the code the errors point to with get_file_contents at the run's head_sha.\n\n"+
				"Explain the root cause in plain words, quote the decisive log lines, and propose the fix.",
				a["owner"], a["repo"], find)
		},
	},
}

func (ts *toolset) addPrompts(s *mcp.Server, served []string) {
	for _, p := range prompts {
		if !containsAll(served, p.needs) {
			continue
		}
		s.AddPrompt(&mcp.Prompt{Name: p.name, Title: p.title, Description: p.description, Arguments: p.args},
			func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
				args := req.Params.Arguments
				for _, a := range p.args {
					if a.Required && args[a.Name] == "" {
						return nil, fmt.Errorf("prompt %s needs the argument %s", p.name, a.Name)
					}
				}
				for _, name := range []string{"owner", "repo"} {
					if !namePattern.MatchString(args[name]) {
						return nil, fmt.Errorf("prompt %s: %s %q is not a valid GitHub name", p.name, name, args[name])
					}
				}
				return &mcp.GetPromptResult{
					Description: p.description,
					Messages:    []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: p.text(args)}}},
				}, nil
			})
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
