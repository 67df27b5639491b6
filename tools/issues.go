package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Issue is an issue as the tools return it.
type Issue struct {
	Number        int      `json:"number" jsonschema:"Issue number within the repository."`
	Title         string   `json:"title" jsonschema:"Issue title."`
	State         string   `json:"state" jsonschema:"open or closed."`
	StateReason   string   `json:"state_reason,omitempty" jsonschema:"Why it was closed or reopened: completed, not_planned, duplicate or reopened."`
	Body          string   `json:"body,omitempty" jsonschema:"Issue text (Markdown), when there is any."`
	User          string   `json:"user" jsonschema:"Login of the author."`
	Labels        []string `json:"labels" jsonschema:"Label names."`
	Assignees     []string `json:"assignees" jsonschema:"Logins of the assignees."`
	Comments      int      `json:"comments" jsonschema:"Number of comments."`
	HTMLURL       string   `json:"html_url" jsonschema:"Issue page on GitHub."`
	CreatedAt     string   `json:"created_at" jsonschema:"Creation time (RFC 3339, UTC)."`
	UpdatedAt     string   `json:"updated_at" jsonschema:"Last update (RFC 3339, UTC)."`
	ClosedAt      string   `json:"closed_at,omitempty" jsonschema:"When it was closed (RFC 3339, UTC), if closed."`
	IsPullRequest bool     `json:"is_pull_request,omitempty" jsonschema:"True when this number is a pull request; use pull_request_read for its details."`
}

func toIssue(i *github.Issue) Issue {
	return Issue{
		Number:        i.GetNumber(),
		Title:         i.GetTitle(),
		State:         i.GetState(),
		StateReason:   i.GetStateReason(),
		Body:          i.GetBody(),
		User:          i.GetUser().GetLogin(),
		Labels:        labelNames(i.Labels),
		Assignees:     logins(i.Assignees),
		Comments:      i.GetComments(),
		HTMLURL:       i.GetHTMLURL(),
		CreatedAt:     timestamp(i.CreatedAt),
		UpdatedAt:     timestamp(i.UpdatedAt),
		ClosedAt:      timestamp(i.ClosedAt),
		IsPullRequest: i.IsPullRequest(),
	}
}

type listIssuesInput struct {
	repoRef
	State     string   `json:"state,omitempty" jsonschema:"Filter by state (default open)."`
	Labels    []string `json:"labels,omitempty" jsonschema:"Only issues that carry all of these label names."`
	Sort      string   `json:"sort,omitempty" jsonschema:"Sort by this field (default created)."`
	Direction string   `json:"direction,omitempty" jsonschema:"Sort direction (default desc)."`
	Since     string   `json:"since,omitempty" jsonschema:"Only issues updated at or after this time (RFC 3339, e.g. 2026-01-31T00:00:00Z)."`
	minimal
	pagination
}

// IssueList is one page of list_issues.
type IssueList struct {
	Issues []Issue `json:"issues" jsonschema:"Issues on this page (pull requests are left out)."`
	pageEnd
}

