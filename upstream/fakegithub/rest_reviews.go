package fakegithub

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

type review struct {
	id        int64
	author    string
	state     string // APPROVED, CHANGES_REQUESTED, COMMENTED
	body      string
	submitted time.Time
	commit    string
}

type reviewComment struct {
	id        int64
	reviewID  int64
	author    string
	body      string
	path      string
	line      int
	created   time.Time
	commit    string
	inReplyTo int64
}

type reviewJSON struct {
	ID                int64          `json:"id"`
	NodeID            string         `json:"node_id"`
	User              simpleUserJSON `json:"user"`
	Body              string         `json:"body"`
	State             string         `json:"state"`
	HTMLURL           string         `json:"html_url"`
	PullRequestURL    string         `json:"pull_request_url"`
	SubmittedAt       stamp          `json:"submitted_at"`
	CommitID          string         `json:"commit_id"`
	AuthorAssociation string         `json:"author_association"`
}

type reviewCommentJSON struct {
	ID                  int64          `json:"id"`
	NodeID              string         `json:"node_id"`
	URL                 string         `json:"url"`
	PullRequestReviewID int64          `json:"pull_request_review_id,omitempty"`
	InReplyToID         int64          `json:"in_reply_to_id,omitempty"`
	DiffHunk            string         `json:"diff_hunk"`
	Path                string         `json:"path"`
	CommitID            string         `json:"commit_id"`
	OriginalCommitID    string         `json:"original_commit_id"`
	User                simpleUserJSON `json:"user"`
	Body                string         `json:"body"`
	CreatedAt           stamp          `json:"created_at"`
	UpdatedAt           stamp          `json:"updated_at"`
	HTMLURL             string         `json:"html_url"`
	PullRequestURL      string         `json:"pull_request_url"`
	AuthorAssociation   string         `json:"author_association"`
	Line                int            `json:"line"`
	Side                string         `json:"side"`
}

// pullOf finds the pull request named by the path (404 for issues).
func (c *call) pullOf(r *repo) *issue {
	is := c.issue(r)
	if is == nil {
		return nil
	}
	if is.pull == nil {
		c.notFound()
		return nil
	}
	return is
}

// listPullFiles is GET /repos/{owner}/{repo}/pulls/{number}/files.
func (f *Fake) listPullFiles(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.pullOf(r)
	if is == nil {
		return
	}
	changes, _ := r.pullChanges(is.pull)
	_, head := r.pullRange(is.pull)
	ref := r.branch
	if head != nil {
		ref = head.sha
	}
	files, _ := c.rd.files(r, ref, changes)
	lo, hi := c.page(len(files))
	c.json(http.StatusOK, files[lo:hi])
}

// pullDiff answers GET /repos/{owner}/{repo}/pulls/{number} with the diff
// media type.
func (f *Fake) pullDiff(c *call, r *repo, is *issue) {
	changes, _ := r.pullChanges(is.pull)
	c.text(gitDiff(changes))
}

// listReviews is GET /repos/{owner}/{repo}/pulls/{number}/reviews.
func (f *Fake) listReviews(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.pullOf(r)
	if is == nil {
		return
	}
	lo, hi := c.page(len(is.pull.reviews))
	out := []reviewJSON{}
	html := fmt.Sprintf("%s/%s/pull/%d", c.rd.web, r.fullName(), is.number)
	for _, rv := range is.pull.reviews[lo:hi] {
		out = append(out, reviewJSON{
			ID: rv.id, NodeID: nodeID("PullRequestReview", rv.id), User: c.rd.simpleUser(rv.author), Body: rv.body, State: rv.state,
			HTMLURL: fmt.Sprintf("%s#pullrequestreview-%d", html, rv.id), PullRequestURL: fmt.Sprintf("%s/repos/%s/pulls/%d", c.rd.api, r.fullName(), is.number),
			SubmittedAt: stamp(rv.submitted), CommitID: rv.commit, AuthorAssociation: association(r, rv.author),
		})
	}
	c.json(http.StatusOK, out)
}

// listReviewComments is GET /repos/{owner}/{repo}/pulls/{number}/comments,
// oldest first.
func (f *Fake) listReviewComments(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.pullOf(r)
	if is == nil {
		return
	}
	changes, _ := r.pullChanges(is.pull)
	lo, hi := c.page(len(is.pull.reviewComments))
	out := []reviewCommentJSON{}
	html := fmt.Sprintf("%s/%s/pull/%d", c.rd.web, r.fullName(), is.number)
	for _, rc := range is.pull.reviewComments[lo:hi] {
		hunk := ""
		for _, fc := range changes {
			if fc.path == rc.path {
				hunk = fc.patch
			}
		}
		out = append(out, reviewCommentJSON{
			ID: rc.id, NodeID: nodeID("PullRequestReviewComment", rc.id),
			URL:                 fmt.Sprintf("%s/repos/%s/pulls/comments/%d", c.rd.api, r.fullName(), rc.id),
			PullRequestReviewID: rc.reviewID, InReplyToID: rc.inReplyTo, DiffHunk: hunk, Path: rc.path,
			CommitID: rc.commit, OriginalCommitID: rc.commit, User: c.rd.simpleUser(rc.author), Body: rc.body,
			CreatedAt: stamp(rc.created), UpdatedAt: stamp(rc.created),
			HTMLURL:           fmt.Sprintf("%s#discussion_r%d", html, rc.id),
			PullRequestURL:    fmt.Sprintf("%s/repos/%s/pulls/%d", c.rd.api, r.fullName(), is.number),
			AuthorAssociation: association(r, rc.author), Line: rc.line, Side: "RIGHT",
		})
	}
	c.json(http.StatusOK, out)
}

