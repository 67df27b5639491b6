package fakegithub

import (
	"strings"
	"time"
)

// seedHelloHistory gives mona/hello-world a history that matches its
// issues and pull requests: the getting-started guide on main (tagged
// v1.0), the branch of pull request #3 (open, with a review asking for a
// test and a failing CI run), and the branch of pull request #5, merged by
// fast-forward. It also adds the CI workflow's runs, a commit status and a
// sub-issue.
func (f *Fake) seedHelloHistory(r *repo) {
	guide := r.change("main", "Add a getting-started guide", "hubot", day(3), map[string]string{
		"docs/getting-started.md": "# Getting started\n\n1. Install Go 1.26.\n2. Clone the repository.\n3. Run `go run .`.\n",
	})
	r.refs["tags/v1.0"] = guide.sha

	fix := r.issues[2].pull
	fix.baseSHA = r.headSHA()
	fixHead := r.change("fix-blank-name", "Trim NAME before greeting", "hubot", day(6), map[string]string{
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"strings\"\n)\n\nfunc main() {\n\tname := strings.TrimSpace(os.Getenv(\"NAME\"))\n\tif name == \"\" {\n\t\tname = \"World\"\n\t}\n\tfmt.Printf(\"Hello, %s!\\n\", name)\n}\n",
	})

	docs := r.issues[4].pull
	docs.baseSHA = r.headSHA()
	r.change("api-docs", "Document the API", "mona", day(9), map[string]string{
		"docs/api.md": "# API\n\nThe greeter has no API yet; it prints one line.\n",
	})
	docsHead := r.change("api-docs", "Link the API docs from the README", "mona", day(9).Add(time.Hour), map[string]string{
		"README.md": r.files["README.md"] + "The API is described in [docs/api.md](docs/api.md).\n",
	})
	r.refs["heads/main"] = docsHead.sha // merged by fast-forward
	r.files = docsHead.files

	at := day(6).Add(2 * time.Hour)
	fix.reviews = []*review{
		{id: f.newID(), author: "mona", state: "CHANGES_REQUESTED", body: "Thanks! Please add a test for a blank NAME.", submitted: at, commit: fixHead.sha},
	}
	fix.reviewComments = []*reviewComment{
		{id: f.newID(), reviewID: fix.reviews[0].id, author: "mona", body: "Could this use strings.TrimSpace on the fallback too?", path: "main.go", line: 10, created: at, commit: fixHead.sha},
	}
	fix.reviewComments = append(fix.reviewComments, &reviewComment{
		id: f.newID(), author: "hubot", body: "The fallback is a constant, so there is nothing to trim.", path: "main.go", line: 10,
		created: at.Add(time.Hour), commit: fixHead.sha, inReplyTo: fix.reviewComments[0].id,
	})
	docs.reviews = []*review{
		{id: f.newID(), author: "hubot", state: "APPROVED", body: "Looks good to me.", submitted: day(9).Add(3 * time.Hour), commit: docsHead.sha},
	}

	r.issues[3].subIssues = []int{2}

	ci := &workflow{id: f.newID(), name: "CI", path: ".github/workflows/ci.yml", state: "active", created: day(0)}
	r.workflows = []*workflow{ci}
	f.addRun(r, ci, "pull_request", "fix-blank-name", fixHead.sha, "hubot", day(6), map[string]string{
		"build": "",
		"test":  "--- FAIL: TestGreetBlankName (0.00s)\n    main_test.go:14: greet(\"  \") = \"Hello,   !\", want \"Hello, World!\"\nFAIL\nFAIL\tgithub.com/mona/hello-world\t0.004s\n",
	})
	f.addRun(r, ci, "push", "main", docsHead.sha, "mona", day(10), map[string]string{"build": "", "test": ""})
	r.statuses[fixHead.sha] = []*commitStatus{
		{id: f.newID(), state: "success", context: "deploy/preview", description: "Preview ready", targetURL: "https://preview.example.com/hello-world/3", created: day(6).Add(30 * time.Minute)},
	}
}

// addRun adds a completed workflow run with one job per entry of jobs: an
// empty failure text means the job succeeded; otherwise the job failed with
// that text at the end of its log.
func (f *Fake) addRun(r *repo, w *workflow, event, branch, sha, actor string, at time.Time, jobs map[string]string) *workflowRun {
	run := &workflowRun{
		id: f.newID(), workflowID: w.id, name: w.name, event: event, branch: branch, sha: sha, actor: actor,
		number: len(r.runs) + 1, status: "completed", conclusion: "success", created: at, updated: at.Add(3 * time.Minute),
	}
	for i, name := range sortedKeys(jobs) {
		failure := jobs[name]
		start := at.Add(time.Duration(i) * time.Minute)
		job := &workflowJob{id: f.newID(), name: name, status: "completed", conclusion: "success", started: start, completed: start.Add(time.Minute)}
		job.log = jobLog(name, start, failure)
		if failure != "" {
			job.conclusion = "failure"
			run.conclusion = "failure"
		}
		run.jobs = append(run.jobs, job)
	}
	r.runs = append(r.runs, run)
	return run
}

// jobLog writes a job log in the shape GitHub's runners do: every line
// starts with an RFC 3339 timestamp with seven fractional digits.
func jobLog(name string, start time.Time, failure string) string {
	var b strings.Builder
	line := func(s string) {
		b.WriteString(start.UTC().Format("2006-01-02T15:04:05.0000000Z") + " " + s + "\n")
		start = start.Add(time.Second)
	}
	line("##[group]Run actions/checkout@v4")
	line("Syncing repository: mona/hello-world")
	line("##[endgroup]")
	line("##[group]Run actions/setup-go@v5")
	line("Setup go version spec 1.26")
	line("##[endgroup]")
	switch name {
	case "build":
		line("##[group]Run go build ./...")
		line("##[endgroup]")
	default:
		line("##[group]Run go test ./...")
		line("##[endgroup]")
	}
	for l := range strings.SplitSeq(strings.TrimSuffix(failure, "\n"), "\n") {
		if l != "" {
			line(l)
		}
	}
	if failure != "" {
		line("##[error]Process completed with exit code 1.")
	} else {
		line("ok  \tgithub.com/mona/hello-world\t0.003s")
	}
	line("Cleaning up orphan processes")
	return b.String()
}
