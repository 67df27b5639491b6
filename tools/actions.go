package tools

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Workflow is a GitHub Actions workflow.
type Workflow struct {
	ID      int64  `json:"id" jsonschema:"Workflow ID."`
	Name    string `json:"name" jsonschema:"Workflow name."`
	Path    string `json:"path" jsonschema:"Workflow file, e.g. .github/workflows/ci.yml."`
	State   string `json:"state" jsonschema:"active, disabled_manually, disabled_inactivity, ..."`
	HTMLURL string `json:"html_url,omitempty" jsonschema:"Workflow file on GitHub."`
}

// WorkflowRun is one run of a workflow.
type WorkflowRun struct {
	ID         int64  `json:"id" jsonschema:"Run ID (resource_id for list_workflow_jobs and get_workflow_run; run_id for get_job_logs)."`
	Name       string `json:"name" jsonschema:"Workflow name."`
	Title      string `json:"display_title,omitempty" jsonschema:"What the run is about, usually the commit message or pull request title."`
	RunNumber  int    `json:"run_number" jsonschema:"Run number within the workflow."`
	Event      string `json:"event" jsonschema:"What triggered it: push, pull_request, schedule, ..."`
	Status     string `json:"status" jsonschema:"queued, in_progress, completed, ..."`
	Conclusion string `json:"conclusion,omitempty" jsonschema:"success, failure, cancelled, ... once completed."`
	Branch     string `json:"head_branch,omitempty" jsonschema:"Branch it ran on."`
	HeadSHA    string `json:"head_sha" jsonschema:"Commit it ran on."`
	Actor      string `json:"actor,omitempty" jsonschema:"Login of who triggered it."`
	WorkflowID int64  `json:"workflow_id" jsonschema:"The workflow."`
	HTMLURL    string `json:"html_url" jsonschema:"The run on GitHub."`
	CreatedAt  string `json:"created_at" jsonschema:"When it was created (RFC 3339, UTC)."`
	UpdatedAt  string `json:"updated_at,omitempty" jsonschema:"Last update (RFC 3339, UTC)."`
}

// Step is one step of a job.
type Step struct {
	Number     int64  `json:"number" jsonschema:"Step number."`
	Name       string `json:"name" jsonschema:"Step name."`
	Status     string `json:"status" jsonschema:"queued, in_progress or completed."`
	Conclusion string `json:"conclusion,omitempty" jsonschema:"success, failure, skipped, ... once completed."`
}

// Job is one job of a workflow run.
type Job struct {
	ID          int64  `json:"id" jsonschema:"Job ID (job_id for get_job_logs)."`
	RunID       int64  `json:"run_id" jsonschema:"The run it belongs to."`
	Name        string `json:"name" jsonschema:"Job name."`
	Status      string `json:"status" jsonschema:"queued, in_progress or completed."`
	Conclusion  string `json:"conclusion,omitempty" jsonschema:"success, failure, cancelled, skipped, ... once completed."`
	StartedAt   string `json:"started_at,omitempty" jsonschema:"Start time (RFC 3339, UTC)."`
	CompletedAt string `json:"completed_at,omitempty" jsonschema:"End time (RFC 3339, UTC)."`
	HTMLURL     string `json:"html_url,omitempty" jsonschema:"The job on GitHub."`
	Steps       []Step `json:"steps,omitzero" jsonschema:"Its steps, when GitHub lists them."`
}

func toWorkflow(w *github.Workflow) Workflow {
	return Workflow{ID: w.GetID(), Name: w.GetName(), Path: w.GetPath(), State: w.GetState(), HTMLURL: w.GetHTMLURL()}
}

func toRun(r *github.WorkflowRun) WorkflowRun {
	return WorkflowRun{
		ID: r.GetID(), Name: r.GetName(), Title: r.GetDisplayTitle(), RunNumber: r.GetRunNumber(), Event: r.GetEvent(),
		Status: r.GetStatus(), Conclusion: r.GetConclusion(), Branch: r.GetHeadBranch(), HeadSHA: r.GetHeadSHA(),
		Actor: r.GetActor().GetLogin(), WorkflowID: r.GetWorkflowID(), HTMLURL: r.GetHTMLURL(),
		CreatedAt: timestamp(r.CreatedAt), UpdatedAt: timestamp(r.UpdatedAt),
	}
}