// createPull is POST /repos/{owner}/{repo}/pulls {title, head, base, body,
// draft}. head must be a branch of the repository (or owner:branch naming
// it), base must exist, and the two must differ, as on GitHub.
func (f *Fake) createPull(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Title *string `json:"title"`
		Head  string  `json:"head"`
		Base  string  `json:"base"`
		Body  *string `json:"body"`
		Draft bool    `json:"draft"`
	}
	if !c.decode(&in) {
		return
	}
	if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
		c.invalid("PullRequest", "title", "missing_field")
		return
	}
	headName := in.Head
	if _, name, ok := strings.Cut(in.Head, ":"); ok {
		headName = name
	}
	head, base := r.refs["heads/"+headName], r.refs["heads/"+in.Base]
	switch {
	case head == "":
		c.invalid("PullRequest", "head", "invalid")
		return
	case base == "":
		c.invalid("PullRequest", "base", "invalid")
		return
	case head == base:
		c.json(http.StatusUnprocessableEntity, apiError{
			Message: "Validation Failed", DocumentationURL: docsREST, Status: "422",
			Errors: []fieldError{{Resource: "PullRequest", Code: "custom", Field: "No commits between " + in.Base + " and " + headName}},
		})
		return
	}
	for _, is := range r.issues {
		if is.pull != nil && is.state == "open" && is.pull.head == in.Head && is.pull.base == in.Base {
			c.json(http.StatusUnprocessableEntity, apiError{
				Message: "Validation Failed", DocumentationURL: docsREST, Status: "422",
				Errors: []fieldError{{Resource: "PullRequest", Code: "custom", Field: "A pull request already exists for " + r.owner + ":" + headName + "."}},
			})
			return
		}
	}
	now := f.now()
	is := &issue{id: f.newID(), number: len(r.issues) + 1, title: *in.Title, author: c.login, state: "open", created: now, updated: now,
		pull: &pull{head: in.Head, base: in.Base, draft: in.Draft, baseSHA: base}}
	if in.Body != nil {
		is.body = *in.Body
	}
	r.issues = append(r.issues, is)
	out := c.rd.pull(r, is, true)
	c.w.Header().Set("Location", out.URL)
	c.json(http.StatusCreated, out)
}

// combinedStatus is GET /repos/{owner}/{repo}/commits/{ref}/status:
// failure when any status failed or errored, pending when any is pending
// or there is none, success otherwise.
func (f *Fake) combinedStatus(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	ref := c.r.PathValue("ref")
	cm := r.resolve(ref)
	if cm == nil {
		c.noCommit(ref)
		return
	}
	list := r.statuses[cm.sha]
	state := "success"
	if len(list) == 0 {
		state = "pending"
	}
	statuses := []map[string]any{}
	for _, s := range list {
		switch s.state {
		case "failure", "error":
			state = "failure"
		case "pending":
			if state != "failure" {
				state = "pending"
			}
		}
		statuses = append(statuses, map[string]any{
			"url": c.rd.api + "/repos/" + r.fullName() + "/statuses/" + cm.sha, "id": s.id, "node_id": nodeID("StatusContext", s.id),
			"state": s.state, "description": s.description, "target_url": s.targetURL, "context": s.context,
			"created_at": stamp(s.created), "updated_at": stamp(s.created), "avatar_url": c.rd.web + "/avatars/status",
		})
	}
	repoJ := c.rd.repo(r)
	c.json(http.StatusOK, map[string]any{
		"state": state, "statuses": statuses, "sha": cm.sha, "total_count": len(statuses), "repository": repoJ,
		"commit_url": c.rd.api + "/repos/" + r.fullName() + "/commits/" + cm.sha,
		"url":        c.rd.api + "/repos/" + r.fullName() + "/commits/" + cm.sha + "/status",
	})
}

// checkRuns is GET /repos/{owner}/{repo}/commits/{ref}/check-runs: the
// jobs of the workflow runs on that commit, as GitHub Actions reports them.
func (f *Fake) checkRuns(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	ref := c.r.PathValue("ref")
	cm := r.resolve(ref)
	if cm == nil {
		c.noCommit(ref)
		return
	}
	runs := []map[string]any{}
	for _, run := range r.runs {
		if run.sha != cm.sha {
			continue
		}
		for _, j := range run.jobs {
			jj := c.rd.job(r, run, j)
			summary := ""
			if j.conclusion == "failure" {
				summary = "Process completed with exit code 1."
			}
			runs = append(runs, map[string]any{
				"id": j.id, "head_sha": run.sha, "node_id": nodeID("CheckRun", j.id), "external_id": fmt.Sprint(j.id),
				"url": jj.CheckRunURL, "html_url": jj.HTMLURL, "details_url": jj.HTMLURL,
				"status": j.status, "conclusion": optString(j.conclusion), "started_at": stamp(j.started), "completed_at": stamp(j.completed),
				"output":      map[string]any{"title": nil, "summary": summary, "text": nil, "annotations_count": 0, "annotations_url": jj.CheckRunURL + "/annotations"},
				"name":        j.name,
				"check_suite": map[string]any{"id": run.id + 500_000},
				"app":         map[string]any{"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
			})
		}
	}
	lo, hi := c.page(len(runs))
	c.json(http.StatusOK, map[string]any{"total_count": len(runs), "check_runs": runs[lo:hi]})
}
