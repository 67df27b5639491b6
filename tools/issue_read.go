package tools

import (
	"context"
	"fmt"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Label is a label as issue_read get_labels returns it.
type Label struct {
	Name        string `json:"name" jsonschema:"Label name."`
	Color       string `json:"color,omitempty" jsonschema:"Hex colour without #."`
	Description string `json:"description,omitempty" jsonschema:"Label description, when set."`
}

type issueReadInput struct {
	Method string `json:"method" jsonschema:"The read operation: get (the issue), get_comments (its comments, oldest first), get_sub_issues (its sub-issues), get_parent (the issue it is a sub-issue of, if any), get_labels (its labels)."`
	repoRef
	IssueNumber int `json:"issue_number" jsonschema:"The number of the issue."`
	pagination
}

// IssueRead is what issue_read returns: the part named by method.
type IssueRead struct {
	Method    string    `json:"method" jsonschema:"The method that produced this result."`
	Issue     *Issue    `json:"issue,omitempty" jsonschema:"The issue (method get)."`
	Comments  []Comment `json:"comments,omitzero" jsonschema:"Comments on this page, oldest first (method get_comments)."`
	SubIssues []Issue   `json:"sub_issues,omitzero" jsonschema:"Sub-issues on this page (method get_sub_issues)."`
	Parent    *Issue    `json:"parent,omitempty" jsonschema:"The parent issue (method get_parent); absent when the issue is no sub-issue (see note)."`
	Labels    []Label   `json:"labels,omitzero" jsonschema:"Labels of the issue (method get_labels)."`
	NextPage  int       `json:"next_page,omitempty" jsonschema:"Page to request next; absent on the last page."`
	Truncated bool      `json:"truncated,omitempty" jsonschema:"True when something was shortened or left out to fit the result size limit (see note)."`
	Note      string    `json:"note,omitempty" jsonschema:"What was left out and how to get it."`
}

var issueReadMethods = []string{"get", "get_comments", "get_sub_issues", "get_parent", "get_labels"}

func (ts *toolset) issueRead() serverTool {
	return newTool(ts, ToolsetIssues, &mcp.Tool{
		Name:  "issue_read",
		Title: "Get issue details",
		Description: "Get information about a specific issue in a GitHub repository: " +
			"method get (title, state, text, labels, counts), get_comments (the conversation, paged), " +
			"get_sub_issues (child issues, paged), get_parent (the issue this one is a sub-issue of) or get_labels.",
		Annotations: readOnly("Get issue details"),
		InputSchema: inputSchema[issueReadInput](withRepo, withEnum("method", "", issueReadMethods...),
			withMinimum("issue_number", 1), withPagination),
		OutputSchema: outputSchema[IssueRead](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in issueReadInput) (*mcp.CallToolResult, IssueRead, error) {
		out := IssueRead{Method: in.Method}
		if err := in.validate(); err != nil {
			return nil, out, err
		}
		if err := oneOf("method", in.Method, issueReadMethods...); err != nil || in.Method == "" {
			return nil, out, invalidInput("method must be one of get, get_comments, get_sub_issues, get_parent, get_labels")
		}
		if err := positive("issue_number", in.IssueNumber); err != nil {
			return nil, out, err
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, out, err
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, out, err
		}
		t := target{what: fmt.Sprintf("issue #%d", in.IssueNumber), repo: in.repoRef}
		budget := ts.budgetFor(metaReserve)
		switch in.Method {
		case "get":
			issue, _, err := gh.Issues.Get(ctx, in.Owner, in.Repo, in.IssueNumber)
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			i := toIssue(issue)
			if i.Body, out.Truncated = clipJSON(i.Body, budget, "the rest of the body exceeds this server's result size limit"); out.Truncated {
				out.Note = "the body was cut to fit the result size limit"
			}
			out.Issue = &i
		case "get_comments":
			comments, resp, err := gh.Issues.ListComments(ctx, in.Owner, in.Repo, in.IssueNumber, &github.IssueListCommentsOptions{
				Sort: new("created"), Direction: new("asc"), ListOptions: lo,
			})
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			out.Comments, out.NextPage = make([]Comment, 0, len(comments)), resp.NextPage
			for _, c := range comments {
				out.Comments = append(out.Comments, toComment(c))
			}
			if n := fitItems(out.Comments, budget); n < len(out.Comments) {
				if n == 0 { // one comment alone is over the budget: show it cut
					out.Comments[0].Body, _ = clipJSON(out.Comments[0].Body, budget-500, "comment cut at the result size limit")
					n = 1
				}
				out.Truncated, out.Note = true, cutNote(n, len(out.Comments), lo.PerPage)
				out.Comments = out.Comments[:n]
			}
		case "get_sub_issues":
			subs, resp, err := gh.SubIssue.ListByIssue(ctx, in.Owner, in.Repo, int64(in.IssueNumber), &lo)
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			out.SubIssues, out.NextPage = make([]Issue, 0, len(subs)), resp.NextPage
			for _, si := range subs {
				out.SubIssues = append(out.SubIssues, minimal{}.listItem(toIssue((*github.Issue)(si))))
			}
			if n := fitItems(out.SubIssues, budget); n < len(out.SubIssues) {
				out.Truncated, out.Note = true, cutNote(n, len(out.SubIssues), lo.PerPage)
				out.SubIssues = out.SubIssues[:n]
			}
		case "get_parent":
			parent, _, err := gh.SubIssue.GetParentIssue(ctx, in.Owner, in.Repo, int64(in.IssueNumber))
			if isNotFound(err) {
				// GitHub answers 404 both for an issue without a parent
				// and for one that does not exist (or is not visible).
				if _, _, err := gh.Issues.Get(ctx, in.Owner, in.Repo, in.IssueNumber); err != nil {
					return nil, out, ts.apiError(err, t)
				}
				out.Note = fmt.Sprintf("issue #%d is not a sub-issue of another issue", in.IssueNumber)
				return nil, out, nil
			}
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			p := minimal{}.listItem(toIssue(parent))
			out.Parent = &p
		case "get_labels":
			labels, resp, err := gh.Issues.ListLabelsByIssue(ctx, in.Owner, in.Repo, in.IssueNumber, &lo)
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			out.Labels, out.NextPage = make([]Label, 0, len(labels)), resp.NextPage
			for _, l := range labels {
				out.Labels = append(out.Labels, Label{Name: l.GetName(), Color: l.GetColor(), Description: l.GetDescription()})
			}
		}
		return nil, out, nil
	})
}
