package fakegithub

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The JSON shapes below copy the field names of GitHub's REST API
// (2022-11-28) for the fields clients actually read.

const (
	docsREST      = "https://docs.github.com/rest"
	docsRateLimit = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
)

// stamp marshals like GitHub's timestamps: UTC, second precision.
type stamp time.Time

func (s stamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(s).UTC().Format(time.RFC3339) + `"`), nil
}

func stampPtr(t time.Time) *stamp {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

type apiError struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url,omitempty"`
	Status           string       `json:"status,omitempty"`
}

type fieldError struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Code     string `json:"code"`
}

type simpleUserJSON struct {
	Login     string `json:"login"`
	ID        int64  `json:"id"`
	NodeID    string `json:"node_id"`
	AvatarURL string `json:"avatar_url"`
	URL       string `json:"url"`
	HTMLURL   string `json:"html_url"`
	ReposURL  string `json:"repos_url"`
	Type      string `json:"type"`
	SiteAdmin bool   `json:"site_admin"`
}

type userJSON struct {
	simpleUserJSON
	Name        *string `json:"name"`
	Email       *string `json:"email"`
	PublicRepos int     `json:"public_repos"`
	CreatedAt   stamp   `json:"created_at"`
	UpdatedAt   stamp   `json:"updated_at"`
}

type emailJSON struct {
	Email      string  `json:"email"`
	Primary    bool    `json:"primary"`
	Verified   bool    `json:"verified"`
	Visibility *string `json:"visibility"`
}

type repoJSON struct {
	ID              int64          `json:"id"`
	NodeID          string         `json:"node_id"`
	Name            string         `json:"name"`
	FullName        string         `json:"full_name"`
	Owner           simpleUserJSON `json:"owner"`
	Private         bool           `json:"private"`
	HTMLURL         string         `json:"html_url"`
	Description     *string        `json:"description"`
	Fork            bool           `json:"fork"`
	URL             string         `json:"url"`
	CloneURL        string         `json:"clone_url"`
	Language        *string        `json:"language"`
	StargazersCount int            `json:"stargazers_count"`
	WatchersCount   int            `json:"watchers_count"`
	ForksCount      int            `json:"forks_count"`
	OpenIssuesCount int            `json:"open_issues_count"`
	DefaultBranch   string         `json:"default_branch"`
	Topics          []string       `json:"topics"`
	Visibility      string         `json:"visibility"`
	Archived        bool           `json:"archived"`
	CreatedAt       stamp          `json:"created_at"`
	UpdatedAt       stamp          `json:"updated_at"`
	PushedAt        stamp          `json:"pushed_at"`
}

type searchReposJSON struct {
	TotalCount        int        `json:"total_count"`
	IncompleteResults bool       `json:"incomplete_results"`
	Items             []repoJSON `json:"items"`
}

type contentLinks struct {
	Self string `json:"self"`
	Git  string `json:"git"`
	HTML string `json:"html"`
}

type contentJSON struct {
	Type        string       `json:"type"`
	Encoding    string       `json:"encoding,omitempty"`
	Size        int          `json:"size"`
	Name        string       `json:"name"`
	Path        string       `json:"path"`
	Content     *string      `json:"content,omitempty"`
	SHA         string       `json:"sha"`
	URL         string       `json:"url"`
	GitURL      string       `json:"git_url"`
	HTMLURL     string       `json:"html_url"`
	DownloadURL *string      `json:"download_url"`
	Links       contentLinks `json:"_links"`
}

type labelJSON struct {
	ID          int64  `json:"id"`
	NodeID      string `json:"node_id"`
	URL         string `json:"url"`
	Name        string `json:"name"`
	Color       string `json:"color"`
	Default     bool   `json:"default"`
	Description string `json:"description"`
}

type issuePRLinks struct {
	URL      string `json:"url"`
	HTMLURL  string `json:"html_url"`
	DiffURL  string `json:"diff_url"`
	PatchURL string `json:"patch_url"`
	MergedAt *stamp `json:"merged_at"`
}

