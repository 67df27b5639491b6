package fakegithub

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"
)

type gitPersonJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  stamp  `json:"date"`
}

type treeRefJSON struct {
	SHA string `json:"sha"`
	URL string `json:"url"`
}

type parentJSON struct {
	SHA     string `json:"sha"`
	URL     string `json:"url"`
	HTMLURL string `json:"html_url"`
}

type gitCommitJSON struct {
	Author       gitPersonJSON `json:"author"`
	Committer    gitPersonJSON `json:"committer"`
	Message      string        `json:"message"`
	Tree         treeRefJSON   `json:"tree"`
	URL          string        `json:"url"`
	CommentCount int           `json:"comment_count"`
}

type statsJSON struct {
	Total     int `json:"total"`
	Additions int `json:"additions"`
	Deletions int `json:"deletions"`
}

type fileJSON struct {
	SHA         string `json:"sha"`
	Filename    string `json:"filename"`
	Status      string `json:"status"`
	Additions   int    `json:"additions"`
	Deletions   int    `json:"deletions"`
	Changes     int    `json:"changes"`
	BlobURL     string `json:"blob_url"`
	RawURL      string `json:"raw_url"`
	ContentsURL string `json:"contents_url"`
	Patch       string `json:"patch,omitempty"`
}

type commitJSON struct {
	SHA         string         `json:"sha"`
	NodeID      string         `json:"node_id"`
	Commit      gitCommitJSON  `json:"commit"`
	URL         string         `json:"url"`
	HTMLURL     string         `json:"html_url"`
	CommentsURL string         `json:"comments_url"`
	Author      simpleUserJSON `json:"author"`
	Committer   simpleUserJSON `json:"committer"`
	Parents     []parentJSON   `json:"parents"`
	Stats       *statsJSON     `json:"stats,omitempty"`
	Files       []fileJSON     `json:"files,omitempty"`
}

func (rd render) person(login string, at time.Time) gitPersonJSON {
	p := gitPersonJSON{Name: login, Email: login + "@users.noreply.example.com", Date: stamp(at)}
	if u := rd.f.user(login); u != nil && u.Name != "" {
		p.Name = u.Name
	}
	return p
}

func (rd render) commit(r *repo, c *gitCommit, withFiles bool) commitJSON {
	api := rd.api + "/repos/" + r.fullName()
	j := commitJSON{
		SHA:    c.sha,
		NodeID: nodeID("Commit", int64(len(c.sha))),
		Commit: gitCommitJSON{
			Author: rd.person(c.author, c.date), Committer: rd.person(c.author, c.date), Message: c.message,
			Tree: treeRefJSON{SHA: shaOf("tree", c.sha), URL: api + "/git/trees/" + shaOf("tree", c.sha)},
			URL:  api + "/git/commits/" + c.sha,
		},
		URL:         api + "/commits/" + c.sha,
		HTMLURL:     rd.web + "/" + r.fullName() + "/commit/" + c.sha,
		CommentsURL: api + "/commits/" + c.sha + "/comments",
		Author:      rd.simpleUser(c.author),
		Committer:   rd.simpleUser(c.author),
		Parents:     []parentJSON{},
	}
	for _, p := range c.parents {
		j.Parents = append(j.Parents, parentJSON{SHA: p, URL: api + "/commits/" + p, HTMLURL: rd.web + "/" + r.fullName() + "/commit/" + p})
	}
	if withFiles {
		var before map[string]string
		if len(c.parents) > 0 {
			before = r.commits[c.parents[0]].files
		}
		files, st := rd.files(r, c.sha, diffFiles(before, c.files))
		j.Files, j.Stats = files, &st
	}
	return j
}

func (rd render) files(r *repo, ref string, changes []fileChange) ([]fileJSON, statsJSON) {
	out := []fileJSON{}
	var st statsJSON
	for _, fc := range changes {
		content := fc.after
		if fc.status == "removed" {
			content = fc.before
		}
		out = append(out, fileJSON{
			SHA: shaOf("blob", content), Filename: fc.path, Status: fc.status,
			Additions: fc.additions, Deletions: fc.deletions, Changes: fc.additions + fc.deletions,
			BlobURL:     rd.web + "/" + r.fullName() + "/blob/" + ref + "/" + fc.path,
			RawURL:      rd.web + "/" + r.fullName() + "/raw/" + ref + "/" + fc.path,
			ContentsURL: rd.api + "/repos/" + r.fullName() + "/contents/" + fc.path + "?ref=" + ref,
			Patch:       fc.patch,
		})
		st.Additions += fc.additions
		st.Deletions += fc.deletions
	}
	st.Total = st.Additions + st.Deletions
	return out, st
}

// wantsDiff reports whether the request asks for the diff media type
// (application/vnd.github.diff or .v3.diff).
func (c *call) wantsDiff() bool {
	a := c.r.Header.Get("Accept")
	return strings.Contains(a, "vnd.github.diff") || strings.Contains(a, "vnd.github.v3.diff")
}

