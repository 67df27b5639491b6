package tools

import (
	"context"
	"fmt"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ChangedFile is one file of a pull request, commit or comparison.
type ChangedFile struct {
	Filename  string `json:"filename" jsonschema:"Path of the file."`
	Status    string `json:"status" jsonschema:"added, removed, modified, renamed, copied, changed or unchanged."`
	Additions int    `json:"additions" jsonschema:"Lines added."`
	Deletions int    `json:"deletions" jsonschema:"Lines deleted."`
	Patch     string `json:"patch,omitempty" jsonschema:"The file's unified diff hunks, when GitHub sends them (not for binary or very large changes)."`
}

func toChangedFiles(files []*github.CommitFile, withPatch bool) []ChangedFile {
	out := make([]ChangedFile, 0, len(files))
	for _, f := range files {
		cf := ChangedFile{Filename: f.GetFilename(), Status: f.GetStatus(), Additions: f.GetAdditions(), Deletions: f.GetDeletions()}
		if withPatch {
			cf.Patch = f.GetPatch()
		}
		out = append(out, cf)
	}
	return out
}

// fitFiles keeps the files that fit in budget; a single file whose patch
// is over the budget is kept with its patch cut.
func fitFiles(files []ChangedFile, budget int) ([]ChangedFile, bool) {
	n := fitItems(files, budget)
	if n == len(files) {
		return files, false
	}
	if n == 0 {
		files[0].Patch, _ = clipJSON(files[0].Patch, budget-500, "patch cut at the result size limit; get_diff with start_line reads all of it")
		n = 1
	}
	return files[:n], true
}

// Review is a pull request review.
type Review struct {
	ID          int64  `json:"id" jsonschema:"Review ID."`
	User        string `json:"user" jsonschema:"Login of the reviewer."`
	State       string `json:"state" jsonschema:"APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING."`
	Body        string `json:"body,omitempty" jsonschema:"Review summary (Markdown), when there is any."`
	CommitID    string `json:"commit_id,omitempty" jsonschema:"Commit the review was made on."`
	SubmittedAt string `json:"submitted_at,omitempty" jsonschema:"When it was submitted (RFC 3339, UTC)."`
	HTMLURL     string `json:"html_url" jsonschema:"Review link on GitHub."`
}

// ReviewComment is a comment on a line of a pull request's diff.
type ReviewComment struct {
	ID          int64  `json:"id" jsonschema:"Comment ID."`
	ReviewID    int64  `json:"review_id,omitempty" jsonschema:"Review the comment belongs to."`
	InReplyToID int64  `json:"in_reply_to_id,omitempty" jsonschema:"The comment this one answers, in a thread."`
	User        string `json:"user" jsonschema:"Login of the author."`
	Body        string `json:"body" jsonschema:"Comment text (Markdown)."`
	Path        string `json:"path" jsonschema:"File the comment is on."`
	Line        int    `json:"line,omitempty" jsonschema:"Line of the file the comment is on."`
	DiffHunk    string `json:"diff_hunk,omitempty" jsonschema:"The diff around the line (shortened)."`
	CreatedAt   string `json:"created_at" jsonschema:"Creation time (RFC 3339, UTC)."`
	HTMLURL     string `json:"html_url" jsonschema:"Comment link on GitHub."`
}

// CommitStatus is the combined CI verdict of a commit: commit statuses
// and check runs.
type CommitStatus struct {
	SHA       string        `json:"sha" jsonschema:"The commit."`
	State     string        `json:"state" jsonschema:"Combined state of the commit statuses: success, pending or failure (pending also when there are none)."`
	Statuses  []StatusCheck `json:"statuses" jsonschema:"Commit statuses from other services."`
	CheckRuns []CheckRun    `json:"check_runs" jsonschema:"Check runs, such as GitHub Actions jobs."`
}

// StatusCheck is one commit status.
type StatusCheck struct {
	Context     string `json:"context" jsonschema:"What reported it."`
	State       string `json:"state" jsonschema:"success, pending, failure or error."`
	Description string `json:"description,omitempty" jsonschema:"Its description."`
	TargetURL   string `json:"target_url,omitempty" jsonschema:"Where to see details."`
}

// CheckRun is one check run (for GitHub Actions, one job).
type CheckRun struct {
	ID         int64  `json:"id" jsonschema:"Check run ID; for GitHub Actions also the job ID that get_job_logs takes."`
	Name       string `json:"name" jsonschema:"Check name."`
	Status     string `json:"status" jsonschema:"queued, in_progress or completed."`
	Conclusion string `json:"conclusion,omitempty" jsonschema:"success, failure, neutral, cancelled, skipped, timed_out or action_required, once completed."`
	App        string `json:"app,omitempty" jsonschema:"The app that ran it, e.g. github-actions."`
	DetailsURL string `json:"details_url,omitempty" jsonschema:"Where to see details."`
}

type pullRequestReadInput struct {
	Method string `json:"method" jsonschema:"What to read: get (details), get_diff (unified diff, by lines), get_files (changed files with patches, paged), get_status (CI: commit statuses and check runs of the head commit), get_check_runs (the check runs only), get_commits (its commits, oldest first, paged), get_reviews, get_review_comments (comments on diff lines, paged), get_comments (the conversation, paged)."`
	repoRef
	PullNumber int `json:"pullNumber" jsonschema:"Pull request number."`
	pagination
	lineRange
}

// PullRequestRead is what pull_request_read returns: the part named by
// method. For get_diff, diff describes the lines returned and the diff
// itself follows as a second text block.
type PullRequestRead struct {
	Method         string          `json:"method" jsonschema:"The method that produced this result."`
	PullRequest    *PullRequest    `json:"pull_request,omitempty" jsonschema:"The pull request (method get)."`
	Diff           *TextWindow     `json:"diff,omitempty" jsonschema:"Which lines of the diff follow in the next text block (method get_diff)."`
	Files          []ChangedFile   `json:"files,omitzero" jsonschema:"Changed files on this page (method get_files)."`
	Commits        []Commit        `json:"commits,omitzero" jsonschema:"Commits on this page, oldest first (method get_commits)."`
	Status         *CommitStatus   `json:"status,omitempty" jsonschema:"CI state of the head commit (method get_status)."`
	CheckRuns      []CheckRun      `json:"check_runs,omitzero" jsonschema:"Check runs of the head commit (method get_check_runs)."`
	Reviews        []Review        `json:"reviews,omitzero" jsonschema:"Reviews on this page (method get_reviews)."`
	ReviewComments []ReviewComment `json:"review_comments,omitzero" jsonschema:"Review comments on this page, oldest first (method get_review_comments)."`
	Comments       []Comment       `json:"comments,omitzero" jsonschema:"Conversation comments on this page, oldest first (method get_comments)."`
	NextPage       int             `json:"next_page,omitempty" jsonschema:"Page to request next; absent on the last page."`
	Truncated      bool            `json:"truncated,omitempty" jsonschema:"True when something was shortened or left out to fit the result size limit (see note)."`
	Note           string          `json:"note,omitempty" jsonschema:"What was left out and how to get it."`
}

var pullRequestReadMethods = []string{"get", "get_diff", "get_files", "get_status", "get_check_runs", "get_commits", "get_reviews", "get_review_comments", "get_comments"}

func (ts *toolset) pullRequestRead() serverTool {
	return newTool(ts, ToolsetPullRequests, &mcp.Tool{
		Name:  "pull_request_read",
		Title: "Get details for a single pull request",
		Description: "Get information on a specific pull request in a GitHub repository, by method: get, get_diff " +
			"(the unified diff; long diffs come in windows of lines, continue with start_line), get_files, get_status " +
			"(CI checks of the head commit), get_check_runs, get_commits, get_reviews, get_review_comments, get_comments.",
		Annotations: readOnly("Get details for a single pull request"),
		InputSchema: inputSchema[pullRequestReadInput](withRepo, withEnum("method", "", pullRequestReadMethods...),
			withMinimum("pullNumber", 1), withPagination, withLineRange),
		OutputSchema: outputSchema[PullRequestRead](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in pullRequestReadInput) (*mcp.CallToolResult, PullRequestRead, error) {
		out := PullRequestRead{Method: in.Method}
		if err := in.repoRef.validate(); err != nil {
			return nil, out, err
		}
		if err := oneOf("method", in.Method, pullRequestReadMethods...); err != nil || in.Method == "" {
			return nil, out, invalidInput("method must be one of %v", pullRequestReadMethods)
		}
		if err := positive("pullNumber", in.PullNumber); err != nil {
			return nil, out, err
		}
		if err := in.lineRange.validate(); err != nil {
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
		t := target{what: fmt.Sprintf("pull request #%d", in.PullNumber), repo: in.repoRef}
		budget := ts.budgetFor(metaReserve)
		switch in.Method {
		case "get":
			pr, _, err := gh.PullRequests.Get(ctx, in.Owner, in.Repo, in.PullNumber)
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			p := toPullRequest(pr)
			if p.Body, out.Truncated = clipJSON(p.Body, budget, "the rest of the description exceeds the result size limit"); out.Truncated {
				out.Note = "the description was cut to fit the result size limit"
			}
			out.PullRequest = &p
		case "get_diff":
			diff, _, err := gh.PullRequests.GetRaw(ctx, in.Owner, in.Repo, in.PullNumber, github.RawOptions{Type: github.Diff})
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			text, w := window(diff, in.lineRange, budget)
			out.Diff = &w
			res, err := textResult(out, text)
			return res, out, err
		case "get_files":
			files, resp, err := gh.PullRequests.ListFiles(ctx, in.Owner, in.Repo, in.PullNumber, &lo)
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			out.NextPage = resp.NextPage
			all := toChangedFiles(files, true)
			if out.Files, out.Truncated = fitFiles(all, budget); out.Truncated {
				out.Note = cutNote(len(out.Files), len(all), lo.PerPage)
			}
		case "get_status", "get_check_runs":
			pr, _, err := gh.PullRequests.Get(ctx, in.Owner, in.Repo, in.PullNumber)
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			st, err := ts.commitStatus(ctx, gh, in.repoRef, pr.GetHead().GetSHA(), in.Method == "get_status")
			if err != nil {
				return nil, out, err
			}
			if in.Method == "get_status" {
				out.Status = st
			} else {
				out.CheckRuns = st.CheckRuns
			}
		case "get_commits":
			commits, resp, err := gh.PullRequests.ListCommits(ctx, in.Owner, in.Repo, in.PullNumber, &lo)
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			out.Commits, out.NextPage = make([]Commit, 0, len(commits)), resp.NextPage
			for _, c := range commits {
				out.Commits = append(out.Commits, toCommit(c, false))
			}
			if n := fitItems(out.Commits, budget); n < len(out.Commits) {
				out.Truncated, out.Note = true, cutNote(n, len(out.Commits), lo.PerPage)
				out.Commits = out.Commits[:n]
			}
		case "get_reviews":
			reviews, resp, err := gh.PullRequests.ListReviews(ctx, in.Owner, in.Repo, in.PullNumber, &lo)
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			out.Reviews, out.NextPage = make([]Review, 0, len(reviews)), resp.NextPage
			for _, r := range reviews {
				out.Reviews = append(out.Reviews, Review{
					ID: r.GetID(), User: r.GetUser().GetLogin(), State: r.GetState(), Body: r.GetBody(),
					CommitID: r.GetCommitID(), SubmittedAt: timestamp(r.SubmittedAt), HTMLURL: r.GetHTMLURL(),
				})
			}
			if n := fitItems(out.Reviews, budget); n < len(out.Reviews) {
				out.Truncated, out.Note = true, cutNote(n, len(out.Reviews), lo.PerPage)
				out.Reviews = out.Reviews[:n]
			}
		case "get_review_comments":
			comments, resp, err := gh.PullRequests.ListComments(ctx, in.Owner, in.Repo, in.PullNumber, &github.PullRequestListCommentsOptions{
				Sort: "created", Direction: "asc", ListOptions: lo,
			})
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			out.ReviewComments, out.NextPage = make([]ReviewComment, 0, len(comments)), resp.NextPage
			for _, c := range comments {
				hunk, _ := clip(c.GetDiffHunk(), 600, "hunk shortened")
				out.ReviewComments = append(out.ReviewComments, ReviewComment{
					ID: c.GetID(), ReviewID: c.GetPullRequestReviewID(), InReplyToID: c.GetInReplyTo(), User: c.GetUser().GetLogin(),
					Body: c.GetBody(), Path: c.GetPath(), Line: c.GetLine(), DiffHunk: hunk,
					CreatedAt: timestamp(c.CreatedAt), HTMLURL: c.GetHTMLURL(),
				})
			}
			if n := fitItems(out.ReviewComments, budget); n < len(out.ReviewComments) {
				out.Truncated, out.Note = true, cutNote(n, len(out.ReviewComments), lo.PerPage)
				out.ReviewComments = out.ReviewComments[:n]
			}
		case "get_comments":
			comments, resp, err := gh.Issues.ListComments(ctx, in.Owner, in.Repo, in.PullNumber, &github.IssueListCommentsOptions{
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
				out.Truncated, out.Note = true, cutNote(n, len(out.Comments), lo.PerPage)
				out.Comments = out.Comments[:n]
			}
		}
		return nil, out, nil
	})
}

// commitStatus reads the check runs of a commit and, with statuses, its
// combined status.
func (ts *toolset) commitStatus(ctx context.Context, gh *github.Client, repo repoRef, sha string, statuses bool) (*CommitStatus, error) {
	t := target{what: "commit " + sha, repo: repo}
	combined := &github.CombinedStatus{}
	if statuses {
		var err error
		if combined, _, err = gh.Repositories.GetCombinedStatus(ctx, repo.Owner, repo.Repo, sha, &github.ListOptions{PerPage: maxPerPage}); err != nil {
			return nil, ts.apiError(err, t)
		}
	}
	checks, _, err := gh.Checks.ListCheckRunsForRef(ctx, repo.Owner, repo.Repo, sha, &github.ListCheckRunsOptions{ListOptions: github.ListOptions{PerPage: maxPerPage}})
	if err != nil {
		return nil, ts.apiError(err, t)
	}
	st := &CommitStatus{SHA: sha, State: combined.GetState(), Statuses: []StatusCheck{}, CheckRuns: []CheckRun{}}
	for _, s := range combined.Statuses {
		st.Statuses = append(st.Statuses, StatusCheck{Context: s.GetContext(), State: s.GetState(), Description: s.GetDescription(), TargetURL: s.GetTargetURL()})
	}
	for _, c := range checks.CheckRuns {
		st.CheckRuns = append(st.CheckRuns, CheckRun{
			ID: c.GetID(), Name: c.GetName(), Status: c.GetStatus(), Conclusion: c.GetConclusion(),
			App: c.GetApp().GetSlug(), DetailsURL: c.GetDetailsURL(),
		})
	}
	return st, nil
}
