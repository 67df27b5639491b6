package fakegithub_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// rawGet sends an authenticated GET to the fake's API without following
// redirects.
func rawGet(t *testing.T, f *fakegithub.Fake, token, path, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(f.APIBaseURL(), "/")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestDiffMediaType(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{})
	token := f.IssueToken("mona")
	for _, path := range []string{
		"/repos/mona/hello-world/pulls/3",
		"/repos/mona/hello-world/commits/fix-blank-name",
		"/repos/mona/hello-world/compare/main...fix-blank-name",
	} {
		for _, accept := range []string{"application/vnd.github.diff", "application/vnd.github.v3.diff"} {
			resp, body := rawGet(t, f, token, path, accept)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
				!strings.HasPrefix(body, "diff --git a/main.go b/main.go\nindex ") || !strings.Contains(body, "\n--- a/main.go\n+++ b/main.go\n@@ -") {
				t.Errorf("GET %s (%s): %d %q\n%s", path, accept, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
	}
	// Without the media type, the same paths answer JSON.
	resp, body := rawGet(t, f, token, "/repos/mona/hello-world/pulls/3", "application/vnd.github+json")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"changed_files":1`) {
		t.Errorf("JSON pull request: %q %s", resp.Header.Get("Content-Type"), body)
	}
}

func TestJobLogsRedirect(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{})
	token := f.IssueToken("mona")
	mona := apiClient(t, f, token)
	runs, _, err := mona.Actions.ListRepositoryWorkflowRuns(t.Context(), "mona", "hello-world", &gh.ListWorkflowRunsOptions{Status: "failure"})
	if err != nil || len(runs.WorkflowRuns) != 1 {
		t.Fatalf("failed runs: %v %v", runs, err)
	}
	jobs, _, err := mona.Actions.ListWorkflowJobs(t.Context(), "mona", "hello-world", runs.WorkflowRuns[0].GetID(), nil)
	if err != nil || len(jobs.Jobs) != 2 {
		t.Fatalf("jobs: %v %v", jobs, err)
	}
	job := jobs.Jobs[1]
	resp, _ := rawGet(t, f, token, "/repos/mona/hello-world/actions/jobs/"+itoa(job.GetID())+"/logs", "")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(loc, "/_fake/actions-logs/mona/hello-world/") || !strings.Contains(loc, "sig=") {
		t.Fatalf("logs: %d Location %q, want a 302 to a signed URL", resp.StatusCode, loc)
	}
	// The signed URL needs no token, as GitHub's blob storage.
	logResp, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := io.ReadAll(logResp.Body)
	logResp.Body.Close()
	if logResp.StatusCode != http.StatusOK || !strings.Contains(string(log), "--- FAIL: TestGreetBlankName") {
		t.Errorf("log: %d %s", logResp.StatusCode, log)
	}
	bad, err := http.Get(strings.Replace(loc, "sig=", "sig=0", 1))
	if err != nil {
		t.Fatal(err)
	}
	bad.Body.Close()
	if bad.StatusCode != http.StatusForbidden {
		t.Errorf("tampered log URL: %d, want 403", bad.StatusCode)
	}
	// go-github's helper reads the same Location.
	u, _, err := mona.Actions.GetWorkflowJobLogs(t.Context(), "mona", "hello-world", job.GetID(), 1)
	if err != nil || u.String() != loc {
		t.Errorf("GetWorkflowJobLogs = %v, %v; want %s", u, err, loc)
	}
}

func TestContentsPutAndRefs(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{})
	mona := apiClient(t, f, f.IssueToken("mona"))
	hubot := apiClient(t, f, f.IssueToken("hubot"))
	ctx := t.Context()
	main, _, err := mona.Git.GetRef(ctx, "mona", "hello-world", "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	ref, resp, err := mona.Git.CreateRef(ctx, "mona", "hello-world", gh.CreateRef{Ref: "refs/heads/topic", SHA: main.GetObject().GetSHA()})
	if err != nil || resp.StatusCode != http.StatusCreated || ref.GetRef() != "refs/heads/topic" {
		t.Fatalf("create ref: %v %v", ref, err)
	}
	if _, _, err := mona.Git.CreateRef(ctx, "mona", "hello-world", gh.CreateRef{Ref: "refs/heads/topic", SHA: main.GetObject().GetSHA()}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("second create: %v, want 422", err)
	}
	if _, _, err := hubot.Git.CreateRef(ctx, "mona", "hello-world", gh.CreateRef{Ref: "refs/heads/x", SHA: main.GetObject().GetSHA()}); statusOf(err) != http.StatusForbidden {
		t.Errorf("create without push access: %v, want 403", err)
	}
	put := func(c *gh.Client, path, content, sha string) (*gh.RepositoryContentResponse, *gh.Response, error) {
		o := &gh.RepositoryContentFileOptions{Message: new("edit " + path), Content: []byte(content), Branch: new("topic")}
		if sha != "" {
			o.SHA = &sha
		}
		return c.Repositories.CreateFile(ctx, "mona", "hello-world", path, o)
	}
	created, resp, err := put(mona, "NOTES.md", "one\n", "")
	if err != nil || resp.StatusCode != http.StatusCreated || created.GetContent().GetSHA() == "" || created.Commit.GetSHA() == "" {
		t.Fatalf("create file: %v %v", created, err)
	}
	if _, _, err := put(mona, "NOTES.md", "two\n", ""); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("update without sha: %v, want 422", err)
	}
	if _, _, err := put(mona, "NOTES.md", "two\n", strings.Repeat("0", 40)); statusOf(err) != http.StatusConflict {
		t.Errorf("update with a stale sha: %v, want 409", err)
	}
	updated, resp, err := put(mona, "NOTES.md", "two\n", created.GetContent().GetSHA())
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("update: %v %v", updated, err)
	}
	cmp, _, err := mona.Repositories.CompareCommits(ctx, "mona", "hello-world", "main", "topic", nil)
	if err != nil || cmp.GetStatus() != "ahead" || cmp.GetAheadBy() != 2 || len(cmp.Files) != 1 || cmp.Files[0].GetFilename() != "NOTES.md" || cmp.Files[0].GetStatus() != "added" {
		t.Errorf("compare: %+v %v", cmp, err)
	}
	// The default branch is untouched; the file is on topic only.
	if _, _, _, err := mona.Repositories.GetContents(ctx, "mona", "hello-world", "NOTES.md", nil); statusOf(err) != http.StatusNotFound {
		t.Errorf("NOTES.md on main: %v, want 404", err)
	}
	file, _, _, err := mona.Repositories.GetContents(ctx, "mona", "hello-world", "NOTES.md", &gh.RepositoryContentGetOptions{Ref: "topic"})
	if text, _ := file.GetContent(); err != nil || text != "two\n" {
		t.Errorf("NOTES.md on topic = %q, %v", text, err)
	}
}

func TestSearchAndIssueUpdate(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{})
	mona := apiClient(t, f, f.IssueToken("mona"))
	ctx := t.Context()
	res, _, err := mona.Search.Issues(ctx, "is:pr is:open repo:mona/hello-world", nil)
	if err != nil || res.GetTotal() != 1 || res.Issues[0].GetNumber() != 3 || !res.Issues[0].IsPullRequest() {
		t.Errorf("search issues: %+v %v", res, err)
	}
	code, _, err := mona.Search.Code(ctx, "TrimSpace", &gh.SearchOptions{TextMatch: true})
	if err != nil || code.GetTotal() != 0 {
		t.Errorf("code search sees only default branches: %+v %v", code, err)
	}
	closed, _, err := mona.Issues.Update(ctx, "mona", "hello-world", 4, gh.UpdateIssueRequest{State: new("closed"), StateReason: new("not_planned")})
	if err != nil || closed.GetState() != "closed" || closed.GetStateReason() != "not_planned" || closed.ClosedAt == nil {
		t.Errorf("close: %+v %v", closed, err)
	}
	raw, _ := json.Marshal(closed)
	if !strings.Contains(string(raw), `"state_reason":"not_planned"`) {
		t.Errorf("closed issue JSON %s", raw)
	}
}

func TestRateLimitedAnswer(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{})
	token := f.IssueToken("mona")
	reset := time.Now().Add(time.Hour).Truncate(time.Second)
	f.SetRateLimited(reset)
	resp, body := rawGet(t, f, token, "/repos/mona/hello-world/compare/main...fix-blank-name", "")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-RateLimit-Remaining") != "0" ||
		resp.Header.Get("X-RateLimit-Reset") != itoa(reset.Unix()) || !strings.Contains(body, "API rate limit exceeded for user ID 1001.") {
		t.Errorf("rate limited: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	_, _, err := apiClient(t, f, token).Actions.ListWorkflows(t.Context(), "mona", "hello-world", nil)
	if _, ok := err.(*gh.RateLimitError); !ok {
		t.Errorf("go-github sees %T %v, want *github.RateLimitError", err, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
