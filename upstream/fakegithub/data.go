package fakegithub

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// User is a GitHub account.
type User struct {
	// ID is the stable numeric ID; AddUser assigns one when it is zero.
	ID    int64
	Login string
	Name  string
	// Email is the primary, verified address.
	Email string
	// EmailPrivate keeps Email out of GET /user (it is then null, as for
	// GitHub users who keep their address private); GET /user/emails still
	// lists it.
	EmailPrivate bool
}

// Repo describes a repository for AddRepo.
type Repo struct {
	Owner       string // login of an existing user
	Name        string
	Description string
	Private     bool
	Language    string
	Topics      []string
	// Files maps slash-separated paths to contents on the default branch
	// "main".
	Files map[string]string
}

type repo struct {
	id          int64
	owner       string
	name        string
	description string
	private     bool
	language    string
	topics      []string
	stars       int
	forks       int
	branch      string
	files       map[string]string
	labels      []*label
	issues      []*issue // issues[n-1] has number n; pull requests included
	created     time.Time
	pushed      time.Time
	// The git model (git.go): refs ("heads/main", "tags/v1.0") to commit
	// SHAs, and every commit by SHA.
	refs    map[string]string
	commits map[string]*gitCommit
	// Actions and commit statuses (actions.go).
	workflows []*workflow
	runs      []*workflowRun
	statuses  map[string][]*commitStatus // by commit SHA
}

type label struct {
	id          int64
	name        string
	color       string
	description string
}

type issue struct {
	id          int64
	number      int
	title       string
	body        string
	author      string
	state       string // "open" or "closed"
	stateReason string
	labels      []string
	assignees   []string
	comments    []*comment
	created     time.Time
	updated     time.Time
	closed      time.Time
	pull        *pull // non-nil for pull requests
	subIssues   []int // numbers of sub-issues in the same repository
}

type pull struct {
	head   string // branch, or owner:branch for a fork (the fake keeps it in the same repository)
	base   string
	draft  bool
	merged time.Time
	// baseSHA is the base branch's commit the pull request was opened
	// against; the diff, files and counts are baseSHA..head.
	baseSHA string
	// Reviews and review comments (rest_pulls_more.go).
	reviews        []*review
	reviewComments []*reviewComment
}

type comment struct {
	id      int64
	author  string
	body    string
	created time.Time
	updated time.Time
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

// visibleTo reports whether login may see the repository.
func (r *repo) visibleTo(login string) bool {
	return !r.private || strings.EqualFold(r.owner, login)
}

func (r *repo) label(name string) *label {
	for _, l := range r.labels {
		if strings.EqualFold(l.name, name) {
			return l
		}
	}
	return nil
}

func (r *repo) openIssues() int {
	n := 0
	for _, is := range r.issues {
		if is.state == "open" && is.pull == nil {
			n++
		}
	}
	return n
}

func (i *issue) hasLabels(names []string) bool {
	for _, want := range names {
		if !slices.ContainsFunc(i.labels, func(l string) bool { return strings.EqualFold(l, want) }) {
			return false
		}
	}
	return true
}

// shaOf is a git-style object ID: SHA-1 of "kind len\x00content".
func shaOf(kind, content string) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00%s", kind, len(content), content)
	return hex.EncodeToString(h.Sum(nil))
}

func repoKey(owner, name string) string {
	return strings.ToLower(owner + "/" + name)
}

// newID returns the next numeric ID; f.mu must be held.
func (f *Fake) newID() int64 {
	f.nextID++
	return f.nextID
}

// AddUser adds or replaces a user (matched by login, case-insensitively).
func (f *Fake) AddUser(u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addUser(u)
}

func (f *Fake) addUser(u User) {
	if u.ID == 0 {
		u.ID = f.newID()
	}
	f.users[strings.ToLower(u.Login)] = &u
}

func (f *Fake) user(login string) *User {
	return f.users[strings.ToLower(login)]
}

// AddRepo adds or replaces a repository. It fails when the owner is not a
// known user or the name is empty.
func (f *Fake) AddRepo(r Repo) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.addRepo(r, f.now())
	return err
}

func (f *Fake) addRepo(r Repo, at time.Time) (*repo, error) {
	owner := f.user(r.Owner)
	if owner == nil {
		return nil, fmt.Errorf("fakegithub: unknown owner %q", r.Owner)
	}
	if r.Name == "" || strings.ContainsAny(r.Name, "/ ") {
		return nil, fmt.Errorf("fakegithub: invalid repository name %q", r.Name)
	}
	files := make(map[string]string, len(r.Files))
	for p, c := range r.Files {
		files[strings.Trim(p, "/")] = c
	}
	rp := &repo{
		id:          f.newID(),
		owner:       owner.Login,
		name:        r.Name,
		description: r.Description,
		private:     r.Private,
		language:    r.Language,
		topics:      slices.Clone(r.Topics),
		branch:      "main",
		files:       files,
		created:     at,
		pushed:      at,
		statuses:    map[string][]*commitStatus{},
	}
	rp.initGit(at)
	f.repos[repoKey(owner.Login, r.Name)] = rp
	return rp, nil
}

// pullRange is the base and head commits of a pull request (nil when its
// head branch is gone).
func (r *repo) pullRange(p *pull) (base, head *gitCommit) {
	head = r.resolve(p.head)
	base = r.commits[p.baseSHA]
	if base == nil {
		base = r.resolve(p.base)
	}
	return base, head
}

// pullChanges is what a pull request changes, and its commits.
func (r *repo) pullChanges(p *pull) ([]fileChange, []*gitCommit) {
	base, head := r.pullRange(p)
	if base == nil || head == nil {
		return nil, nil
	}
	ahead, _, _ := r.compare(base, head)
	return diffFiles(base.files, head.files), ahead
}
