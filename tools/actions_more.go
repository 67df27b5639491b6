package tools

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/go-github/v92/github"
)

// The methods of actions_list and actions_get beyond workflows, runs and
// jobs, as GitHub's server names them: list_workflow_run_artifacts,
// get_workflow_run_usage, get_workflow_run_logs_url and
// download_workflow_run_artifact.

// Artifact is a file a workflow run uploaded.
type Artifact struct {
	ID          int64  `json:"id" jsonschema:"Artifact ID (resource_id for actions_get download_workflow_run_artifact)."`
	Name        string `json:"name" jsonschema:"Artifact name."`
	SizeInBytes int64  `json:"size_in_bytes" jsonschema:"Size of the archive."`
	Expired     bool   `json:"expired" jsonschema:"True once GitHub has deleted it."`
	Digest      string `json:"digest,omitempty" jsonschema:"Content digest, e.g. sha256:…"`
	CreatedAt   string `json:"created_at,omitempty" jsonschema:"Upload time (RFC 3339, UTC)."`
	ExpiresAt   string `json:"expires_at,omitempty" jsonschema:"When GitHub deletes it (RFC 3339, UTC)."`
	RunID       int64  `json:"workflow_run_id,omitempty" jsonschema:"The run that uploaded it."`
	HeadBranch  string `json:"head_branch,omitempty" jsonschema:"Branch of that run."`
}

func toArtifact(a *github.Artifact) Artifact {
	return Artifact{
		ID: a.GetID(), Name: a.GetName(), SizeInBytes: a.GetSizeInBytes(), Expired: a.GetExpired(), Digest: a.GetDigest(),
		CreatedAt: timestamp(a.CreatedAt), ExpiresAt: timestamp(a.ExpiresAt),
		RunID: a.GetWorkflowRun().GetID(), HeadBranch: a.GetWorkflowRun().GetHeadBranch(),
	}
}

// RunUsage is how long a run took and the billable time of its jobs.
type RunUsage struct {
	RunDurationMS int64                   `json:"run_duration_ms" jsonschema:"Wall-clock duration of the run, in milliseconds."`
	Billable      map[string]BillableTime `json:"billable,omitempty" jsonschema:"Billable time by runner OS (UBUNTU, MACOS, WINDOWS)."`
}

// BillableTime is the billable time on one runner OS.
type BillableTime struct {
	TotalMS int64 `json:"total_ms" jsonschema:"Billable milliseconds."`
	Jobs    int   `json:"jobs" jsonschema:"Number of jobs."`
}

// DownloadLink is a short-lived URL GitHub signs for an archive.
type DownloadLink struct {
	URL  string `json:"url" jsonschema:"Where to download the archive (a zip); the link expires after about a minute."`
	Note string `json:"note" jsonschema:"What the link is and how long it works."`
}

// listRunArtifacts is actions_list list_workflow_run_artifacts.
func (ts *toolset) listRunArtifacts(ctx context.Context, gh *github.Client, in actionsListInput, runID int64, lo github.ListOptions, out *ActionsList) (*github.Response, error) {
	list, resp, err := gh.Actions.ListWorkflowRunArtifacts(ctx, in.Owner, in.Repo, runID, &lo)
	if err != nil {
		return nil, ts.apiError(err, target{what: "workflow run " + in.ResourceID, repo: in.repoRef})
	}
	out.TotalCount, out.Artifacts = int(list.GetTotalCount()), []Artifact{}
	for _, a := range list.Artifacts {
		out.Artifacts = append(out.Artifacts, toArtifact(a))
	}
	return resp, nil
}

// actionsGetMore answers the actions_get methods of this file; id is the
// run ID (the artifact ID for download_workflow_run_artifact).
func (ts *toolset) actionsGetMore(ctx context.Context, gh *github.Client, in actionsGetInput, id int64, out *ActionsGet) error {
	runTarget := target{what: "workflow run " + in.ResourceID, repo: in.repoRef}
	switch in.Method {
	case "get_workflow_run_usage":
		u, _, err := gh.Actions.GetWorkflowRunUsageByID(ctx, in.Owner, in.Repo, id)
		if err != nil {
			return ts.apiError(err, runTarget)
		}
		usage := RunUsage{RunDurationMS: u.GetRunDurationMS()}
		if b := u.GetBillable(); b != nil && len(*b) > 0 {
			usage.Billable = map[string]BillableTime{}
			for os, bill := range *b {
				usage.Billable[os] = BillableTime{TotalMS: bill.GetTotalMS(), Jobs: bill.GetJobs()}
			}
		}
		out.Usage = &usage
	case "get_workflow_run_logs_url":
		u, resp, err := gh.Actions.GetWorkflowRunLogs(ctx, in.Owner, in.Repo, id, 2)
		if err != nil {
			return ts.apiError(redirectError(err, resp), runTarget)
		}
		out.Download = &DownloadLink{URL: u.String(),
			Note: "a zip of the logs of every job of the run; the link works for about a minute. get_job_logs returns the text of a job's log (or of every failed job, with run_id and failed_only) directly."}
	case "download_workflow_run_artifact":
		u, resp, err := gh.Actions.DownloadArtifact(ctx, in.Owner, in.Repo, id, 2)
		if err != nil {
			return ts.apiError(redirectError(err, resp), target{what: "artifact " + in.ResourceID, repo: in.repoRef})
		}
		out.Download = &DownloadLink{URL: u.String(), Note: "the artifact as a zip; the link works for about a minute."}
	}
	return nil
}

// redirectError turns the error go-github gives when an endpoint that
// answers with a redirect answers otherwise ("unexpected status code")
// into GitHub's error answer, so that apiError phrases a 404 or 403 as for
// any other endpoint.
func redirectError(err error, resp *github.Response) error {
	var known *github.ErrorResponse
	if errors.As(err, &known) || resp == nil || resp.Response == nil || resp.StatusCode < 400 {
		return err
	}
	return &github.ErrorResponse{Response: resp.Response, Message: http.StatusText(resp.StatusCode)}
}
