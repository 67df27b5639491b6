package tools_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

// failedRun returns the seeded failed run of mona/hello-world and its
// failed job, read through the tools.
func failedRun(t *testing.T, e *testEnv) (tools.WorkflowRun, tools.Job) {
	t.Helper()
	runs := output[tools.ActionsList](t, e.call(t, "actions_list", map[string]any{
		"method": "list_workflow_runs", "owner": "mona", "repo": "hello-world", "workflow_runs_filter": map[string]any{"status": "failure"},
	})).WorkflowRuns
	if len(runs) != 1 {
		t.Fatalf("failed runs = %+v, want one", runs)
	}
	jobs := output[tools.ActionsList](t, e.call(t, "actions_list", map[string]any{
		"method": "list_workflow_jobs", "owner": "mona", "repo": "hello-world", "resource_id": fmt.Sprint(runs[0].ID),
	})).Jobs
	for _, j := range jobs {
		if j.Conclusion == "failure" {
			return runs[0], j
		}
	}
	t.Fatalf("jobs = %+v, want a failed one", jobs)
	return tools.WorkflowRun{}, tools.Job{}
}

func TestActionsList(t *testing.T) {
	valid := map[string]any{"method": "list_workflows", "owner": "mona", "repo": "hello-world"}
	cases := []toolCase{
		{
			name: "list_workflows",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				out := output[tools.ActionsList](t, res)
				if out.TotalCount != 1 || len(out.Workflows) != 1 || out.Workflows[0].Name != "CI" || out.Workflows[0].Path != ".github/workflows/ci.yml" {
					t.Errorf("workflows = %+v", out)
				}
			},
		},
		{
			name: "list_workflow_runs, newest first",
			args: with(valid, "method", "list_workflow_runs"),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				runs := output[tools.ActionsList](t, res).WorkflowRuns
				if len(runs) != 2 || runs[0].Branch != "main" || runs[0].Conclusion != "success" || runs[1].Branch != "fix-blank-name" ||
					runs[1].Conclusion != "failure" || runs[1].Event != "pull_request" || runs[1].Title != "Trim NAME before greeting" {
					t.Errorf("runs = %+v", runs)
				}
			},
		},
		{
			name: "list_workflow_runs of a workflow file, by branch",
			args: with(valid, "method", "list_workflow_runs", "resource_id", "ci.yml", "workflow_runs_filter", map[string]any{"branch": "main"}),
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if runs := output[tools.ActionsList](t, res).WorkflowRuns; len(runs) != 1 || runs[0].Branch != "main" {
					t.Errorf("runs = %+v", runs)
				}
			},
		},
		{
			name: "list_workflow_jobs",
			args: valid,
			check: func(t *testing.T, e *testEnv, _ *mcp.CallToolResult) {
				run, job := failedRun(t, e)
				if job.Name != "test" || job.RunID != run.ID || len(job.Steps) != 2 || job.Steps[1].Conclusion != "failure" {
					t.Errorf("job = %+v", job)
				}
			},
		},
		{
			name: "list_workflow_run_artifacts, with GitHub's per_page",
			args: valid,
			check: func(t *testing.T, e *testEnv, _ *mcp.CallToolResult) {
				run, _ := failedRun(t, e)
				out := output[tools.ActionsList](t, e.call(t, "actions_list", with(valid, "method", "list_workflow_run_artifacts", "resource_id", fmt.Sprint(run.ID), "per_page", 5)))
				if out.TotalCount != 1 || len(out.Artifacts) != 1 || out.Artifacts[0].Name != "test-results" || out.Artifacts[0].RunID != run.ID ||
					out.Artifacts[0].SizeInBytes <= 0 || out.Artifacts[0].Expired {
					t.Errorf("artifacts = %+v", out)
				}
			},
		},
		{
			name: "per_page and perPage (mcpgate's earlier spelling) both page",
			args: valid,
			check: func(t *testing.T, e *testEnv, _ *mcp.CallToolResult) {
				for _, key := range []string{"per_page", "perPage"} {
					out := output[tools.ActionsList](t, e.call(t, "actions_list", with(valid, "method", "list_workflow_runs", key, 1)))
					if len(out.WorkflowRuns) != 1 || out.NextPage != 2 {
						t.Errorf("%s 1: %d runs, next page %d; want 1 and 2", key, len(out.WorkflowRuns), out.NextPage)
					}
				}
			},
		},
		{name: "per_page and perPage that differ", args: with(valid, "per_page", 5, "perPage", 10), wantErr: "invalid arguments: per_page and perPage differ; give per_page only"},
		{name: "list_workflow_run_artifacts without a run", args: with(valid, "method", "list_workflow_run_artifacts"), wantErr: "invalid arguments: list_workflow_run_artifacts needs the run ID"},
		{name: "list_workflow_jobs without a run", args: with(valid, "method", "list_workflow_jobs"), wantErr: "invalid arguments: list_workflow_jobs needs the run ID"},
		{name: "unknown run", args: with(valid, "method", "list_workflow_jobs", "resource_id", "424242"), wantErr: "workflow run 424242 not found"},
		{name: "unknown method", args: with(valid, "method", "list_check_runs"), wantErr: `validating "arguments"`},
	}
	runCases(t, "actions_list", append(cases, commonCases(valid, "method")...))
}

