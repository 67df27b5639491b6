package tools

import (
	"context"
	"fmt"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// PullRequest is a pull request as the tools return it. The counts of
// commits and changed lines are only filled by get_pull_request (GitHub
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
	Comments       int      `json:"comments,omitempty" jsonschema:"Number of conversation comments (get_pull_request only)."`
	Commits        int      `json:"commits,omitempty" jsonschema:"Number of commits (get_pull_request only)."`
	Additions      int      `json:"additions,omitempty" jsonschema:"Lines added (get_pull_request only)."`
	Deletions      int      `json:"deletions,omitempty" jsonschema:"Lines deleted (get_pull_request only)."`
	ChangedFiles   int      `json:"changed_files,omitempty" jsonschema:"Number of files changed (get_pull_request only)."`
	MergeableState string   `json:"mergeable_state,omitempty" jsonschema:"GitHub's mergeability verdict, e.g. clean, dirty, blocked, unknown (get_pull_request only)."`
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
	pagination
}

// PullRequestList is one page of list_pull_requests.
type PullRequestList struct {
	PullRequests []PullRequest `json:"pull_requests" jsonschema:"Pull requests on this page."`
	NextPage     int           `json:"next_page" jsonschema:"Page to request next; 0 when this is the last page."`
}

func (ts *toolset) listPullRequests() serverTool {
	return newTool(&mcp.Tool{
		Name:  "list_pull_requests",
		Title: "List pull requests",
		Description: "List pull requests in a GitHub repository, filtered by state and branches. " +
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
		out := PullRequestList{PullRequests: make([]PullRequest, 0, len(prs)), NextPage: resp.NextPage}
		for _, p := range prs {
			out.PullRequests = append(out.PullRequests, toPullRequest(p))
		}
		return nil, out, nil
	})
}

type getPullRequestInput struct {
	repoRef
	PullNumber int `json:"pullNumber" jsonschema:"The number of the pull request."`
}

func (ts *toolset) getPullRequest() serverTool {
	return newTool(&mcp.Tool{
		Name:  "get_pull_request",
		Title: "Get pull request details",
		Description: "Get the details of one pull request in a GitHub repository: title, state, branches, author, " +
			"labels, merge status and size of the change.",
		Annotations:  readOnly("Get pull request details"),
		InputSchema:  inputSchema[getPullRequestInput](withRepo, withMinimum("pullNumber", 1)),
		OutputSchema: outputSchema[PullRequest](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in getPullRequestInput) (*mcp.CallToolResult, PullRequest, error) {
		if err := in.validate(); err != nil {
			return nil, PullRequest{}, err
		}
		if err := positive("pullNumber", in.PullNumber); err != nil {
			return nil, PullRequest{}, err
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, PullRequest{}, err
		}
		pr, _, err := gh.PullRequests.Get(ctx, in.Owner, in.Repo, in.PullNumber)
		if err != nil {
			return nil, PullRequest{}, ts.apiError(err, target{what: fmt.Sprintf("pull request #%d", in.PullNumber), repo: in.repoRef})
		}
		return nil, toPullRequest(pr), nil
	})
}
