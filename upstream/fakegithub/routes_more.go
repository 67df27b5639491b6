package fakegithub

import "net/http"

// moreRoutes adds the endpoints of the git model, pull request reviews,
// statuses, Actions and search (routes in fake.go calls it, with api
// registering a REST handler under the API prefix).
func (f *Fake) moreRoutes(mux *http.ServeMux, api func(pattern string, h func(*call))) {
	api("PATCH /repos/{owner}/{repo}/issues/{number}", f.updateIssue)
	api("GET /repos/{owner}/{repo}/issues/{number}/labels", f.listIssueLabels)
	api("GET /repos/{owner}/{repo}/issues/{number}/sub_issues", f.listSubIssues)
	api("POST /repos/{owner}/{repo}/pulls", f.createPull)
	api("GET /repos/{owner}/{repo}/pulls/{number}/files", f.listPullFiles)
	api("GET /repos/{owner}/{repo}/pulls/{number}/reviews", f.listReviews)
	api("GET /repos/{owner}/{repo}/pulls/{number}/comments", f.listReviewComments)
	api("GET /repos/{owner}/{repo}/branches", f.listBranches)
	api("GET /repos/{owner}/{repo}/commits", f.listCommits)
	api("GET /repos/{owner}/{repo}/commits/{ref}", f.getCommit)
	api("GET /repos/{owner}/{repo}/commits/{ref}/status", f.combinedStatus)
	api("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", f.checkRuns)
	api("GET /repos/{owner}/{repo}/compare/{basehead}", f.compare)
	api("GET /repos/{owner}/{repo}/git/ref/{ref...}", f.getRef)
	api("POST /repos/{owner}/{repo}/git/refs", f.createRef)
	api("PUT /repos/{owner}/{repo}/contents/{path...}", f.putContents)
	api("GET /repos/{owner}/{repo}/actions/workflows", f.listWorkflows)
	api("GET /repos/{owner}/{repo}/actions/workflows/{workflow}", f.getWorkflow)
	api("GET /repos/{owner}/{repo}/actions/workflows/{workflow}/runs", f.listRuns)
	api("GET /repos/{owner}/{repo}/actions/runs", f.listRuns)
	api("GET /repos/{owner}/{repo}/actions/runs/{run}", f.getRun)
	api("GET /repos/{owner}/{repo}/actions/runs/{run}/jobs", f.listJobs)
	api("GET /repos/{owner}/{repo}/actions/jobs/{job}", f.getJob)
	api("GET /repos/{owner}/{repo}/actions/jobs/{job}/logs", f.jobLogs)
	api("GET /repos/{owner}/{repo}/actions/runs/{run}/artifacts", f.listRunArtifacts)
	api("GET /repos/{owner}/{repo}/actions/runs/{run}/timing", f.runTiming)
	api("GET /repos/{owner}/{repo}/actions/runs/{run}/logs", f.runLogs)
	api("GET /repos/{owner}/{repo}/actions/artifacts/{artifact}/zip", f.artifactZip)
	api("GET /repos/{owner}/{repo}/issues/{number}/parent", f.getIssueParent)
	api("GET /repos/{owner}/{repo}/pulls/{number}/commits", f.listPullCommits)
	api("GET /search/issues", f.searchIssues)
	api("GET /search/code", f.searchCode)
	// The signed log URLs live outside the API, on the "blob storage" side.
	mux.HandleFunc("GET /_fake/actions-logs/{owner}/{repo}/{job}", f.serveLog)
}