func (ts *toolset) listIssues() serverTool {
	return newTool(ts, ToolsetIssues, &mcp.Tool{
		Name:  "list_issues",
		Title: "List issues",
		Description: "List issues in a GitHub repository, filtered by state, labels and update time. " +
			"Pull requests are left out (use list_pull_requests), so a page may hold fewer than perPage issues. " +
			"Bodies are shortened to 2,000 characters (issue_read has them whole); minimal_output leaves them out. " +
			"Results are paged: pass next_page as page to continue.",
		Annotations: readOnly("List issues"),
		InputSchema: inputSchema[listIssuesInput](
			withRepo,
			withEnum("state", "open", "open", "closed", "all"),
			withEnum("sort", "", "created", "updated", "comments"),
			withEnum("direction", "", "asc", "desc"),
			withPagination,
		),
		OutputSchema: outputSchema[IssueList](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in listIssuesInput) (*mcp.CallToolResult, IssueList, error) {
		var zero IssueList
		if err := in.validate(); err != nil {
			return nil, zero, err
		}
		if err := oneOf("state", in.State, "open", "closed", "all"); err != nil {
			return nil, zero, err
		}
		if err := oneOf("sort", in.Sort, "created", "updated", "comments"); err != nil {
			return nil, zero, err
		}
		if err := oneOf("direction", in.Direction, "asc", "desc"); err != nil {
			return nil, zero, err
		}
		var since time.Time
		if in.Since != "" {
			var err error
			if since, err = time.Parse(time.RFC3339, in.Since); err != nil {
				return nil, zero, invalidInput("since %q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", in.Since)
			}
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, zero, err
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, zero, err
		}
		issues, resp, err := gh.Issues.ListByRepo(ctx, in.Owner, in.Repo, &github.IssueListByRepoOptions{
			State:       in.State,
			Labels:      in.Labels,
			Sort:        in.Sort,
			Direction:   in.Direction,
			Since:       since,
			ListOptions: lo,
		})
		if err != nil {
			return nil, zero, ts.apiError(err, target{what: "the repository", repo: in.repoRef})
		}
		out := IssueList{Issues: make([]Issue, 0, len(issues)), pageEnd: pageEnd{NextPage: resp.NextPage}}
		for _, i := range issues {
			if i.IsPullRequest() {
				continue
			}
			out.Issues = append(out.Issues, in.listItem(toIssue(i)))
		}
		if n := fitItems(out.Issues, ts.budgetFor(metaReserve)); n < len(out.Issues) {
			out.Truncated, out.Note = true, cutNote(n, len(out.Issues), lo.PerPage)
			out.Issues = out.Issues[:n]
		}
		return nil, out, nil
	})
}

type addIssueCommentInput struct {
	repoRef
	IssueNumber int    `json:"issue_number" jsonschema:"The number of the issue or pull request to comment on."`
	Body        string `json:"body" jsonschema:"Comment text (Markdown)."`
}

// Comment is an issue or pull request comment.
type Comment struct {
	ID        int64  `json:"id" jsonschema:"Comment ID."`
	Body      string `json:"body" jsonschema:"Comment text (Markdown)."`
	User      string `json:"user" jsonschema:"Login of the author."`
	HTMLURL   string `json:"html_url" jsonschema:"Comment link on GitHub."`
	CreatedAt string `json:"created_at" jsonschema:"Creation time (RFC 3339, UTC)."`
}

func (ts *toolset) addIssueComment() serverTool {
	return newTool(ts, ToolsetIssues, &mcp.Tool{
		Name:  "add_issue_comment",
		Title: "Add comment to issue",
		Description: "Add a comment to an issue or pull request in a GitHub repository, as the signed-in user. " +
			"Pull requests share issue numbers, so this also comments on the conversation of a pull request.",
		Annotations:  additive("Add comment to issue"),
		InputSchema:  inputSchema[addIssueCommentInput](withRepo, withMinimum("issue_number", 1), withNonEmpty("body")),
		OutputSchema: outputSchema[Comment](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in addIssueCommentInput) (*mcp.CallToolResult, Comment, error) {
		if err := in.validate(); err != nil {
			return nil, Comment{}, err
		}
		if err := positive("issue_number", in.IssueNumber); err != nil {
			return nil, Comment{}, err
		}
		if strings.TrimSpace(in.Body) == "" {
			return nil, Comment{}, invalidInput("body must not be empty")
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, Comment{}, err
		}
		c, _, err := gh.Issues.CreateComment(ctx, in.Owner, in.Repo, in.IssueNumber, github.IssueCommentRequest{Body: in.Body})
		if err != nil {
			return nil, Comment{}, ts.apiError(err, target{what: fmt.Sprintf("issue #%d", in.IssueNumber), repo: in.repoRef})
		}
		return nil, toComment(c), nil
	})
}

func toComment(c *github.IssueComment) Comment {
	return Comment{
		ID:        c.GetID(),
		Body:      c.GetBody(),
		User:      c.GetUser().GetLogin(),
		HTMLURL:   c.GetHTMLURL(),
		CreatedAt: timestamp(c.CreatedAt),
	}
}

// minimal is the minimal-output switch of the list and search tools.
type minimal struct {
	MinimalOutput bool `json:"minimal_output,omitempty" jsonschema:"Leave out bodies and other long text, to list more items within the result size limit."`
}

// listItem shortens an issue for a list: the body is cut to maxListBody
// characters, or left out with minimal_output.
func (m minimal) listItem(i Issue) Issue {
	if m.MinimalOutput {
		i.Body = ""
	} else {
		i.Body, _ = clip(i.Body, maxListBody, "shortened; issue_read has the full text")
	}
	return i
}
