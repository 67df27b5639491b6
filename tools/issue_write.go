package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type issueWriteInput struct {
	Method string `json:"method" jsonschema:"The write operation: create (a new issue) or update (an existing one, by issue_number)."`
	repoRef
	IssueNumber int      `json:"issue_number,omitempty" jsonschema:"Issue number to update (method update)."`
	Title       string   `json:"title,omitempty" jsonschema:"Issue title (required to create)."`
	Body        string   `json:"body,omitempty" jsonschema:"Issue body; Markdown supported."`
	Labels      []string `json:"labels,omitempty" jsonschema:"Label names; on update they replace the issue's labels. GitHub drops them silently unless you have push access."`
	Assignees   []string `json:"assignees,omitempty" jsonschema:"Logins to assign; on update they replace the assignees. GitHub drops them silently unless you have push access."`
	State       string   `json:"state,omitempty" jsonschema:"New state (method update): open or closed."`
	StateReason string   `json:"state_reason,omitempty" jsonschema:"Why the state changes: completed, not_planned or duplicate when closing. Ignored unless state is set."`
}

var issueWriteMethods = []string{"create", "update"}

func (ts *toolset) issueWrite() serverTool {
	return newTool(ts, ToolsetIssues, &mcp.Tool{
		Name:  "issue_write",
		Title: "Create or update issue",
		Description: "Create a new issue or update an existing one in a GitHub repository, as the signed-in user: " +
			"method create (title required) or update (issue_number required; change the title, body, labels, assignees, " +
			"or close it with state closed and a state_reason, or reopen it with state open).",
		Annotations: additive("Create or update issue"),
		InputSchema: inputSchema[issueWriteInput](withRepo, withEnum("method", "", issueWriteMethods...),
			withMinimum("issue_number", 1), withEnum("state", "", "open", "closed"),
			withEnum("state_reason", "", "completed", "not_planned", "duplicate")),
		OutputSchema: outputSchema[Issue](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in issueWriteInput) (*mcp.CallToolResult, Issue, error) {
		if err := in.validate(); err != nil {
			return nil, Issue{}, err
		}
		switch in.Method {
		case "create":
			if strings.TrimSpace(in.Title) == "" {
				return nil, Issue{}, invalidInput("title must not be empty to create an issue")
			}
			if in.State != "" || in.StateReason != "" || in.IssueNumber != 0 {
				return nil, Issue{}, invalidInput("state, state_reason and issue_number are for method update")
			}
		case "update":
			if err := positive("issue_number", in.IssueNumber); err != nil {
				return nil, Issue{}, invalidInput("issue_number is required to update an issue")
			}
			if in.StateReason != "" && in.State == "" {
				return nil, Issue{}, invalidInput("state_reason needs state (closed, to close the issue)")
			}
			if in.Title == "" && in.Body == "" && in.Labels == nil && in.Assignees == nil && in.State == "" {
				return nil, Issue{}, invalidInput("nothing to update: set title, body, labels, assignees or state")
			}
			if in.State == "open" && in.StateReason != "" {
				return nil, Issue{}, invalidInput("state_reason applies to closing; leave it out to reopen")
			}
		default:
			return nil, Issue{}, invalidInput("method must be create or update")
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, Issue{}, err
		}
		var issue *github.Issue
		if in.Method == "create" {
			body := github.CreateIssueRequest{Title: in.Title, Labels: in.Labels, Assignees: in.Assignees}
			if in.Body != "" {
				body.Body = &in.Body
			}
			issue, _, err = gh.Issues.Create(ctx, in.Owner, in.Repo, body)
			if err != nil {
				return nil, Issue{}, ts.apiError(err, target{what: "the repository", repo: in.repoRef})
			}
		} else {
			body := github.UpdateIssueRequest{Labels: in.Labels, Assignees: in.Assignees}
			for _, f := range []struct {
				dst **string
				v   string
			}{{&body.Title, in.Title}, {&body.Body, in.Body}, {&body.State, in.State}, {&body.StateReason, in.StateReason}} {
				if f.v != "" {
					*f.dst = new(f.v)
				}
			}
			issue, _, err = gh.Issues.Update(ctx, in.Owner, in.Repo, in.IssueNumber, body)
			if err != nil {
				return nil, Issue{}, ts.apiError(err, target{what: fmt.Sprintf("issue #%d", in.IssueNumber), repo: in.repoRef})
			}
		}
		i := toIssue(issue)
		i.Body, _ = clipJSON(i.Body, ts.budgetFor(metaReserve), "shortened; issue_read has the full text")
		return nil, i, nil
	})
}
