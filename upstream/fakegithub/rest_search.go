package fakegithub

import (
	"net/http"
	"path"
	"slices"
	"strings"
)

// searchIssues is GET /search/issues. Qualifiers: repo:o/r, user:/org:,
// is:issue, is:pr, is:open, is:closed, state:, label:, author:, assignee:,
// no:label; other terms must each occur in the title or body. Only
// repositories the caller may see are searched; newest first.
func (f *Fake) searchIssues(c *call) {
	q := strings.TrimSpace(c.r.URL.Query().Get("q"))
	if q == "" {
		c.invalid("Search", "q", "missing")
		return
	}
	type hit struct {
		r  *repo
		is *issue
	}
	var hits []hit
	for _, key := range sortedRepoKeys(f.repos) {
		r := f.repos[key]
		if !r.visibleTo(c.login) {
			continue
		}
		for _, is := range slices.Backward(r.issues) {
			if issueMatches(r, is, q) {
				hits = append(hits, hit{r, is})
			}
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return b.is.created.Compare(a.is.created) })
	lo, hi := c.page(len(hits))
	items := []issueJSON{}
	for _, h := range hits[lo:hi] {
		items = append(items, c.rd.issue(h.r, h.is))
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(hits), "incomplete_results": false, "items": items})
}

func issueMatches(r *repo, is *issue, q string) bool {
	text := strings.ToLower(is.title + " " + is.body)
	for _, term := range strings.Fields(q) {
		key, val, qualified := strings.Cut(term, ":")
		ok := true
		switch {
		case qualified && key == "repo":
			ok = strings.EqualFold(r.fullName(), val)
		case qualified && (key == "user" || key == "org" || key == "owner"):
			ok = strings.EqualFold(r.owner, val)
		case qualified && key == "is" && (val == "issue" || val == "pr" || val == "pull-request"):
			ok = (is.pull != nil) == (val != "issue")
		case qualified && (key == "is" || key == "state") && (val == "open" || val == "closed"):
			ok = is.state == val
		case qualified && key == "is" && val == "merged":
			ok = is.pull != nil && !is.pull.merged.IsZero()
		case qualified && key == "label":
			ok = is.hasLabels([]string{strings.Trim(val, `"`)})
		case qualified && key == "author":
			ok = strings.EqualFold(is.author, val)
		case qualified && key == "assignee":
			ok = slices.ContainsFunc(is.assignees, func(a string) bool { return strings.EqualFold(a, val) })
		case qualified && key == "no" && val == "label":
			ok = len(is.labels) == 0
		case qualified && key == "in":
		default:
			ok = strings.Contains(text, strings.ToLower(strings.Trim(term, `"`)))
		}
		if !ok {
			return false
		}
	}
	return true
}

func sortedRepoKeys(m map[string]*repo) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

type codeResultJSON struct {
	Name        string        `json:"name"`
	Path        string        `json:"path"`
	SHA         string        `json:"sha"`
	URL         string        `json:"url"`
	GitURL      string        `json:"git_url"`
	HTMLURL     string        `json:"html_url"`
	Repository  repoJSON      `json:"repository"`
	Score       float64       `json:"score"`
	TextMatches []textMatchJS `json:"text_matches,omitempty"`
}

type textMatchJS struct {
	ObjectURL  string `json:"object_url"`
	ObjectType string `json:"object_type"`
	Property   string `json:"property"`
	Fragment   string `json:"fragment"`
}

// searchCode is GET /search/code over the default branch of every
// repository the caller may see. Qualifiers: repo:, user:/org:, path:
// (prefix), filename:, extension:, language: (of the repository), in:;
// other terms must each occur in the file (or, with in:path, its path).
// With the text-match media type, each item carries the first matching
// line as a fragment.
func (f *Fake) searchCode(c *call) {
	q := strings.TrimSpace(c.r.URL.Query().Get("q"))
	if q == "" {
		c.invalid("Search", "q", "missing")
		return
	}
	textMatch := strings.Contains(c.r.Header.Get("Accept"), "text-match")
	var items []codeResultJSON
	for _, key := range sortedRepoKeys(f.repos) {
		r := f.repos[key]
		if !r.visibleTo(c.login) {
			continue
		}
		for _, p := range sortedKeys(r.files) {
			fragment, ok := codeMatches(r, p, r.files[p], q)
			if !ok {
				continue
			}
			file := c.rd.file(r, p, r.files[p], false)
			item := codeResultJSON{Name: file.Name, Path: p, SHA: file.SHA, URL: file.URL, GitURL: file.GitURL, HTMLURL: file.HTMLURL, Repository: c.rd.repo(r), Score: 1}
			if textMatch && fragment != "" {
				item.TextMatches = []textMatchJS{{ObjectURL: file.URL, ObjectType: "FileContent", Property: "content", Fragment: fragment}}
			}
			items = append(items, item)
		}
	}
	lo, hi := c.page(len(items))
	page := items[lo:hi]
	if page == nil {
		page = []codeResultJSON{}
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(items), "incomplete_results": false, "items": page})
}

// codeMatches reports whether a file matches the query, and the first line
// holding a free-text term.
func codeMatches(r *repo, p, content, q string) (string, bool) {
	inPath := strings.Contains(q, "in:path")
	lower := strings.ToLower(content)
	fragment := ""
	for _, term := range strings.Fields(q) {
		key, val, qualified := strings.Cut(term, ":")
		ok := true
		switch {
		case qualified && key == "repo":
			ok = strings.EqualFold(r.fullName(), val)
		case qualified && (key == "user" || key == "org" || key == "owner"):
			ok = strings.EqualFold(r.owner, val)
		case qualified && key == "path":
			ok = strings.HasPrefix(p, strings.Trim(val, "/"))
		case qualified && key == "filename":
			ok = path.Base(p) == val
		case qualified && key == "extension":
			ok = path.Ext(p) == "."+strings.TrimPrefix(val, ".")
		case qualified && key == "language":
			ok = strings.EqualFold(r.language, val)
		case qualified && key == "in":
		default:
			t := strings.ToLower(strings.Trim(term, `"`))
			if inPath {
				ok = strings.Contains(strings.ToLower(p), t)
			} else if i := strings.Index(lower, t); i >= 0 {
				if fragment == "" {
					start := strings.LastIndexByte(content[:i], '\n') + 1
					end := strings.IndexByte(content[i:], '\n')
					if end < 0 {
						end = len(content) - i
					}
					fragment = content[start : i+end]
				}
			} else {
				ok = false
			}
		}
		if !ok {
			return "", false
		}
	}
	return fragment, true
}
