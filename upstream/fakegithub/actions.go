package fakegithub

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The Actions model: workflows, their runs and the runs' jobs (each job is
// also the check run GitHub Actions reports on the run's commit), and
// commit statuses from other services.
type workflow struct {
	id      int64
	name    string
	path    string
	state   string
	created time.Time
}

type workflowRun struct {
	id         int64
	workflowID int64
	name       string
	event      string
	branch     string
	sha        string
	actor      string
	number     int
	status     string
	conclusion string
	created    time.Time
	updated    time.Time
	jobs       []*workflowJob
}

type workflowJob struct {
	id         int64
	name       string
	status     string
	conclusion string
	started    time.Time
	completed  time.Time
	log        string
}

type commitStatus struct {
	id          int64
	state       string
	context     string
	description string
	targetURL   string
	created     time.Time
}

type workflowJSON struct {
	ID        int64  `json:"id"`
	NodeID    string `json:"node_id"`
	Name      string `json:"name"`
	Path      string `json:"path"`
	State     string `json:"state"`
	CreatedAt stamp  `json:"created_at"`
	UpdatedAt stamp  `json:"updated_at"`
	URL       string `json:"url"`
	HTMLURL   string `json:"html_url"`
	BadgeURL  string `json:"badge_url"`
}

type runJSON struct {
	ID              int64          `json:"id"`
	Name            string         `json:"name"`
	NodeID          string         `json:"node_id"`
	HeadBranch      string         `json:"head_branch"`
	HeadSHA         string         `json:"head_sha"`
	Path            string         `json:"path"`
	DisplayTitle    string         `json:"display_title"`
	RunNumber       int            `json:"run_number"`
	RunAttempt      int            `json:"run_attempt"`
	Event           string         `json:"event"`
	Status          string         `json:"status"`
	Conclusion      *string        `json:"conclusion"`
	WorkflowID      int64          `json:"workflow_id"`
	CheckSuiteID    int64          `json:"check_suite_id"`
	URL             string         `json:"url"`
	HTMLURL         string         `json:"html_url"`
	JobsURL         string         `json:"jobs_url"`
	LogsURL         string         `json:"logs_url"`
	WorkflowURL     string         `json:"workflow_url"`
	CreatedAt       stamp          `json:"created_at"`
	UpdatedAt       stamp          `json:"updated_at"`
	RunStartedAt    stamp          `json:"run_started_at"`
	Actor           simpleUserJSON `json:"actor"`
	TriggeringActor simpleUserJSON `json:"triggering_actor"`
}

type stepJSON struct {
	Name        string  `json:"name"`
	Status      string  `json:"status"`
	Conclusion  *string `json:"conclusion"`
	Number      int     `json:"number"`
	StartedAt   stamp   `json:"started_at"`
	CompletedAt stamp   `json:"completed_at"`
}

type jobJSON struct {
	ID           int64      `json:"id"`
	RunID        int64      `json:"run_id"`
	RunURL       string     `json:"run_url"`
	NodeID       string     `json:"node_id"`
	HeadSHA      string     `json:"head_sha"`
	HeadBranch   string     `json:"head_branch"`
	URL          string     `json:"url"`
	HTMLURL      string     `json:"html_url"`
	Status       string     `json:"status"`
	Conclusion   *string    `json:"conclusion"`
	CreatedAt    stamp      `json:"created_at"`
	StartedAt    stamp      `json:"started_at"`
	CompletedAt  stamp      `json:"completed_at"`
	Name         string     `json:"name"`
	WorkflowName string     `json:"workflow_name"`
	Steps        []stepJSON `json:"steps"`
	CheckRunURL  string     `json:"check_run_url"`
	Labels       []string   `json:"labels"`
	RunnerName   string     `json:"runner_name"`
	RunAttempt   int        `json:"run_attempt"`
}

func (rd render) workflow(r *repo, w *workflow) workflowJSON {
	return workflowJSON{
		ID: w.id, NodeID: nodeID("Workflow", w.id), Name: w.name, Path: w.path, State: w.state,
		CreatedAt: stamp(w.created), UpdatedAt: stamp(w.created),
		URL:      fmt.Sprintf("%s/repos/%s/actions/workflows/%d", rd.api, r.fullName(), w.id),
		HTMLURL:  rd.web + "/" + r.fullName() + "/blob/" + r.branch + "/" + w.path,
		BadgeURL: rd.web + "/" + r.fullName() + "/workflows/" + w.name + "/badge.svg",
	}
}