func toJob(j *github.WorkflowJob) Job {
	out := Job{
		ID: j.GetID(), RunID: j.GetRunID(), Name: j.GetName(), Status: j.GetStatus(), Conclusion: j.GetConclusion(),
		StartedAt: timestamp(j.StartedAt), CompletedAt: timestamp(j.CompletedAt), HTMLURL: j.GetHTMLURL(),
	}
	for _, s := range j.Steps {
		out.Steps = append(out.Steps, Step{Number: s.GetNumber(), Name: s.GetName(), Status: s.GetStatus(), Conclusion: s.GetConclusion()})
	}
	return out
}

type workflowRunsFilter struct {
	Actor  string `json:"actor,omitempty" jsonschema:"Only runs triggered by this login."`
	Branch string `json:"branch,omitempty" jsonschema:"Only runs on this branch."`
	Event  string `json:"event,omitempty" jsonschema:"Only runs triggered by this event, e.g. push or pull_request."`
	Status string `json:"status,omitempty" jsonschema:"Only runs with this status or conclusion, e.g. completed, in_progress, failure, success."`
}

type workflowJobsFilter struct {
	Filter string `json:"filter,omitempty" jsonschema:"latest (default): the jobs of the latest attempt; all: every attempt."`
}

type actionsListInput struct {
	Method string `json:"method" jsonschema:"What to list: list_workflows, list_workflow_runs, list_workflow_jobs, list_workflow_run_artifacts."`
	repoRef
	ResourceID         string              `json:"resource_id,omitempty" jsonschema:"For list_workflow_runs: a workflow ID or file name (e.g. ci.yml), or omit for every run of the repository. For list_workflow_jobs and list_workflow_run_artifacts: the run ID. Not used by list_workflows."`
	WorkflowRunsFilter *workflowRunsFilter `json:"workflow_runs_filter,omitempty" jsonschema:"Filters for list_workflow_runs only."`
	WorkflowJobsFilter *workflowJobsFilter `json:"workflow_jobs_filter,omitempty" jsonschema:"Filters for list_workflow_jobs only."`
	// PerPageGitHub is GitHub's spelling for this tool (per_page); the
	// embedded perPage, mcpgate's earlier one, is still accepted.
	PerPageGitHub int `json:"per_page,omitempty" jsonschema:"Results per page for pagination (min 1, max 100, default 30)."`
	pagination
}

// ActionsList is what actions_list returns: the list named by method.
type ActionsList struct {
	Method       string        `json:"method" jsonschema:"The method that produced this result."`
	TotalCount   int           `json:"total_count" jsonschema:"Number of items in all pages."`
	Workflows    []Workflow    `json:"workflows,omitzero" jsonschema:"Workflows (list_workflows)."`
	WorkflowRuns []WorkflowRun `json:"workflow_runs,omitzero" jsonschema:"Runs, newest first (list_workflow_runs)."`
	Jobs         []Job         `json:"jobs,omitzero" jsonschema:"Jobs of the run (list_workflow_jobs)."`
	Artifacts    []Artifact    `json:"artifacts,omitzero" jsonschema:"Artifacts the run uploaded (list_workflow_run_artifacts)."`
	NextPage     int           `json:"next_page,omitempty" jsonschema:"Page to request next; absent on the last page."`
	Truncated    bool          `json:"truncated,omitempty" jsonschema:"True when items were left out to fit the result size limit (see note)."`
	Note         string        `json:"note,omitempty" jsonschema:"What was left out and how to get it."`
}

var actionsListMethods = []string{"list_workflows", "list_workflow_runs", "list_workflow_jobs", "list_workflow_run_artifacts"}

