package fakegithub

import (
	"net/http"
	"slices"
	"strings"
)

// searchRepos is GET /search/repositories. Free-text terms must each occur
// in the name or description (case-insensitively); the qualifiers user:,
// org:, repo:, is:public and is:private narrow the set. Results the caller
// may not see are left out, and the rest come by stars, then name.
func (f *Fake) searchRepos(c *call) {
	q := strings.TrimSpace(c.r.URL.Query().Get("q"))
	if q == "" {
		c.invalid("Search", "q", "missing")
		return
	}
	var hits []*repo
	for _, r := range f.repos {
		if r.visibleTo(c.login) && matchesQuery(r, q) {
			hits = append(hits, r)
		}
	}
	slices.SortFunc(hits, func(a, b *repo) int {
		if a.stars != b.stars {
			return b.stars - a.stars
		}
		return strings.Compare(a.fullName(), b.fullName())
	})
	lo, hi := c.page(len(hits))
	res := searchReposJSON{TotalCount: len(hits), Items: []repoJSON{}}
	for _, r := range hits[lo:hi] {
		res.Items = append(res.Items, c.rd.repo(r))
	}
	c.json(http.StatusOK, res)
}

func matchesQuery(r *repo, q string) bool {
	text := strings.ToLower(r.name + " " + r.description + " " + strings.Join(r.topics, " "))
	for _, term := range strings.Fields(q) {
		key, val, qualified := strings.Cut(term, ":")
		switch {
		case qualified && (key == "user" || key == "org" || key == "owner"):
			if !strings.EqualFold(r.owner, val) {
				return false
			}
		case qualified && key == "repo":
			if !strings.EqualFold(r.fullName(), val) {
				return false
			}
		case qualified && key == "is" && (val == "public" || val == "private"):
			if r.private != (val == "private") {
				return false
			}
		case qualified && key == "in":
			// in:name / in:description widen or narrow GitHub's fields; the
			// fake always searches both.
		default:
			if !strings.Contains(text, strings.ToLower(term)) {
				return false
			}
		}
	}
	return true
}

// getRepo is GET /repos/{owner}/{repo}.
func (f *Fake) getRepo(c *call) {
	if r := c.repo(); r != nil {
		c.json(http.StatusOK, c.rd.repo(r))
	}
}

// getContents is GET /repos/{owner}/{repo}/contents/{path}: a file with
// its base64 content, or a directory as an array of entries sorted by path.
// ref may name a branch, tag, commit SHA or refs/pull/N/head; an unknown
// ref is 404.
func (f *Fake) getContents(c *call) {
	r := c.repo()
	if r == nil {
		return
	}
	files := r.files
	if ref := c.r.URL.Query().Get("ref"); ref != "" {
		cm := r.resolve(ref)
		if cm == nil {
			c.json(http.StatusNotFound, apiError{Message: "No commit found for the ref " + ref, DocumentationURL: docsREST, Status: "404"})
			return
		}
		files = cm.files
	}
	path := strings.Trim(c.r.PathValue("path"), "/")
	if content, ok := files[path]; ok && path != "" {
		c.json(http.StatusOK, c.rd.file(r, path, content, true))
		return
	}
	prefix := ""
	if path != "" {
		prefix = path + "/"
	}
	var entries []contentJSON
	seen := map[string]bool{}
	for _, p := range sortedKeys(files) {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		name, _, isDir := strings.Cut(rest, "/")
		if seen[name] {
			continue
		}
		seen[name] = true
		if isDir {
			entries = append(entries, c.rd.dir(r, prefix+name))
		} else {
			entries = append(entries, c.rd.file(r, p, files[p], false))
		}
	}
	if len(entries) == 0 && path != "" {
		c.notFound()
		return
	}
	if entries == nil {
		entries = []contentJSON{}
	}
	c.json(http.StatusOK, entries)
}
