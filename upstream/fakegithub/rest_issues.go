package fakegithub

import (
	"net/http"
	"slices"
	"strings"
)

// listIssues is GET /repos/{owner}/{repo}/issues. As on GitHub, pull
// requests are included and carry a pull_request object. state is open
// (default), closed or all; labels is a comma list that must all match;
// newest first.
func (f *Fake) listIssues(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	q := c.r.URL.Query()
	state := q.Get("state")
	switch state {
	case "":
		state = "open"
	case "open", "closed", "all":
	default:
		c.invalid("Issue", "state", "invalid")
		return
	}
	var labels []string
	for l := range strings.SplitSeq(q.Get("labels"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	var hits []*issue
	for _, is := range slices.Backward(r.issues) {
		if (state == "all" || is.state == state) && is.hasLabels(labels) {
			hits = append(hits, is)
		}
	}
	lo, hi := c.page(len(hits))
	out := []issueJSON{}
	for _, is := range hits[lo:hi] {
		out = append(out, c.rd.issue(r, is))
	}
	c.json(http.StatusOK, out)
}

// getIssue is GET /repos/{owner}/{repo}/issues/{number}.
func (f *Fake) getIssue(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if is := c.issue(r); is != nil {
		c.json(http.StatusOK, c.rd.issue(r, is))
	}
}

type createIssueBody struct {
	Title     *string  `json:"title"`
	Body      *string  `json:"body"`
	Labels    []string `json:"labels"`
	Assignees []string `json:"assignees"`
}

// createIssue is POST /repos/{owner}/{repo}/issues. title is required
// (422 otherwise). Unknown labels are created, as GitHub does for users
// with push access; assignees must be known users.
func (f *Fake) createIssue(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in createIssueBody
	if !c.decode(&in) {
		return
	}
	if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
		c.invalid("Issue", "title", "missing_field")
		return
	}
	for _, a := range in.Assignees {
		if f.user(a) == nil {
			c.invalid("Issue", "assignees", "invalid")
			return
		}
	}
	now := f.now()
	is := &issue{
		id:      f.newID(),
		number:  len(r.issues) + 1,
		title:   *in.Title,
		author:  c.login,
		state:   "open",
		created: now,
		updated: now,
	}
	if in.Body != nil {
		is.body = *in.Body
	}
	for _, name := range in.Labels {
		name = strings.TrimSpace(name)
		if name == "" || slices.ContainsFunc(is.labels, func(l string) bool { return strings.EqualFold(l, name) }) {
			continue
		}
		l := r.label(name)
		if l == nil {
			l = &label{id: f.newID(), name: name, color: "ededed"}
			r.labels = append(r.labels, l)
		}
		is.labels = append(is.labels, l.name)
	}
	for _, a := range in.Assignees {
		if login := f.user(a).Login; !slices.Contains(is.assignees, login) {
			is.assignees = append(is.assignees, login)
		}
	}
	r.issues = append(r.issues, is)
	c.w.Header().Set("Location", c.rd.issue(r, is).URL)
	c.json(http.StatusCreated, c.rd.issue(r, is))
}

// listComments is GET /repos/{owner}/{repo}/issues/{number}/comments,
// oldest first.
func (f *Fake) listComments(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r)
	if is == nil {
		return
	}
	lo, hi := c.page(len(is.comments))
	out := []commentJSON{}
	for _, cm := range is.comments[lo:hi] {
		out = append(out, c.rd.comment(r, is, cm))
	}
	c.json(http.StatusOK, out)
}

// createComment is POST /repos/{owner}/{repo}/issues/{number}/comments;
// body is required (422 otherwise).
func (f *Fake) createComment(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r)
	if is == nil {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if !c.decode(&in) {
		return
	}
	if in.Body == nil || strings.TrimSpace(*in.Body) == "" {
		c.invalid("IssueComment", "body", "missing_field")
		return
	}
	now := f.now()
	cm := &comment{id: f.newID(), author: c.login, body: *in.Body, created: now, updated: now}
	is.comments = append(is.comments, cm)
	is.updated = now
	out := c.rd.comment(r, is, cm)
	c.w.Header().Set("Location", out.URL)
	c.json(http.StatusCreated, out)
}