func (rd render) run(r *repo, run *workflowRun) runJSON {
	api := fmt.Sprintf("%s/repos/%s/actions/runs/%d", rd.api, r.fullName(), run.id)
	path := ""
	for _, w := range r.workflows {
		if w.id == run.workflowID {
			path = w.path
		}
	}
	title := run.name
	if c := r.commits[run.sha]; c != nil {
		title = c.message
	}
	return runJSON{
		ID: run.id, Name: run.name, NodeID: nodeID("WorkflowRun", run.id), HeadBranch: run.branch, HeadSHA: run.sha,
		Path: path, DisplayTitle: title, RunNumber: run.number, RunAttempt: 1, Event: run.event, Status: run.status,
		Conclusion: optString(run.conclusion), WorkflowID: run.workflowID, CheckSuiteID: run.id + 500_000,
		URL: api, HTMLURL: fmt.Sprintf("%s/%s/actions/runs/%d", rd.web, r.fullName(), run.id),
		JobsURL: api + "/jobs", LogsURL: api + "/logs",
		WorkflowURL: fmt.Sprintf("%s/repos/%s/actions/workflows/%d", rd.api, r.fullName(), run.workflowID),
		CreatedAt:   stamp(run.created), UpdatedAt: stamp(run.updated), RunStartedAt: stamp(run.created),
		Actor: rd.simpleUser(run.actor), TriggeringActor: rd.simpleUser(run.actor),
	}
}

func (rd render) job(r *repo, run *workflowRun, j *workflowJob) jobJSON {
	concl := optString(j.conclusion)
	steps := []stepJSON{
		{Name: "Set up job", Status: "completed", Conclusion: new("success"), Number: 1, StartedAt: stamp(j.started), CompletedAt: stamp(j.started.Add(time.Second))},
		{Name: "Run " + j.name, Status: "completed", Conclusion: concl, Number: 2, StartedAt: stamp(j.started.Add(time.Second)), CompletedAt: stamp(j.completed)},
	}
	return jobJSON{
		ID: j.id, RunID: run.id, RunURL: fmt.Sprintf("%s/repos/%s/actions/runs/%d", rd.api, r.fullName(), run.id),
		NodeID: nodeID("WorkflowJob", j.id), HeadSHA: run.sha, HeadBranch: run.branch,
		URL:     fmt.Sprintf("%s/repos/%s/actions/jobs/%d", rd.api, r.fullName(), j.id),
		HTMLURL: fmt.Sprintf("%s/%s/actions/runs/%d/job/%d", rd.web, r.fullName(), run.id, j.id),
		Status:  j.status, Conclusion: concl, CreatedAt: stamp(run.created), StartedAt: stamp(j.started), CompletedAt: stamp(j.completed),
		Name: j.name, WorkflowName: run.name, Steps: steps,
		CheckRunURL: fmt.Sprintf("%s/repos/%s/check-runs/%d", rd.api, r.fullName(), j.id),
		Labels:      []string{"ubuntu-latest"}, RunnerName: "GitHub Actions 2", RunAttempt: 1,
	}
}

// listWorkflows is GET /repos/{owner}/{repo}/actions/workflows.
func (f *Fake) listWorkflows(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	lo, hi := c.page(len(r.workflows))
	out := []workflowJSON{}
	for _, w := range r.workflows[lo:hi] {
		out = append(out, c.rd.workflow(r, w))
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(r.workflows), "workflows": out})
}

// workflowByParam finds a workflow by numeric ID or file name (ci.yml).
func (c *call) workflowByParam(r *repo) *workflow {
	key := c.r.PathValue("workflow")
	for _, w := range r.workflows {
		if strconv.FormatInt(w.id, 10) == key || w.path == key || w.path == ".github/workflows/"+key {
			return w
		}
	}
	c.notFound()
	return nil
}

// getWorkflow is GET /repos/{owner}/{repo}/actions/workflows/{workflow}.
func (f *Fake) getWorkflow(c *call) {
	if r := c.repo(); r != nil {
		if w := c.workflowByParam(r); w != nil {
			c.json(http.StatusOK, c.rd.workflow(r, w))
		}
	}
}

