package fakegithub

import (
	"fmt"
	"strings"
	"time"
)

// AddLargeRepo adds owner/name (owner must exist) filled with more of
// everything than a tool result can hold, for tests of result budgets:
// a 150,000-character file of 2,000 lines and a directory of 1,000 files; 120 issues
// with 5,000-character bodies, one with a 300,000-character body and 150
// comments of 2,000 characters on issue #1; a pull request (#121, branch
// big-change) that rewrites the large file and adds 120 files, with 100
// reviews and 100 review comments; 150 branches; 120 commits with long
// messages on main; and a failed workflow run whose job log has 5,000
// lines.
func (f *Fake) AddLargeRepo(owner, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := seedEpoch
	var big strings.Builder
	for i := range 2_000 {
		fmt.Fprintf(&big, "line %05d: %s\n", i+1, strings.Repeat("lorem ipsum ", 5))
	}
	files := map[string]string{"big.txt": big.String(), "README.md": "# " + name + "\n"}
	for i := range 1_000 {
		files[fmt.Sprintf("gen/file-%04d-with-a-rather-long-name.txt", i)] = "x\n"
	}
	r, err := f.addRepo(Repo{Owner: owner, Name: name, Description: "A repository with more of everything than fits", Files: files}, at)
	if err != nil {
		return err
	}
	long := strings.Repeat("All work and no play makes a dull issue. ", 122) // ≈5,000 characters
	for i := range 120 {
		body := long
		if i == 1 {
			body = strings.Repeat(long, 60) // ≈300,000 characters
		}
		is := &issue{title: fmt.Sprintf("Issue %d with a long body", i+1), author: owner, body: body, state: "open", created: at.Add(time.Duration(i) * time.Minute)}
		var comments []string
		if i == 0 {
			for range 150 {
				comments = append(comments, strings.Repeat("A comment that goes on. ", 83))
			}
		}
		f.seedIssue(r, is, comments...)
	}
	for i := range 120 {
		r.change(r.branch, fmt.Sprintf("Commit %d\n\n%s", i+1, strings.Repeat("A long commit message body. ", 40)), owner, at.Add(time.Duration(i)*time.Hour), map[string]string{
			fmt.Sprintf("log/%03d.txt", i): fmt.Sprintf("commit %d\n", i),
		})
	}
	base := r.headSHA()
	edits := map[string]string{"big.txt": strings.ReplaceAll(big.String(), "lorem", "LOREM")}
	for i := range 120 {
		edits[fmt.Sprintf("new/added-%03d.txt", i)] = strings.Repeat(fmt.Sprintf("added line of file %d\n", i), 100)
	}
	head := r.change("big-change", "Rewrite everything", owner, at.Add(200*time.Hour), edits)
	p := &pull{head: "big-change", base: r.branch, baseSHA: base}
	f.seedIssue(r, &issue{title: "Rewrite everything", author: owner, body: long, state: "open", created: at.Add(201 * time.Hour), pull: p})
	for i := range 100 {
		rv := &review{id: f.newID(), author: owner, state: "COMMENTED", body: long, submitted: at.Add(202 * time.Hour), commit: head.sha}
		p.reviews = append(p.reviews, rv)
		p.reviewComments = append(p.reviewComments, &reviewComment{id: f.newID(), reviewID: rv.id, author: owner, body: long, path: "big.txt", line: i + 1, created: rv.submitted, commit: head.sha})
	}
	for i := range 150 {
		r.refs[fmt.Sprintf("heads/feature/a-branch-with-a-long-descriptive-name-%03d", i)] = base
	}
	var log strings.Builder
	for i := range 5_000 {
		fmt.Fprintf(&log, "step output line %06d %s\n", i+1, strings.Repeat("=", 20))
	}
	ci := &workflow{id: f.newID(), name: "CI", path: ".github/workflows/ci.yml", state: "active", created: at}
	r.workflows = append(r.workflows, ci)
	run := f.addRun(r, ci, "pull_request", "big-change", head.sha, owner, at.Add(203*time.Hour), map[string]string{"test": "FAIL\n"})
	run.jobs[0].log = log.String()
	r.statuses[head.sha] = nil
	return nil
}