func TestActionsGet(t *testing.T) {
	valid := map[string]any{"method": "get_workflow", "owner": "mona", "repo": "hello-world", "resource_id": "ci.yml"}
	cases := []toolCase{
		{
			name: "get_workflow by file name",
			args: valid,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				if w := output[tools.ActionsGet](t, res).Workflow; w == nil || w.Name != "CI" || w.State != "active" {
					t.Errorf("workflow = %+v", w)
				}
			},
		},
		{
			name: "get_workflow_run and get_workflow_job",
			args: valid,
			check: func(t *testing.T, e *testEnv, _ *mcp.CallToolResult) {
				run, job := failedRun(t, e)
				got := output[tools.ActionsGet](t, e.call(t, "actions_get", with(valid, "method", "get_workflow_run", "resource_id", fmt.Sprint(run.ID))))
				if got.WorkflowRun == nil || got.WorkflowRun.Conclusion != "failure" || got.WorkflowRun.HeadSHA != run.HeadSHA {
					t.Errorf("run = %+v", got.WorkflowRun)
				}
				got = output[tools.ActionsGet](t, e.call(t, "actions_get", with(valid, "method", "get_workflow_job", "resource_id", fmt.Sprint(job.ID))))
				if got.WorkflowJob == nil || got.WorkflowJob.Name != "test" || got.WorkflowJob.Conclusion != "failure" {
					t.Errorf("job = %+v", got.WorkflowJob)
				}
			},
		},
		{
			name: "get_workflow_run_usage",
			args: valid,
			check: func(t *testing.T, e *testEnv, _ *mcp.CallToolResult) {
				run, _ := failedRun(t, e)
				u := output[tools.ActionsGet](t, e.call(t, "actions_get", with(valid, "method", "get_workflow_run_usage", "resource_id", fmt.Sprint(run.ID)))).Usage
				if u == nil || u.RunDurationMS <= 0 || u.Billable["UBUNTU"].Jobs < 1 || u.Billable["UBUNTU"].TotalMS <= 0 {
					t.Errorf("usage = %+v", u)
				}
			},
		},
		{
			name: "get_workflow_run_logs_url and download_workflow_run_artifact: GitHub's signed links",
			args: valid,
			check: func(t *testing.T, e *testEnv, _ *mcp.CallToolResult) {
				run, _ := failedRun(t, e)
				logs := output[tools.ActionsGet](t, e.call(t, "actions_get", with(valid, "method", "get_workflow_run_logs_url", "resource_id", fmt.Sprint(run.ID)))).Download
				if logs == nil || !strings.Contains(logs.URL, fmt.Sprintf("/_fake/actions-run-logs/mona/hello-world/%d?sig=", run.ID)) || !strings.Contains(logs.Note, "about a minute") {
					t.Errorf("logs link = %+v", logs)
				}
				arts := output[tools.ActionsList](t, e.call(t, "actions_list", map[string]any{"method": "list_workflow_run_artifacts", "owner": "mona", "repo": "hello-world",
					"resource_id": fmt.Sprint(run.ID)})).Artifacts
				if len(arts) != 1 {
					t.Fatalf("artifacts = %+v", arts)
				}
				zip := output[tools.ActionsGet](t, e.call(t, "actions_get", with(valid, "method", "download_workflow_run_artifact", "resource_id", fmt.Sprint(arts[0].ID)))).Download
				if zip == nil || !strings.Contains(zip.URL, fmt.Sprintf("/_fake/actions-artifacts/mona/hello-world/%d.zip?sig=", arts[0].ID)) {
					t.Errorf("artifact link = %+v", zip)
				}
			},
		},
		{name: "unknown artifact", args: with(valid, "method", "download_workflow_run_artifact", "resource_id", "12345"), wantErr: "artifact 12345 not found"},
		{name: "run ID that is not a number", args: with(valid, "method", "get_workflow_run", "resource_id", "latest"), wantErr: "invalid arguments: resource_id must be a numeric ID"},
		{name: "unknown workflow", args: with(valid, "resource_id", "deploy.yml"), wantErr: "workflow deploy.yml not found"},
	}
	runCases(t, "actions_get", append(cases, commonCases(valid, "resource_id")...))
}

