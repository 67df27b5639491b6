package tools

import (
	"context"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// PullRequest is a pull request as the tools return it. The counts of
// commits and changed lines are only filled by pull_request_read get (GitHub
// leaves them out of listings).
type PullRequest struct {
	Number         int      `json:"number" jsonschema:"Pull request number within the repository."`
	Title          string   `json:"title" jsonschema:"Pull request title."`
	State          string   `json:"state" jsonschema:"open or closed (a merged pull request is closed with merged true)."`
	Draft          bool     `json:"draft" jsonschema:"Whether it is a draft."`
	Merged         bool     `json:"merged" jsonschema:"Whether it was merged."`
	Body           string   `json:"body,omitempty" jsonschema:"Description (Markdown), when there is any."`
	User           string   `json:"user" jsonschema:"Login of the author."`
	Head           string   `json:"head" jsonschema:"Source branch, as owner:branch."`
	Base           string   `json:"base" jsonschema:"Target branch."`
	HeadSHA        string   `json:"head_sha,omitempty" jsonschema:"Commit SHA at the tip of the source branch."`
	Labels         []string `json:"labels" jsonschema:"Label names."`
	HTMLURL        string   `json:"html_url" jsonschema:"Pull request page on GitHub."`
	CreatedAt      string   `json:"created_at" jsonschema:"Creation time (RFC 3339, UTC)."`
	UpdatedAt      string   `json:"updated_at" jsonschema:"Last update (RFC 3339, UTC)."`
	ClosedAt       string   `json:"closed_at,omitempty" jsonschema:"When it was closed (RFC 3339, UTC), if closed."`
	MergedAt       string   `json:"merged_at,omitempty" jsonschema:"When it was merged (RFC 3339, UTC), if merged."`
	Comments       int      `json:"comments,omitempty" jsonschema:"Number of conversation comments (pull_request_read get only)."`
	Commits        int      `json:"commits,omitempty" jsonschema:"Number of commits (pull_request_read get only)."`
	Additions      int      `json:"additions,omitempty" jsonschema:"Lines added (pull_request_read get only)."`
	Deletions      int      `json:"deletions,omitempty" jsonschema:"Lines deleted (pull_request_read get only)."`
	ChangedFiles   int      `json:"changed_files,omitempty" jsonschema:"Number of files changed (pull_request_read get only)."`
	MergeableState string   `json:"mergeable_state,omitempty" jsonschema:"GitHub's mergeability verdict, e.g. clean, dirty, blocked, unknown (pull_request_read get only)."`
}

func toPullRequest(p *github.PullRequest) PullRequest {
	return PullRequest{
		Number:         p.GetNumber(),
		Title:          p.GetTitle(),
		State:          p.GetState(),
		Draft:          p.GetDraft(),
		Merged:         p.GetMerged() || p.MergedAt != nil,
		Body:           p.GetBody(),
		User:           p.GetUser().GetLogin(),
		Head:           p.GetHead().GetLabel(),
		Base:           p.GetBase().GetRef(),
		HeadSHA:        p.GetHead().GetSHA(),
		Labels:         labelNames(p.Labels),
		HTMLURL:        p.GetHTMLURL(),
		CreatedAt:      timestamp(p.CreatedAt),
		UpdatedAt:      timestamp(p.UpdatedAt),
		ClosedAt:       timestamp(p.ClosedAt),
		MergedAt:       timestamp(p.MergedAt),
		Comments:       p.GetComments(),
		Commits:        p.GetCommits(),
		Additions:      p.GetAdditions(),
		Deletions:      p.GetDeletions(),
		ChangedFiles:   p.GetChangedFiles(),
		MergeableState: p.GetMergeableState(),
	}
}

type listPullRequestsInput struct {
	repoRef
	State     string `json:"state,omitempty" jsonschema:"Filter by state (default open)."`
	Head      string `json:"head,omitempty" jsonschema:"Only pull requests from this source branch, as user:branch or org:branch."`
	Base      string `json:"base,omitempty" jsonschema:"Only pull requests into this target branch."`
	Sort      string `json:"sort,omitempty" jsonschema:"Sort by this field (default created)."`
	Direction string `json:"direction,omitempty" jsonschema:"Sort direction (default desc when sorting by created, asc otherwise)."`
	minimal
	pagination
}

// PullRequestList is one page of list_pull_requests.
type PullRequestList struct {
	PullRequests []PullRequest `json:"pull_requests" jsonschema:"Pull requests on this page."`
	pageEnd
}

func (ts *toolset) listPullRequests() serverTool {
	return newTool(ts, ToolsetPullRequests, &mcp.Tool{
		Name:  "list_pull_requests",
		Title: "List pull requests",
		Description: "List pull requests in a GitHub repository, filtered by state and branches. " +
			"Bodies are shortened to 2,000 characters (pull_request_read has them whole); minimal_output leaves them out. " +
			"Results are paged: pass next_page as page to continue.",
		Annotations: readOnly("List pull requests"),
		InputSchema: inputSchema[listPullRequestsInput](
			withRepo,
			withEnum("state", "open", "open", "closed", "all"),
			withEnum("sort", "", "created", "updated", "popularity", "long-running"),
			withEnum("direction", "", "asc", "desc"),
			withPagination,
		),
		OutputSchema: outputSchema[PullRequestList](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in listPullRequestsInput) (*mcp.CallToolResult, PullRequestList, error) {
		var zero PullRequestList
		if err := in.validate(); err != nil {
			return nil, zero, err
		}
		if err := oneOf("state", in.State, "open", "closed", "all"); err != nil {
			return nil, zero, err
		}
		if err := oneOf("sort", in.Sort, "created", "updated", "popularity", "long-running"); err != nil {
			return nil, zero, err
		}
		if err := oneOf("direction", in.Direction, "asc", "desc"); err != nil {
			return nil, zero, err
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, zero, err
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, zero, err
		}
		prs, resp, err := gh.PullRequests.List(ctx, in.Owner, in.Repo, &github.PullRequestListOptions{
			State:       in.State,
			Head:        in.Head,
			Base:        in.Base,
			Sort:        in.Sort,
			Direction:   in.Direction,
			ListOptions: lo,
		})
		if err != nil {
			return nil, zero, ts.apiError(err, target{what: "the repository", repo: in.repoRef})
		}
		out := PullRequestList{PullRequests: make([]PullRequest, 0, len(prs)), pageEnd: pageEnd{NextPage: resp.NextPage}}
		for _, p := range prs {
			pr := toPullRequest(p)
			if in.MinimalOutput {
				pr.Body = ""
			} else {
				pr.Body, _ = clip(pr.Body, maxListBody, "shortened; pull_request_read has the full text")
			}
			out.PullRequests = append(out.PullRequests, pr)
		}
		if n := fitItems(out.PullRequests, ts.budgetFor(metaReserve)); n < len(out.PullRequests) {
			out.Truncated, out.Note = true, cutNote(n, len(out.PullRequests), lo.PerPage)
			out.PullRequests = out.PullRequests[:n]
		}
		return nil, out, nil
	})
}