type issueJSON struct {
	ID                int64            `json:"id"`
	NodeID            string           `json:"node_id"`
	URL               string           `json:"url"`
	RepositoryURL     string           `json:"repository_url"`
	CommentsURL       string           `json:"comments_url"`
	HTMLURL           string           `json:"html_url"`
	Number            int              `json:"number"`
	State             string           `json:"state"`
	StateReason       *string          `json:"state_reason"`
	Title             string           `json:"title"`
	Body              *string          `json:"body"`
	User              simpleUserJSON   `json:"user"`
	Labels            []labelJSON      `json:"labels"`
	Assignees         []simpleUserJSON `json:"assignees"`
	Locked            bool             `json:"locked"`
	Comments          int              `json:"comments"`
	PullRequest       *issuePRLinks    `json:"pull_request,omitempty"`
	ClosedAt          *stamp           `json:"closed_at"`
	CreatedAt         stamp            `json:"created_at"`
	UpdatedAt         stamp            `json:"updated_at"`
	AuthorAssociation string           `json:"author_association"`
}

type commentJSON struct {
	ID                int64          `json:"id"`
	NodeID            string         `json:"node_id"`
	URL               string         `json:"url"`
	HTMLURL           string         `json:"html_url"`
	IssueURL          string         `json:"issue_url"`
	Body              string         `json:"body"`
	User              simpleUserJSON `json:"user"`
	CreatedAt         stamp          `json:"created_at"`
	UpdatedAt         stamp          `json:"updated_at"`
	AuthorAssociation string         `json:"author_association"`
}

type branchJSON struct {
	Label string         `json:"label"`
	Ref   string         `json:"ref"`
	SHA   string         `json:"sha"`
	User  simpleUserJSON `json:"user"`
	Repo  *repoJSON      `json:"repo"`
}

type pullJSON struct {
	ID                int64            `json:"id"`
	NodeID            string           `json:"node_id"`
	URL               string           `json:"url"`
	HTMLURL           string           `json:"html_url"`
	DiffURL           string           `json:"diff_url"`
	PatchURL          string           `json:"patch_url"`
	IssueURL          string           `json:"issue_url"`
	Number            int              `json:"number"`
	State             string           `json:"state"`
	Locked            bool             `json:"locked"`
	Title             string           `json:"title"`
	User              simpleUserJSON   `json:"user"`
	Body              *string          `json:"body"`
	Labels            []labelJSON      `json:"labels"`
	Assignees         []simpleUserJSON `json:"assignees"`
	Draft             bool             `json:"draft"`
	Head              branchJSON       `json:"head"`
	Base              branchJSON       `json:"base"`
	CreatedAt         stamp            `json:"created_at"`
	UpdatedAt         stamp            `json:"updated_at"`
	ClosedAt          *stamp           `json:"closed_at"`
	MergedAt          *stamp           `json:"merged_at"`
	AuthorAssociation string           `json:"author_association"`
	// Only in the single pull request response.
	Merged       *bool `json:"merged,omitempty"`
	Comments     *int  `json:"comments,omitempty"`
	Commits      *int  `json:"commits,omitempty"`
	Additions    *int  `json:"additions,omitempty"`
	Deletions    *int  `json:"deletions,omitempty"`
	ChangedFiles *int  `json:"changed_files,omitempty"`
}

// render turns the model into JSON shapes. It needs the API and web bases
// (absolute, no trailing slash) and the users; f.mu must be held.
type render struct {
	f   *Fake
	api string
	web string
}

func (f *Fake) renderer(r *http.Request) render {
	o := f.origin(r)
	return render{f: f, api: o + f.apiPrefix(), web: o}
}