func TestGetJobLogs(t *testing.T) {
	t.Run("failed_only: the failed job's log, through GitHub's redirect", func(t *testing.T) {
		e := newTestEnv(t)
		run, job := failedRun(t, e)
		res := e.call(t, "get_job_logs", map[string]any{"owner": "mona", "repo": "hello-world", "run_id": run.ID, "failed_only": true})
		out := output[tools.JobLogs](t, res)
		log := bodyText(t, res)
		if len(out.Jobs) != 1 || out.Jobs[0].JobID != job.ID || out.Jobs[0].Log.Truncated ||
			!strings.Contains(log, "--- FAIL: TestGreetBlankName") || !strings.Contains(log, "##[error]Process completed with exit code 1.") {
			t.Errorf("logs %+v:\n%s", out, log)
		}
	})
	t.Run("one job, last lines", func(t *testing.T) {
		e := newTestEnv(t)
		_, job := failedRun(t, e)
		res := e.call(t, "get_job_logs", map[string]any{"owner": "mona", "repo": "hello-world", "job_id": job.ID, "tail_lines": 2})
		w := output[tools.JobLogs](t, res).Jobs[0].Log
		body := bodyText(t, res)
		if w.EndLine != w.TotalLines || w.StartLine != w.TotalLines-1 || !w.Truncated ||
			!strings.HasSuffix(body, "Cleaning up orphan processes\n") || strings.Count(body, "\n") != 3 {
			t.Errorf("window %+v:\n%s", w, body)
		}
	})
	t.Run("return_content false", func(t *testing.T) {
		e := newTestEnv(t)
		_, job := failedRun(t, e)
		res := e.call(t, "get_job_logs", map[string]any{"owner": "mona", "repo": "hello-world", "job_id": job.ID, "return_content": false})
		if out := output[tools.JobLogs](t, res); len(res.Content) != 1 || out.Jobs[0].Log.TotalLines == 0 {
			t.Errorf("result %s, want the job's line count and no text", text(res))
		}
	})
	t.Run("failed_only on a run without failures", func(t *testing.T) {
		e := newTestEnv(t)
		runs := output[tools.ActionsList](t, e.call(t, "actions_list", map[string]any{"method": "list_workflow_runs", "owner": "mona", "repo": "hello-world"})).WorkflowRuns
		out := output[tools.JobLogs](t, e.call(t, "get_job_logs", map[string]any{"owner": "mona", "repo": "hello-world", "run_id": runs[0].ID, "failed_only": true}))
		if len(out.Jobs) != 0 || !strings.Contains(out.Note, "no job of run") {
			t.Errorf("logs = %+v", out)
		}
	})
	valid := map[string]any{"owner": "mona", "repo": "hello-world", "job_id": 1}
	cases := []toolCase{
		{name: "unknown job", args: valid, wantErr: "workflow job 1 not found"},
		{name: "failed_only without run", args: with(without(valid, "job_id"), "failed_only", true), wantErr: "invalid arguments: failed_only needs run_id"},
		{name: "neither job nor run", args: without(valid, "job_id"), wantErr: "invalid arguments: give job_id"},
	}
	runCases(t, "get_job_logs", append(cases, commonCases(valid, "owner")...))
}