// listRuns is GET /repos/{owner}/{repo}/actions/runs and
// /actions/workflows/{workflow}/runs: newest first, filtered by branch,
// event, status (or conclusion, as GitHub accepts both) and actor.
func (f *Fake) listRuns(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var only *workflow
	if c.r.PathValue("workflow") != "" {
		if only = c.workflowByParam(r); only == nil {
			return
		}
	}
	q := c.r.URL.Query()
	var hits []*workflowRun
	for i := len(r.runs) - 1; i >= 0; i-- {
		run := r.runs[i]
		switch {
		case only != nil && run.workflowID != only.id,
			q.Get("branch") != "" && q.Get("branch") != run.branch,
			q.Get("event") != "" && q.Get("event") != run.event,
			q.Get("actor") != "" && q.Get("actor") != run.actor,
			q.Get("status") != "" && q.Get("status") != run.status && q.Get("status") != run.conclusion:
			continue
		}
		hits = append(hits, run)
	}
	lo, hi := c.page(len(hits))
	out := []runJSON{}
	for _, run := range hits[lo:hi] {
		out = append(out, c.rd.run(r, run))
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(hits), "workflow_runs": out})
}

func (c *call) runByParam(r *repo) *workflowRun {
	id, _ := strconv.ParseInt(c.r.PathValue("run"), 10, 64)
	for _, run := range r.runs {
		if run.id == id {
			return run
		}
	}
	c.notFound()
	return nil
}

// getRun is GET /repos/{owner}/{repo}/actions/runs/{run}.
func (f *Fake) getRun(c *call) {
	if r := c.repo(); r != nil {
		if run := c.runByParam(r); run != nil {
			c.json(http.StatusOK, c.rd.run(r, run))
		}
	}
}

// listJobs is GET /repos/{owner}/{repo}/actions/runs/{run}/jobs.
func (f *Fake) listJobs(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	run := c.runByParam(r)
	if run == nil {
		return
	}
	lo, hi := c.page(len(run.jobs))
	out := []jobJSON{}
	for _, j := range run.jobs[lo:hi] {
		out = append(out, c.rd.job(r, run, j))
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(run.jobs), "jobs": out})
}

func (c *call) jobByParam(r *repo) (*workflowRun, *workflowJob) {
	id, _ := strconv.ParseInt(c.r.PathValue("job"), 10, 64)
	for _, run := range r.runs {
		for _, j := range run.jobs {
			if j.id == id {
				return run, j
			}
		}
	}
	c.notFound()
	return nil, nil
}

// getJob is GET /repos/{owner}/{repo}/actions/jobs/{job}.
func (f *Fake) getJob(c *call) {
	if r := c.repo(); r != nil {
		if run, j := c.jobByParam(r); j != nil {
			c.json(http.StatusOK, c.rd.job(r, run, j))
		}
	}
}

// jobLogs is GET /repos/{owner}/{repo}/actions/jobs/{job}/logs: as on
// GitHub, a 302 to a short-lived signed URL on another host that serves the
// log as text/plain without authentication.
func (f *Fake) jobLogs(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	if _, j := c.jobByParam(r); j != nil {
		u := fmt.Sprintf("%s/_fake/actions-logs/%s/%d?sig=%s", c.rd.web, r.fullName(), j.id, logSignature(r, j))
		c.w.Header().Set("Location", u)
		c.w.WriteHeader(http.StatusFound)
	}
}

func logSignature(r *repo, j *workflowJob) string {
	return shaOf("log", fmt.Sprintf("%s/%d", r.fullName(), j.id))
}

// serveLog is the signed log URL jobLogs redirects to.
func (f *Fake) serveLog(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.repos[repoKey(req.PathValue("owner"), req.PathValue("repo"))]
	id, _ := strconv.ParseInt(req.PathValue("job"), 10, 64)
	if r != nil {
		for _, run := range r.runs {
			for _, j := range run.jobs {
				if j.id == id && req.URL.Query().Get("sig") == logSignature(r, j) {
					w.Header().Set("Content-Type", "text/plain; charset=utf-8")
					_, _ = w.Write([]byte(j.log))
					return
				}
			}
		}
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code></Error>`))
}