func (c *call) text(body string) {
	c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write([]byte(body))
}

func (c *call) noCommit(ref string) {
	c.json(http.StatusUnprocessableEntity, apiError{Message: "No commit found for SHA: " + ref, DocumentationURL: docsREST, Status: "422"})
}

// listBranches is GET /repos/{owner}/{repo}/branches, by name.
func (f *Fake) listBranches(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	names := r.branchNames()
	lo, hi := c.page(len(names))
	out := []map[string]any{}
	for _, n := range names[lo:hi] {
		sha := r.refs["heads/"+n]
		out = append(out, map[string]any{
			"name":      n,
			"commit":    map[string]string{"sha": sha, "url": c.rd.api + "/repos/" + r.fullName() + "/commits/" + sha},
			"protected": n == r.branch,
		})
	}
	c.json(http.StatusOK, out)
}

// listCommits is GET /repos/{owner}/{repo}/commits: the first-parent
// history of sha (default branch by default), filtered by author login and
// path, newest first.
func (f *Fake) listCommits(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	q := c.r.URL.Query()
	head := r.resolve(q.Get("sha"))
	if head == nil {
		c.json(http.StatusNotFound, apiError{Message: "Not Found", DocumentationURL: docsREST, Status: "404"})
		return
	}
	var hits []*gitCommit
	for _, cm := range r.history(head) {
		if a := q.Get("author"); a != "" && !strings.EqualFold(a, cm.author) {
			continue
		}
		if p := strings.Trim(q.Get("path"), "/"); p != "" {
			var before string
			if len(cm.parents) > 0 {
				before = r.commits[cm.parents[0]].files[p]
			}
			if before == cm.files[p] {
				continue
			}
		}
		hits = append(hits, cm)
	}
	lo, hi := c.page(len(hits))
	out := []commitJSON{}
	for _, cm := range hits[lo:hi] {
		out = append(out, c.rd.commit(r, cm, false))
	}
	c.json(http.StatusOK, out)
}

// getCommit is GET /repos/{owner}/{repo}/commits/{ref}: the commit with
// stats and files, or its diff for the diff media type.
func (f *Fake) getCommit(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	ref := c.r.PathValue("ref")
	cm := r.resolve(ref)
	if cm == nil {
		c.noCommit(ref)
		return
	}
	if c.wantsDiff() {
		var before map[string]string
		if len(cm.parents) > 0 {
			before = r.commits[cm.parents[0]].files
		}
		c.text(gitDiff(diffFiles(before, cm.files)))
		return
	}
	c.json(http.StatusOK, c.rd.commit(r, cm, true))
}

// compare is GET /repos/{owner}/{repo}/compare/{base}...{head}.
func (f *Fake) compare(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	spec := c.r.PathValue("basehead")
	baseRef, headRef, ok := strings.Cut(spec, "...")
	if !ok {
		c.notFound()
		return
	}
	base, head := r.resolve(baseRef), r.resolve(headRef)
	if base == nil || head == nil {
		c.notFound()
		return
	}
	ahead, behind, mergeBase := r.compare(base, head)
	from := base
	if mergeBase != nil {
		from = mergeBase
	}
	changes := diffFiles(from.files, head.files)
	if c.wantsDiff() {
		c.text(gitDiff(changes))
		return
	}
	status := "diverged"
	switch {
	case len(ahead) == 0 && behind == 0:
		status = "identical"
	case behind == 0:
		status = "ahead"
	case len(ahead) == 0:
		status = "behind"
	}
	commits := []commitJSON{}
	for _, cm := range ahead {
		commits = append(commits, c.rd.commit(r, cm, false))
	}
	files, _ := c.rd.files(r, head.sha, changes)
	html := c.rd.web + "/" + r.fullName() + "/compare/" + spec
	out := map[string]any{
		"url":               c.rd.api + "/repos/" + r.fullName() + "/compare/" + spec,
		"html_url":          html,
		"permalink_url":     c.rd.web + "/" + r.fullName() + "/compare/" + base.sha + "..." + head.sha,
		"diff_url":          html + ".diff",
		"patch_url":         html + ".patch",
		"base_commit":       c.rd.commit(r, base, false),
		"status":            status,
		"ahead_by":          len(ahead),
		"behind_by":         behind,
		"total_commits":     len(ahead),
		"commits":           commits,
		"files":             files,
		"merge_base_commit": nil,
	}
	if mergeBase != nil {
		out["merge_base_commit"] = c.rd.commit(r, mergeBase, false)
	}
	c.json(http.StatusOK, out)
}

