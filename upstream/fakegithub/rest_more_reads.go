package fakegithub

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The endpoints behind issue_read get_parent, pull_request_read
// get_commits and the Actions artifacts, usage and run-log methods, with
// GitHub's answer shapes.

// getIssueParent is GET /repos/{owner}/{repo}/issues/{number}/parent: the
// issue whose sub-issues include this one, or 404 when it has none (as
// GitHub answers). The fake keeps sub-issues within one repository.
func (f *Fake) getIssueParent(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.issue(r)
	if is == nil {
		return
	}
	for _, p := range r.issues {
		for _, n := range p.subIssues {
			if n == is.number {
				c.json(http.StatusOK, c.rd.issue(r, p))
				return
			}
		}
	}
	c.notFound()
}

// listPullCommits is GET /repos/{owner}/{repo}/pulls/{number}/commits:
// the pull request's commits, oldest first.
func (f *Fake) listPullCommits(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	is := c.pullOf(r)
	if is == nil {
		return
	}
	_, commits := r.pullChanges(is.pull)
	lo, hi := c.page(len(commits))
	out := []commitJSON{}
	for _, cm := range commits[lo:hi] {
		out = append(out, c.rd.commit(r, cm, false))
	}
	c.json(http.StatusOK, out)
}

// artifactIDOffset derives a run's one artifact's ID from the run's, so
// that artifacts need no IDs of their own (and the seed's IDs stay).
const artifactIDOffset = 1_000_000_000

type artifactJSON struct {
	ID                 int64         `json:"id"`
	NodeID             string        `json:"node_id"`
	Name               string        `json:"name"`
	SizeInBytes        int64         `json:"size_in_bytes"`
	URL                string        `json:"url"`
	ArchiveDownloadURL string        `json:"archive_download_url"`
	Expired            bool          `json:"expired"`
	Digest             string        `json:"digest"`
	CreatedAt          stamp         `json:"created_at"`
	UpdatedAt          stamp         `json:"updated_at"`
	ExpiresAt          stamp         `json:"expires_at"`
	WorkflowRun        artifactRunJS `json:"workflow_run"`
}

type artifactRunJS struct {
	ID         int64  `json:"id"`
	HeadBranch string `json:"head_branch"`
	HeadSHA    string `json:"head_sha"`
}

// artifacts are a run's artifacts: every completed run uploaded one,
// "test-results", kept 90 days.
func (rd render) artifacts(r *repo, run *workflowRun) []artifactJSON {
	if run.status != "completed" {
		return []artifactJSON{}
	}
	id := run.id + artifactIDOffset
	api := fmt.Sprintf("%s/repos/%s/actions/artifacts/%d", rd.api, r.fullName(), id)
	return []artifactJSON{{
		ID: id, NodeID: fmt.Sprintf("MDg6QXJ0aWZhY3Qx%d", id), Name: "test-results", SizeInBytes: 2048 + int64(len(run.jobs))*512,
		URL: api, ArchiveDownloadURL: api + "/zip", Digest: "sha256:" + shaOf("artifact", strconv.FormatInt(id, 10)),
		CreatedAt: stamp(run.updated), UpdatedAt: stamp(run.updated), ExpiresAt: stamp(run.updated.Add(90 * 24 * time.Hour)),
		WorkflowRun: artifactRunJS{ID: run.id, HeadBranch: run.branch, HeadSHA: run.sha},
	}}
}

// listRunArtifacts is GET /repos/{owner}/{repo}/actions/runs/{run}/artifacts.
func (f *Fake) listRunArtifacts(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	run := c.runByParam(r)
	if run == nil {
		return
	}
	all := c.rd.artifacts(r, run)
	lo, hi := c.page(len(all))
	c.json(http.StatusOK, map[string]any{"total_count": len(all), "artifacts": all[lo:hi]})
}

// runTiming is GET /repos/{owner}/{repo}/actions/runs/{run}/timing: the
// billable time per runner OS and the run's duration. Every fake job runs
// on Ubuntu.
func (f *Fake) runTiming(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	run := c.runByParam(r)
	if run == nil {
		return
	}
	var total int64
	jobRuns := []map[string]any{}
	for _, j := range run.jobs {
		ms := j.completed.Sub(j.started).Milliseconds()
		total += ms
		jobRuns = append(jobRuns, map[string]any{"job_id": j.id, "duration_ms": ms})
	}
	c.json(http.StatusOK, map[string]any{
		"billable":        map[string]any{"UBUNTU": map[string]any{"total_ms": total, "jobs": len(run.jobs), "job_runs": jobRuns}},
		"run_duration_ms": run.updated.Sub(run.created).Milliseconds(),
	})
}

// runLogs is GET /repos/{owner}/{repo}/actions/runs/{run}/logs: 302 to a
// short-lived signed URL of the run's log archive.
func (f *Fake) runLogs(c *call) {
	if r := c.repo(); r != nil {
		if run := c.runByParam(r); run != nil {
			c.w.Header().Set("Location", fmt.Sprintf("%s/_fake/actions-run-logs/%s/%d?sig=%s", c.rd.web, r.fullName(), run.id,
				shaOf("run-log", fmt.Sprintf("%s/%d", r.fullName(), run.id))))
			c.w.WriteHeader(http.StatusFound)
		}
	}
}

// artifactZip is GET /repos/{owner}/{repo}/actions/artifacts/{artifact}/zip:
// 302 to a short-lived signed URL of the archive.
func (f *Fake) artifactZip(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	id, _ := strconv.ParseInt(c.r.PathValue("artifact"), 10, 64)
	for _, run := range r.runs {
		for _, a := range c.rd.artifacts(r, run) {
			if a.ID == id {
				c.w.Header().Set("Location", fmt.Sprintf("%s/_fake/actions-artifacts/%s/%d.zip?sig=%s", c.rd.web, r.fullName(), id,
					shaOf("artifact-zip", fmt.Sprintf("%s/%d", r.fullName(), id))))
				c.w.WriteHeader(http.StatusFound)
				return
			}
		}
	}
	c.notFound()
}