func (ts *toolset) actionsList() serverTool {
	return newTool(ts, ToolsetActions, &mcp.Tool{
		Name:  "actions_list",
		Title: "List GitHub Actions workflows, runs and jobs",
		Description: "List GitHub Actions resources of a repository by method: list_workflows, list_workflow_runs " +
			"(all runs, or one workflow's with resource_id; filter by branch, event, actor, status such as failure), " +
			"list_workflow_jobs (the jobs of run resource_id, with their steps), list_workflow_run_artifacts (the files run resource_id uploaded). " +
			"Use get_job_logs for why a job failed.",
		Annotations:  readOnly("List GitHub Actions workflows, runs and jobs"),
		InputSchema:  inputSchema[actionsListInput](withRepo, withEnum("method", "", actionsListMethods...), withPagination, withPerPageAlias),
		OutputSchema: outputSchema[ActionsList](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in actionsListInput) (*mcp.CallToolResult, ActionsList, error) {
		out := ActionsList{Method: in.Method}
		if err := in.validate(); err != nil {
			return nil, out, err
		}
		switch {
		case in.PerPageGitHub != 0 && in.PerPage != 0 && in.PerPageGitHub != in.PerPage:
			return nil, out, invalidInput("per_page and perPage differ; give per_page only")
		case in.PerPageGitHub != 0:
			in.PerPage = in.PerPageGitHub
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, out, err
		}
		var runID int64
		switch in.Method {
		case "list_workflows":
		case "list_workflow_runs":
		case "list_workflow_jobs", "list_workflow_run_artifacts":
			if runID, err = parseID("resource_id", in.ResourceID); err != nil {
				return nil, out, invalidInput("%s needs the run ID as resource_id", in.Method)
			}
		default:
			return nil, out, invalidInput("method must be one of %v", actionsListMethods)
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, out, err
		}
		t := target{what: "the repository's Actions", repo: in.repoRef}
		var resp *github.Response
		switch in.Method {
		case "list_workflows":
			var ws *github.Workflows
			if ws, resp, err = gh.Actions.ListWorkflows(ctx, in.Owner, in.Repo, &lo); err != nil {
				return nil, out, ts.apiError(err, t)
			}
			out.TotalCount, out.Workflows = ws.GetTotalCount(), []Workflow{}
			for _, w := range ws.Workflows {
				out.Workflows = append(out.Workflows, toWorkflow(w))
			}
		case "list_workflow_runs":
			opts := &github.ListWorkflowRunsOptions{ListOptions: lo}
			if f := in.WorkflowRunsFilter; f != nil {
				opts.Actor, opts.Branch, opts.Event, opts.Status = f.Actor, f.Branch, f.Event, f.Status
			}
			var runs *github.WorkflowRuns
			switch id, idErr := strconv.ParseInt(in.ResourceID, 10, 64); {
			case in.ResourceID == "":
				runs, resp, err = gh.Actions.ListRepositoryWorkflowRuns(ctx, in.Owner, in.Repo, opts)
			case idErr == nil:
				t.what = "workflow " + in.ResourceID
				runs, resp, err = gh.Actions.ListWorkflowRunsByID(ctx, in.Owner, in.Repo, id, opts)
			default:
				t.what = "workflow " + in.ResourceID
				runs, resp, err = gh.Actions.ListWorkflowRunsByFileName(ctx, in.Owner, in.Repo, in.ResourceID, opts)
			}
			if err != nil {
				return nil, out, ts.apiError(err, t)
			}
			out.TotalCount, out.WorkflowRuns = runs.GetTotalCount(), []WorkflowRun{}
			for _, r := range runs.WorkflowRuns {
				out.WorkflowRuns = append(out.WorkflowRuns, toRun(r))
			}
		case "list_workflow_jobs":
			opts := &github.ListWorkflowJobsOptions{ListOptions: lo}
			if in.WorkflowJobsFilter != nil {
				opts.Filter = in.WorkflowJobsFilter.Filter
			}
			var jobs *github.Jobs
			if jobs, resp, err = gh.Actions.ListWorkflowJobs(ctx, in.Owner, in.Repo, runID, opts); err != nil {
				return nil, out, ts.apiError(err, target{what: "workflow run " + in.ResourceID, repo: in.repoRef})
			}
			out.TotalCount, out.Jobs = jobs.GetTotalCount(), []Job{}
			for _, j := range jobs.Jobs {
				out.Jobs = append(out.Jobs, toJob(j))
			}
		case "list_workflow_run_artifacts":
			if resp, err = ts.listRunArtifacts(ctx, gh, in, runID, lo, &out); err != nil {
				return nil, out, err
			}
		}
		out.NextPage = resp.NextPage
		budget := ts.budgetFor(metaReserve)
		for _, cut := range []func() (int, int){
			func() (int, int) {
				n := fitItems(out.Workflows, budget)
				k := len(out.Workflows)
				out.Workflows = out.Workflows[:n]
				return n, k
			},
			func() (int, int) {
				n := fitItems(out.WorkflowRuns, budget)
				k := len(out.WorkflowRuns)
				out.WorkflowRuns = out.WorkflowRuns[:n]
				return n, k
			},
			func() (int, int) {
				n := fitItems(out.Jobs, budget)
				k := len(out.Jobs)
				out.Jobs = out.Jobs[:n]
				return n, k
			},
			func() (int, int) {
				n := fitItems(out.Artifacts, budget)
				k := len(out.Artifacts)
				out.Artifacts = out.Artifacts[:n]
				return n, k
			},
		} {
			if kept, total := cut(); kept < total {
				out.Truncated, out.Note = true, cutNote(kept, total, lo.PerPage)
			}
		}
		return nil, out, nil
	})
}

// parseID reads a positive numeric ID.
func parseID(field, s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id < 1 {
		return 0, invalidInput("%s must be a numeric ID", field)
	}
	return id, nil
}

type actionsGetInput struct {
	Method string `json:"method" jsonschema:"What to get: get_workflow, get_workflow_run, get_workflow_job, get_workflow_run_usage, get_workflow_run_logs_url, download_workflow_run_artifact."`
	repoRef
	ResourceID string `json:"resource_id" jsonschema:"A workflow ID or file name (e.g. ci.yml) for get_workflow; a run ID for get_workflow_run, get_workflow_run_usage and get_workflow_run_logs_url; a job ID for get_workflow_job; an artifact ID for download_workflow_run_artifact."`
}

// ActionsGet is what actions_get returns: the resource named by method.
type ActionsGet struct {
	Method      string        `json:"method" jsonschema:"The method that produced this result."`
	Workflow    *Workflow     `json:"workflow,omitempty" jsonschema:"The workflow (get_workflow)."`
	WorkflowRun *WorkflowRun  `json:"workflow_run,omitempty" jsonschema:"The run (get_workflow_run)."`
	WorkflowJob *Job          `json:"workflow_job,omitempty" jsonschema:"The job with its steps (get_workflow_job)."`
	Usage       *RunUsage     `json:"usage,omitempty" jsonschema:"Duration and billable time of the run (get_workflow_run_usage)."`
	Download    *DownloadLink `json:"download,omitempty" jsonschema:"A short-lived download link (get_workflow_run_logs_url, download_workflow_run_artifact)."`
}

var actionsGetMethods = []string{"get_workflow", "get_workflow_run", "get_workflow_job",
	"get_workflow_run_usage", "get_workflow_run_logs_url", "download_workflow_run_artifact"}

func (ts *toolset) actionsGet() serverTool {
	return newTool(ts, ToolsetActions, &mcp.Tool{
		Name:  "actions_get",
		Title: "Get a GitHub Actions workflow, run or job",
		Description: "Get one GitHub Actions resource by ID, by method: get_workflow (ID or file name), get_workflow_run " +
			"(status, conclusion, branch, commit), get_workflow_job (with its steps), get_workflow_run_usage (duration and billable time), " +
			"get_workflow_run_logs_url (a short-lived link to the run's log archive), download_workflow_run_artifact (a short-lived link to an artifact). " +
			"Use get_job_logs for the text of logs.",
		Annotations:  readOnly("Get a GitHub Actions workflow, run or job"),
		InputSchema:  inputSchema[actionsGetInput](withRepo, withEnum("method", "", actionsGetMethods...), withNonEmpty("resource_id")),
		OutputSchema: outputSchema[ActionsGet](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in actionsGetInput) (*mcp.CallToolResult, ActionsGet, error) {
		out := ActionsGet{Method: in.Method}
		if err := in.validate(); err != nil {
			return nil, out, err
		}
		if err := oneOf("method", in.Method, actionsGetMethods...); err != nil || in.Method == "" {
			return nil, out, invalidInput("method must be one of %v", actionsGetMethods)
		}
		id, idErr := parseID("resource_id", in.ResourceID)
		if idErr != nil && in.Method != "get_workflow" {
			return nil, out, idErr
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, out, err
		}
		switch in.Method {
		case "get_workflow":
			var w *github.Workflow
			if idErr == nil {
				w, _, err = gh.Actions.GetWorkflowByID(ctx, in.Owner, in.Repo, id)
			} else {
				w, _, err = gh.Actions.GetWorkflowByFileName(ctx, in.Owner, in.Repo, in.ResourceID)
			}
			if err != nil {
				return nil, out, ts.apiError(err, target{what: "workflow " + in.ResourceID, repo: in.repoRef})
			}
			wf := toWorkflow(w)
			out.Workflow = &wf
		case "get_workflow_run":
			r, _, err := gh.Actions.GetWorkflowRunByID(ctx, in.Owner, in.Repo, id)
			if err != nil {
				return nil, out, ts.apiError(err, target{what: "workflow run " + in.ResourceID, repo: in.repoRef})
			}
			run := toRun(r)
			out.WorkflowRun = &run
		case "get_workflow_job":
			j, _, err := gh.Actions.GetWorkflowJobByID(ctx, in.Owner, in.Repo, id)
			if err != nil {
				return nil, out, ts.apiError(err, target{what: "workflow job " + in.ResourceID, repo: in.repoRef})
			}
			job := toJob(j)
			out.WorkflowJob = &job
		default:
			if err := ts.actionsGetMore(ctx, gh, in, id, &out); err != nil {
				return nil, out, err
			}
		}
		return nil, out, nil
	})
}
