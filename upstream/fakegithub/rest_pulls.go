package fakegithub

import (
	"net/http"
	"slices"
)

// listPulls is GET /repos/{owner}/{repo}/pulls: state open (default),
// closed or all; newest first.
func (f *Fake) listPulls(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	state := c.r.URL.Query().Get("state")
	switch state {
	case "":
		state = "open"
	case "open", "closed", "all":
	default:
		c.invalid("PullRequest", "state", "invalid")
		return
	}
	var hits []*issue
	for _, is := range slices.Backward(r.issues) {
		if is.pull != nil && (state == "all" || is.state == state) {
			hits = append(hits, is)
		}
	}
	lo, hi := c.page(len(hits))
	out := []pullJSON{}
	for _, is := range hits[lo:hi] {
		out = append(out, c.rd.pull(r, is, false))
	}
	c.json(http.StatusOK, out)
}

// getPull is GET /repos/{owner}/{repo}/pulls/{number}; an issue number
// that is not a pull request is 404.
func (f *Fake) getPull(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r)
	if is == nil {
		return
	}
	if is.pull == nil {
		c.notFound()
		return
	}
	if c.wantsDiff() {
		f.pullDiff(c, r, is)
		return
	}
	c.json(http.StatusOK, c.rd.pull(r, is, true))
}