func nodeID(kind string, id int64) string {
	return base64.RawStdEncoding.EncodeToString(fmt.Appendf(nil, "%s:%d", kind, id))
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (rd render) simpleUser(login string) simpleUserJSON {
	u := rd.f.user(login)
	id := int64(0)
	if u != nil {
		id, login = u.ID, u.Login
	}
	return simpleUserJSON{
		Login:     login,
		ID:        id,
		NodeID:    nodeID("User", id),
		AvatarURL: rd.web + "/avatars/u/" + fmt.Sprint(id),
		URL:       rd.api + "/users/" + login,
		HTMLURL:   rd.web + "/" + login,
		ReposURL:  rd.api + "/users/" + login + "/repos",
		Type:      "User",
	}
}

func (rd render) user(u *User) userJSON {
	public := 0
	for _, r := range rd.f.repos {
		if strings.EqualFold(r.owner, u.Login) && !r.private {
			public++
		}
	}
	j := userJSON{
		simpleUserJSON: rd.simpleUser(u.Login),
		Name:           optString(u.Name),
		PublicRepos:    public,
		CreatedAt:      stamp(seedEpoch.AddDate(-3, 0, 0)),
		UpdatedAt:      stamp(seedEpoch),
	}
	if !u.EmailPrivate {
		j.Email = optString(u.Email)
	}
	return j
}

func (rd render) repo(r *repo) repoJSON {
	visibility := "public"
	if r.private {
		visibility = "private"
	}
	updated := r.pushed
	for _, is := range r.issues {
		if is.updated.After(updated) {
			updated = is.updated
		}
	}
	topics := r.topics
	if topics == nil {
		topics = []string{}
	}
	return repoJSON{
		ID:              r.id,
		NodeID:          nodeID("Repository", r.id),
		Name:            r.name,
		FullName:        r.fullName(),
		Owner:           rd.simpleUser(r.owner),
		Private:         r.private,
		HTMLURL:         rd.web + "/" + r.fullName(),
		Description:     optString(r.description),
		URL:             rd.api + "/repos/" + r.fullName(),
		CloneURL:        rd.web + "/" + r.fullName() + ".git",
		Language:        optString(r.language),
		StargazersCount: r.stars,
		WatchersCount:   r.stars,
		ForksCount:      r.forks,
		OpenIssuesCount: r.openIssues(),
		DefaultBranch:   r.branch,
		Topics:          topics,
		Visibility:      visibility,
		CreatedAt:       stamp(r.created),
		UpdatedAt:       stamp(updated),
		PushedAt:        stamp(r.pushed),
	}
}

func (rd render) labels(r *repo, names []string) []labelJSON {
	out := []labelJSON{}
	for _, n := range names {
		l := r.label(n)
		if l == nil {
			continue
		}
		out = append(out, labelJSON{
			ID:          l.id,
			NodeID:      nodeID("Label", l.id),
			URL:         rd.api + "/repos/" + r.fullName() + "/labels/" + url.PathEscape(l.name),
			Name:        l.name,
			Color:       l.color,
			Description: l.description,
		})
	}
	return out
}

func (rd render) users(logins []string) []simpleUserJSON {
	out := []simpleUserJSON{}
	for _, l := range logins {
		out = append(out, rd.simpleUser(l))
	}
	return out
}

func association(r *repo, login string) string {
	if strings.EqualFold(r.owner, login) {
		return "OWNER"
	}
	return "CONTRIBUTOR"
}

func (rd render) issue(r *repo, is *issue) issueJSON {
	base := rd.api + "/repos/" + r.fullName()
	j := issueJSON{
		ID:                is.id,
		NodeID:            nodeID("Issue", is.id),
		URL:               fmt.Sprintf("%s/issues/%d", base, is.number),
		RepositoryURL:     base,
		CommentsURL:       fmt.Sprintf("%s/issues/%d/comments", base, is.number),
		HTMLURL:           fmt.Sprintf("%s/%s/issues/%d", rd.web, r.fullName(), is.number),
		Number:            is.number,
		State:             is.state,
		StateReason:       optString(is.stateReason),
		Title:             is.title,
		Body:              optString(is.body),
		User:              rd.simpleUser(is.author),
		Labels:            rd.labels(r, is.labels),
		Assignees:         rd.users(is.assignees),
		Comments:          len(is.comments),
		ClosedAt:          stampPtr(is.closed),
		CreatedAt:         stamp(is.created),
		UpdatedAt:         stamp(is.updated),
		AuthorAssociation: association(r, is.author),
	}
	if is.pull != nil {
		html := fmt.Sprintf("%s/%s/pull/%d", rd.web, r.fullName(), is.number)
		j.HTMLURL = html
		j.PullRequest = &issuePRLinks{
			URL:      fmt.Sprintf("%s/pulls/%d", base, is.number),
			HTMLURL:  html,
			DiffURL:  html + ".diff",
			PatchURL: html + ".patch",
			MergedAt: stampPtr(is.pull.merged),
		}
	}
	return j
}

func (rd render) comment(r *repo, is *issue, c *comment) commentJSON {
	base := rd.api + "/repos/" + r.fullName()
	return commentJSON{
		ID:                c.id,
		NodeID:            nodeID("IssueComment", c.id),
		URL:               fmt.Sprintf("%s/issues/comments/%d", base, c.id),
		HTMLURL:           fmt.Sprintf("%s/%s/issues/%d#issuecomment-%d", rd.web, r.fullName(), is.number, c.id),
		IssueURL:          fmt.Sprintf("%s/issues/%d", base, is.number),
		Body:              c.body,
		User:              rd.simpleUser(c.author),
		CreatedAt:         stamp(c.created),
		UpdatedAt:         stamp(c.updated),
		AuthorAssociation: association(r, c.author),
	}
}

func (rd render) pull(r *repo, is *issue, detail bool) pullJSON {
	base := rd.api + "/repos/" + r.fullName()
	html := fmt.Sprintf("%s/%s/pull/%d", rd.web, r.fullName(), is.number)
	repoJ := rd.repo(r)
	headOwner, headRef := r.owner, is.pull.head
	if o, ref, ok := strings.Cut(is.pull.head, ":"); ok {
		headOwner, headRef = o, ref
	}
	baseC, headC := r.pullRange(is.pull)
	var headSHA, baseSHA string
	if headC != nil {
		headSHA = headC.sha
	}
	if baseC != nil {
		baseSHA = baseC.sha
	}
	j := pullJSON{
		ID:        is.id,
		NodeID:    nodeID("PullRequest", is.id),
		URL:       fmt.Sprintf("%s/pulls/%d", base, is.number),
		HTMLURL:   html,
		DiffURL:   html + ".diff",
		PatchURL:  html + ".patch",
		IssueURL:  fmt.Sprintf("%s/issues/%d", base, is.number),
		Number:    is.number,
		State:     is.state,
		Title:     is.title,
		User:      rd.simpleUser(is.author),
		Body:      optString(is.body),
		Labels:    rd.labels(r, is.labels),
		Assignees: rd.users(is.assignees),
		Draft:     is.pull.draft,
		Head: branchJSON{
			Label: headOwner + ":" + headRef,
			Ref:   headRef,
			SHA:   headSHA,
			User:  rd.simpleUser(headOwner),
			Repo:  &repoJ,
		},
		Base: branchJSON{
			Label: r.owner + ":" + is.pull.base,
			Ref:   is.pull.base,
			SHA:   baseSHA,
			User:  rd.simpleUser(r.owner),
			Repo:  &repoJ,
		},
		CreatedAt:         stamp(is.created),
		UpdatedAt:         stamp(is.updated),
		ClosedAt:          stampPtr(is.closed),
		MergedAt:          stampPtr(is.pull.merged),
		AuthorAssociation: association(r, is.author),
	}
	if detail {
		merged := !is.pull.merged.IsZero()
		comments := len(is.comments)
		changes, commits := r.pullChanges(is.pull)
		additions, deletions, files, nCommits := 0, 0, len(changes), len(commits)
		for _, fc := range changes {
			additions += fc.additions
			deletions += fc.deletions
		}
		j.Merged, j.Comments = &merged, &comments
		j.Commits, j.Additions, j.Deletions, j.ChangedFiles = &nCommits, &additions, &deletions, &files
	}
	return j
}

// file renders a file entry; withContent adds the base64 content as the
// single-file response does.
func (rd render) file(r *repo, path, content string, withContent bool) contentJSON {
	sha := shaOf("blob", content)
	j := rd.entry(r, "file", path, sha, len(content))
	dl := rd.web + "/" + r.fullName() + "/raw/" + r.branch + "/" + path
	j.DownloadURL = &dl
	if withContent {
		enc := wrapBase64(base64.StdEncoding.EncodeToString([]byte(content)))
		j.Encoding, j.Content = "base64", &enc
	}
	return j
}

func (rd render) dir(r *repo, path string) contentJSON {
	return rd.entry(r, "dir", path, shaOf("tree", r.fullName()+":"+path), 0)
}

func (rd render) entry(r *repo, typ, path, sha string, size int) contentJSON {
	name := path[strings.LastIndex(path, "/")+1:]
	kind := "blob"
	if typ == "dir" {
		kind = "tree"
	}
	self := rd.api + "/repos/" + r.fullName() + "/contents/" + path + "?ref=" + r.branch
	git := rd.api + "/repos/" + r.fullName() + "/git/" + kind + "s/" + sha
	html := rd.web + "/" + r.fullName() + "/" + kind + "/" + r.branch + "/" + path
	return contentJSON{
		Type: typ, Size: size, Name: name, Path: path, SHA: sha,
		URL: self, GitURL: git, HTMLURL: html,
		Links: contentLinks{Self: self, Git: git, HTML: html},
	}
}

// wrapBase64 breaks base64 into lines of 60 characters, each ending in a newline,
// as GitHub's contents API does.
func wrapBase64(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60])
		b.WriteByte('\n')
		s = s[60:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
