package fakegithub

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// gitCommit is one commit of the fake's git model: a full snapshot of the
// repository's files (small demo repositories make snapshots cheaper than
// trees), its parents and who made it.
type gitCommit struct {
	sha     string
	parents []string
	message string
	author  string // login
	date    time.Time
	files   map[string]string
}

// initGit gives a new repository its first commit on the default branch.
func (r *repo) initGit(at time.Time) {
	r.refs = map[string]string{}
	r.commits = map[string]*gitCommit{}
	r.commit(r.branch, "Initial commit", r.owner, at, r.files)
}

// commit records a commit of files on branch (creating the branch when it
// does not exist) and returns it. The default branch's snapshot is also
// kept in r.files, which the contents API and search read.
func (r *repo) commit(branch, message, author string, at time.Time, files map[string]string) *gitCommit {
	var parents []string
	if head, ok := r.refs["heads/"+branch]; ok {
		parents = []string{head}
	}
	c := &gitCommit{parents: parents, message: message, author: author, date: at, files: maps.Clone(files)}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n%s\n%s\n%d\n", r.fullName(), strings.Join(parents, ","), message, author, at.Unix())
	// Paths and sizes (not contents, which would make large fixtures slow
	// to build) stand in for the tree: with the parent, message, author and
	// time they keep commit IDs distinct and stable.
	for _, p := range sortedKeys(files) {
		fmt.Fprintf(&b, "%s %d\n", p, len(files[p]))
	}
	c.sha = shaOf("commit", b.String())
	r.commits[c.sha] = c
	r.refs["heads/"+branch] = c.sha
	if branch == r.branch {
		r.files = maps.Clone(files)
		if at.After(r.pushed) {
			r.pushed = at
		}
	}
	return c
}

// change commits a modification of some files on branch: content "" deletes
// a path.
func (r *repo) change(branch, message, author string, at time.Time, edits map[string]string) *gitCommit {
	head := r.commits[r.refs["heads/"+branch]]
	if head == nil {
		head = r.commits[r.refs["heads/"+r.branch]]
	}
	files := maps.Clone(head.files)
	for p, c := range edits {
		if c == "" {
			delete(files, p)
		} else {
			files[p] = c
		}
	}
	if _, ok := r.refs["heads/"+branch]; !ok {
		r.refs["heads/"+branch] = head.sha
	}
	return r.commit(branch, message, author, at, files)
}

