package fakegithub

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// updateIssue is PATCH /repos/{owner}/{repo}/issues/{number}: title, body,
// state (open, closed) with state_reason (completed, not_planned,
// duplicate, reopened), labels and assignees (replacing the lists). Only
// the repository owner or the issue's author may change it.
func (f *Fake) updateIssue(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r)
	if is == nil {
		return
	}
	var in struct {
		Title       *string   `json:"title"`
		Body        *string   `json:"body"`
		State       *string   `json:"state"`
		StateReason *string   `json:"state_reason"`
		Labels      *[]string `json:"labels"`
		Assignees   *[]string `json:"assignees"`
	}
	if !c.decode(&in) {
		return
	}
	if !strings.EqualFold(c.login, r.owner) && !strings.EqualFold(c.login, is.author) {
		c.json(http.StatusForbidden, apiError{Message: "Must have admin rights to Repository.", DocumentationURL: docsREST, Status: "403"})
		return
	}
	if in.Title != nil && strings.TrimSpace(*in.Title) == "" {
		c.invalid("Issue", "title", "missing_field")
		return
	}
	if in.State != nil && *in.State != "open" && *in.State != "closed" {
		c.invalid("Issue", "state", "invalid")
		return
	}
	if in.StateReason != nil && !slices.Contains([]string{"completed", "not_planned", "duplicate", "reopened"}, *in.StateReason) {
		c.invalid("Issue", "state_reason", "invalid")
		return
	}
	if in.Assignees != nil {
		for _, a := range *in.Assignees {
			if f.user(a) == nil {
				c.invalid("Issue", "assignees", "invalid")
				return
			}
		}
	}
	now := f.now()
	if in.Title != nil {
		is.title = *in.Title
	}
	if in.Body != nil {
		is.body = *in.Body
	}
	if in.State != nil && *in.State != is.state {
		is.state = *in.State
		if is.state == "closed" {
			is.closed, is.stateReason = now, "completed"
		} else {
			is.closed, is.stateReason = time.Time{}, "reopened"
		}
	}
	if in.StateReason != nil && is.state == "closed" {
		is.stateReason = *in.StateReason
	}
	if in.Labels != nil {
		is.labels = nil
		for _, name := range *in.Labels {
			if l := r.label(name); l != nil && !slices.Contains(is.labels, l.name) {
				is.labels = append(is.labels, l.name)
			} else if l == nil {
				c.invalid("Label", "name", "invalid")
				return
			}
		}
	}
	if in.Assignees != nil {
		is.assignees = nil
		for _, a := range *in.Assignees {
			is.assignees = append(is.assignees, f.user(a).Login)
		}
	}
	is.updated = now
	c.json(http.StatusOK, c.rd.issue(r, is))
}

// listIssueLabels is GET /repos/{owner}/{repo}/issues/{number}/labels.
func (f *Fake) listIssueLabels(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if is := c.issue(r); is != nil {
		all := c.rd.labels(r, is.labels)
		lo, hi := c.page(len(all))
		c.json(http.StatusOK, all[lo:hi])
	}
}

// listSubIssues is GET /repos/{owner}/{repo}/issues/{number}/sub_issues.
func (f *Fake) listSubIssues(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r)
	if is == nil {
		return
	}
	lo, hi := c.page(len(is.subIssues))
	out := []issueJSON{}
	for _, n := range is.subIssues[lo:hi] {
		out = append(out, c.rd.issue(r, r.issues[n-1]))
	}
	c.json(http.StatusOK, out)
}
