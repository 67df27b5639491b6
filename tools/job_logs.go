// get_job_logs: a workflow job's log, or the failed jobs' logs of a run,
// fetched from the redirect GitHub answers with, trimmed to the budget.

package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/go-github/v92/github"
	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type getJobLogsInput struct {
	repoRef
	JobID         int64 `json:"job_id,omitempty" jsonschema:"The workflow job whose log to read (required unless failed_only)."`
	RunID         int64 `json:"run_id,omitempty" jsonschema:"Workflow run ID (required with failed_only)."`
	FailedOnly    bool  `json:"failed_only,omitempty" jsonschema:"When true, get the logs of every failed job of run_id."`
	ReturnContent *bool `json:"return_content,omitempty" jsonschema:"Return the log text (default true); false returns only which jobs there are and how long their logs are."`
	TailLines     int   `json:"tail_lines,omitempty" jsonschema:"Number of lines to return from the end of each log (default 500); fewer when they would not fit the result size limit."`
}

// JobLog describes one job's log; the text follows as its own text block.
type JobLog struct {
	JobID      int64      `json:"job_id" jsonschema:"The job."`
	Name       string     `json:"name" jsonschema:"Job name."`
	Conclusion string     `json:"conclusion,omitempty" jsonschema:"How the job ended."`
	Log        TextWindow `json:"log" jsonschema:"Which lines of the log follow (the last ones)."`
}

// JobLogs is what get_job_logs returns; each log's text follows as a
// separate text block headed by its job.
type JobLogs struct {
	RunID int64    `json:"run_id,omitempty" jsonschema:"The run, with failed_only."`
	Jobs  []JobLog `json:"jobs" jsonschema:"The jobs whose logs follow, in order."`
	Note  string   `json:"note,omitempty" jsonschema:"Remark, e.g. that no job failed."`
}

const defaultTailLines = 500

func (ts *toolset) getJobLogs() serverTool {
	return newTool(ts, ToolsetActions, &mcp.Tool{
		Name:  "get_job_logs",
		Title: "Get job logs",
		Description: "Download the log of a workflow job (job_id), or the logs of every failed job of a run (run_id with failed_only), " +
			"to find why a workflow failed. Returns the last tail_lines lines of each log as plain text.",
		Annotations: readOnly("Get job logs"),
		InputSchema: inputSchema[getJobLogsInput](withRepo, withMinimum("job_id", 1), withMinimum("run_id", 1), withMinimum("tail_lines", 1),
			func(s *jsonschema.Schema) {
				prop(s, "tail_lines").Default = json.RawMessage(strconv.Itoa(defaultTailLines))
				prop(s, "return_content").Default = json.RawMessage("true")
			}),
		OutputSchema: outputSchema[JobLogs](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in getJobLogsInput) (*mcp.CallToolResult, JobLogs, error) {
		out := JobLogs{Jobs: []JobLog{}}
		if err := in.validate(); err != nil {
			return nil, out, err
		}
		switch {
		case in.FailedOnly && in.RunID == 0:
			return nil, out, invalidInput("failed_only needs run_id")
		case !in.FailedOnly && in.JobID == 0:
			return nil, out, invalidInput("give job_id, or run_id with failed_only true")
		case in.TailLines < 0:
			return nil, out, invalidInput("tail_lines must be 1 or more")
		}
		tailLines := in.TailLines
		if tailLines == 0 {
			tailLines = defaultTailLines
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, out, err
		}
		var jobs []*github.WorkflowJob
		if in.FailedOnly {
			out.RunID = in.RunID
			all, _, err := gh.Actions.ListWorkflowJobs(ctx, in.Owner, in.Repo, in.RunID, &github.ListWorkflowJobsOptions{Filter: "latest", ListOptions: github.ListOptions{PerPage: maxPerPage}})
			if err != nil {
				return nil, out, ts.apiError(err, target{what: fmt.Sprintf("workflow run %d", in.RunID), repo: in.repoRef})
			}
			for _, j := range all.Jobs {
				if j.GetConclusion() == "failure" || j.GetConclusion() == "timed_out" {
					jobs = append(jobs, j)
				}
			}
			if len(jobs) == 0 {
				out.Note = fmt.Sprintf("no job of run %d failed", in.RunID)
				return nil, out, nil
			}
		} else {
			j, _, err := gh.Actions.GetWorkflowJobByID(ctx, in.Owner, in.Repo, in.JobID)
			if err != nil {
				return nil, out, ts.apiError(err, target{what: fmt.Sprintf("workflow job %d", in.JobID), repo: in.repoRef})
			}
			jobs = []*github.WorkflowJob{j}
		}
		withText := in.ReturnContent == nil || *in.ReturnContent
		share := ts.budgetFor(metaReserve+300*len(jobs)) / len(jobs)
		var texts []string
		for _, j := range jobs {
			log, err := ts.jobLog(ctx, gh, in.repoRef, j.GetID())
			if err != nil {
				return nil, out, err
			}
			text, w := tail(log, tailLines, share)
			if !withText {
				text, w.StartLine, w.EndLine = "", 0, 0
			}
			out.Jobs = append(out.Jobs, JobLog{JobID: j.GetID(), Name: j.GetName(), Conclusion: j.GetConclusion(), Log: w})
			if withText {
				texts = append(texts, fmt.Sprintf("=== job %q (%d), %s, lines %d-%d of %d ===\n%s", j.GetName(), j.GetID(), j.GetConclusion(), w.StartLine, w.EndLine, w.TotalLines, text))
			}
		}
		res, err := textResult(out, strings.Join(texts, "\n"))
		return res, out, err
	})
}

// maxLogBytes bounds a log download; the tail of a longer log is what a
// person needs, and the result budget keeps only a part anyway.
const maxLogBytes = 32 << 20

// jobLog downloads a job's log: GitHub answers with a redirect to a
// short-lived URL on its blob storage, fetched without the GitHub token.
func (ts *toolset) jobLog(ctx context.Context, gh *github.Client, repo repoRef, jobID int64) (string, error) {
	u, _, err := gh.Actions.GetWorkflowJobLogs(ctx, repo.Owner, repo.Repo, jobID, 1)
	if err != nil {
		return "", ts.apiError(err, target{what: fmt.Sprintf("the log of job %d", jobID), repo: repo})
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", &toolError{msg: "could not build the log request: " + err.Error(), cause: err}
	}
	resp, err := ts.deps.LogClient.Do(req)
	if err != nil {
		return "", &toolError{msg: "could not download the job log: " + transportMessage(err), cause: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &toolError{msg: fmt.Sprintf("could not download the job log: the log storage answered %d (the log may have expired)", resp.StatusCode)}
	}
	lr := &io.LimitedReader{R: resp.Body, N: maxLogBytes}
	data, err := io.ReadAll(lr)
	if err != nil {
		return "", &toolError{msg: "could not download the job log: " + transportMessage(err), cause: err}
	}
	return string(data), nil
}