// resolve turns a branch, tag, full or abbreviated (7+) commit SHA, or a
// qualified ref (refs/heads/x, heads/x, refs/tags/x, refs/pull/N/head) into a
// commit, or nil.
func (r *repo) resolve(ref string) *gitCommit {
	if ref == "" {
		ref = r.branch
	}
	ref = strings.TrimPrefix(ref, "refs/")
	if _, name, ok := strings.Cut(ref, ":"); ok { // owner:branch of a pull request head
		ref = name
	}
	for _, k := range []string{ref, "heads/" + ref, "tags/" + ref} {
		if sha, ok := r.refs[k]; ok {
			return r.commits[sha]
		}
	}
	var n int
	if _, err := fmt.Sscanf(ref, "pull/%d/head", &n); err == nil && n >= 1 && n <= len(r.issues) && r.issues[n-1].pull != nil {
		return r.resolve(r.issues[n-1].pull.head)
	}
	if c, ok := r.commits[ref]; ok {
		return c
	}
	if len(ref) >= 7 && isHex(ref) {
		for sha, c := range r.commits {
			if strings.HasPrefix(sha, ref) {
				return c
			}
		}
	}
	return nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// headSHA is the commit at the tip of the default branch.
func (r *repo) headSHA() string { return r.refs["heads/"+r.branch] }

// history returns the commits reachable from c by first parents, newest
// first.
func (r *repo) history(c *gitCommit) []*gitCommit {
	var out []*gitCommit
	for c != nil {
		out = append(out, c)
		if len(c.parents) == 0 {
			break
		}
		c = r.commits[c.parents[0]]
	}
	return out
}

// branchNames returns the branches, sorted.
func (r *repo) branchNames() []string {
	var names []string
	for k := range r.refs {
		if name, ok := strings.CutPrefix(k, "heads/"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// compare returns the commits on head's first-parent line that base's line
// lacks (oldest first), how many of base's commits head lacks, and the
// merge base.
func (r *repo) compare(base, head *gitCommit) (ahead []*gitCommit, behind int, mergeBase *gitCommit) {
	baseLine := r.history(base)
	onBase := map[string]bool{}
	for _, c := range baseLine {
		onBase[c.sha] = true
	}
	for _, c := range r.history(head) {
		if onBase[c.sha] {
			mergeBase = c
			break
		}
		ahead = append(ahead, c)
	}
	slices.Reverse(ahead)
	if mergeBase == nil {
		return ahead, len(baseLine), nil
	}
	for _, c := range baseLine {
		if c.sha == mergeBase.sha {
			break
		}
		behind++
	}
	return ahead, behind, mergeBase
}

// fileChange is one file of a diff between two snapshots.
type fileChange struct {
	path      string
	status    string // added, modified, removed
	before    string
	after     string
	additions int
	deletions int
	patch     string
}

// diffFiles compares two snapshots, by path.
func diffFiles(before, after map[string]string) []fileChange {
	paths := map[string]bool{}
	for p := range before {
		paths[p] = true
	}
	for p := range after {
		paths[p] = true
	}
	var out []fileChange
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		a, inA := before[p]
		b, inB := after[p]
		if inA && inB && a == b {
			continue
		}
		fc := fileChange{path: p, before: a, after: b, status: "modified"}
		switch {
		case !inA:
			fc.status = "added"
		case !inB:
			fc.status = "removed"
		}
		fc.patch, fc.additions, fc.deletions = unifiedHunk(a, b)
		out = append(out, fc)
	}
	return out
}

// splitLines splits text into lines without their newlines.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// unifiedHunk is a one-hunk unified diff of a and b: the common prefix and
// suffix are kept (three lines of context), everything between is removed
// and added. It is a valid, if not minimal, diff.
func unifiedHunk(a, b string) (patch string, additions, deletions int) {
	al, bl := splitLines(a), splitLines(b)
	pre := 0
	for pre < len(al) && pre < len(bl) && al[pre] == bl[pre] {
		pre++
	}
	suf := 0
	for suf < len(al)-pre && suf < len(bl)-pre && al[len(al)-1-suf] == bl[len(bl)-1-suf] {
		suf++
	}
	const ctx = 3
	start := max(pre-ctx, 0)
	endA := min(len(al)-suf+ctx, len(al))
	endB := min(len(bl)-suf+ctx, len(bl))
	var body strings.Builder
	for _, l := range al[start:pre] {
		body.WriteString(" " + l + "\n")
	}
	for _, l := range al[pre : len(al)-suf] {
		body.WriteString("-" + l + "\n")
		deletions++
	}
	for _, l := range bl[pre : len(bl)-suf] {
		body.WriteString("+" + l + "\n")
		additions++
	}
	for _, l := range al[len(al)-suf : endA] {
		body.WriteString(" " + l + "\n")
	}
	hunkRange := func(from, to int) string {
		n := to - from
		if n == 0 {
			return fmt.Sprintf("%d,0", from)
		}
		return fmt.Sprintf("%d,%d", from+1, n)
	}
	patch = fmt.Sprintf("@@ -%s +%s @@\n", hunkRange(start, endA), hunkRange(start, endB)) + body.String()
	return strings.TrimSuffix(patch, "\n"), additions, deletions
}

// gitDiff renders changes as `git diff` output, the text GitHub serves for
// the diff media type.
func gitDiff(changes []fileChange) string {
	var b strings.Builder
	for _, fc := range changes {
		fmt.Fprintf(&b, "diff --git a/%s b/%s\n", fc.path, fc.path)
		from, to := "a/"+fc.path, "b/"+fc.path
		switch fc.status {
		case "added":
			b.WriteString("new file mode 100644\n")
			from = "/dev/null"
		case "removed":
			b.WriteString("deleted file mode 100644\n")
			to = "/dev/null"
		}
		fmt.Fprintf(&b, "index %s..%s\n--- %s\n+++ %s\n", shortBlob(fc.before, fc.status != "added"), shortBlob(fc.after, fc.status != "removed"), from, to)
		b.WriteString(fc.patch + "\n")
	}
	return b.String()
}

func shortBlob(content string, exists bool) string {
	if !exists {
		return "0000000"
	}
	return shaOf("blob", content)[:7]
}