func (rd render) ref(r *repo, name, sha string) map[string]any {
	api := rd.api + "/repos/" + r.fullName()
	return map[string]any{
		"ref":     "refs/" + name,
		"node_id": nodeID("Ref", int64(len(name))),
		"url":     api + "/git/refs/" + name,
		"object":  map[string]string{"type": "commit", "sha": sha, "url": api + "/git/commits/" + sha},
	}
}

// getRef is GET /repos/{owner}/{repo}/git/ref/{ref} (heads/main, tags/v1.0).
func (f *Fake) getRef(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	name := strings.TrimPrefix(c.r.PathValue("ref"), "refs/")
	sha, ok := r.refs[name]
	if !ok {
		c.notFound()
		return
	}
	c.json(http.StatusOK, c.rd.ref(r, name, sha))
}

// createRef is POST /repos/{owner}/{repo}/git/refs {ref, sha}: only the
// owner may push; an existing ref or unknown SHA is 422, as on GitHub.
func (f *Fake) createRef(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !c.decode(&in) {
		return
	}
	if !c.canPush(r) {
		return
	}
	name, ok := strings.CutPrefix(in.Ref, "refs/")
	if !ok || strings.Count(name, "/") < 1 {
		c.json(http.StatusUnprocessableEntity, apiError{Message: "Reference name must start with 'refs/' and have at least two slashes.", DocumentationURL: docsREST, Status: "422"})
		return
	}
	if _, exists := r.refs[name]; exists {
		c.json(http.StatusUnprocessableEntity, apiError{Message: "Reference already exists", DocumentationURL: docsREST, Status: "422"})
		return
	}
	if r.commits[in.SHA] == nil {
		c.json(http.StatusUnprocessableEntity, apiError{Message: "Object does not exist", DocumentationURL: docsREST, Status: "422"})
		return
	}
	r.refs[name] = in.SHA
	out := c.rd.ref(r, name, in.SHA)
	c.w.Header().Set("Location", out["url"].(string))
	c.json(http.StatusCreated, out)
}

// canPush answers 403 unless the caller owns the repository (the fake's
// stand-in for push access).
func (c *call) canPush(r *repo) bool {
	if strings.EqualFold(r.owner, c.login) {
		return true
	}
	c.json(http.StatusForbidden, apiError{Message: "Resource not accessible by integration", DocumentationURL: docsREST, Status: "403"})
	return false
}

// putContents is PUT /repos/{owner}/{repo}/contents/{path}: create a file,
// or update one when sha names its current blob; it commits on branch (the
// default branch by default).
func (f *Fake) putContents(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	var in struct {
		Message *string `json:"message"`
		Content *string `json:"content"`
		Branch  string  `json:"branch"`
		SHA     string  `json:"sha"`
	}
	if !c.decode(&in) {
		return
	}
	if !c.canPush(r) {
		return
	}
	path := strings.Trim(c.r.PathValue("path"), "/")
	if in.Message == nil || in.Content == nil {
		field := "message"
		if in.Message != nil {
			field = "content"
		}
		c.json(http.StatusUnprocessableEntity, apiError{Message: fmt.Sprintf("Invalid request.\n\n%q wasn't supplied.", field), DocumentationURL: docsREST, Status: "422"})
		return
	}
	data, err := base64.StdEncoding.DecodeString(*in.Content)
	if err != nil {
		c.json(http.StatusUnprocessableEntity, apiError{Message: "content is not valid Base64", DocumentationURL: docsREST, Status: "422"})
		return
	}
	branch := in.Branch
	if branch == "" {
		branch = r.branch
	}
	head := r.resolve("heads/" + branch)
	if _, ok := r.refs["heads/"+branch]; !ok || head == nil {
		c.json(http.StatusNotFound, apiError{Message: "Branch " + branch + " not found", DocumentationURL: docsREST, Status: "404"})
		return
	}
	old, exists := head.files[path]
	status := http.StatusCreated
	if exists {
		if in.SHA == "" {
			c.json(http.StatusUnprocessableEntity, apiError{Message: "Invalid request.\n\n\"sha\" wasn't supplied.", DocumentationURL: docsREST, Status: "422"})
			return
		}
		if in.SHA != shaOf("blob", old) {
			c.json(http.StatusConflict, apiError{Message: path + " does not match " + in.SHA, DocumentationURL: docsREST, Status: "409"})
			return
		}
		status = http.StatusOK
	}
	files := maps.Clone(head.files)
	files[path] = string(data)
	cm := r.commit(branch, *in.Message, c.login, f.now(), files)
	file := c.rd.file(r, path, string(data), false)
	full := c.rd.commit(r, cm, false)
	c.json(status, map[string]any{"content": file, "commit": map[string]any{
		"sha": cm.sha, "node_id": full.NodeID, "url": full.Commit.URL, "html_url": full.HTMLURL,
		"author": full.Commit.Author, "committer": full.Commit.Committer, "message": cm.message,
		"tree": full.Commit.Tree, "parents": full.Parents,
	}})
}
