package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Branch is a branch as list_branches returns it.
type Branch struct {
	Name      string `json:"name" jsonschema:"Branch name."`
	SHA       string `json:"sha" jsonschema:"Commit at the tip of the branch."`
	Protected bool   `json:"protected" jsonschema:"Whether branch protection applies."`
}

type listBranchesInput struct {
	repoRef
	pagination
}

// BranchList is one page of list_branches.
type BranchList struct {
	Branches []Branch `json:"branches" jsonschema:"Branches on this page, by name."`
	pageEnd
}

func (ts *toolset) listBranches() serverTool {
	return newTool(ts, ToolsetRepos, &mcp.Tool{
		Name:         "list_branches",
		Title:        "List branches",
		Description:  "List branches in a GitHub repository. Results are paged: pass next_page as page to continue.",
		Annotations:  readOnly("List branches"),
		InputSchema:  inputSchema[listBranchesInput](withRepo, withPagination),
		OutputSchema: outputSchema[BranchList](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in listBranchesInput) (*mcp.CallToolResult, BranchList, error) {
		var zero BranchList
		if err := in.validate(); err != nil {
			return nil, zero, err
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, zero, err
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, zero, err
		}
		branches, resp, err := gh.Repositories.ListBranches(ctx, in.Owner, in.Repo, &github.BranchListOptions{ListOptions: lo})
		if err != nil {
			return nil, zero, ts.apiError(err, target{what: "the repository", repo: in.repoRef})
		}
		out := BranchList{Branches: make([]Branch, 0, len(branches)), pageEnd: pageEnd{NextPage: resp.NextPage}}
		for _, b := range branches {
			out.Branches = append(out.Branches, Branch{Name: b.GetName(), SHA: b.GetCommit().GetSHA(), Protected: b.GetProtected()})
		}
		if n := fitItems(out.Branches, ts.budgetFor(metaReserve)); n < len(out.Branches) {
			out.Truncated, out.Note = true, cutNote(n, len(out.Branches), lo.PerPage)
			out.Branches = out.Branches[:n]
		}
		return nil, out, nil
	})
}

type createBranchInput struct {
	repoRef
	Branch     string `json:"branch" jsonschema:"Name for new branch."`
	FromBranch string `json:"from_branch,omitempty" jsonschema:"Source branch (defaults to repo default)."`
}

// Ref is a git reference as create_branch returns it.
type Ref struct {
	Ref string `json:"ref" jsonschema:"Fully qualified reference, such as refs/heads/main."`
	SHA string `json:"sha" jsonschema:"The commit it points to."`
}

func (ts *toolset) createBranch() serverTool {
	return newTool(ts, ToolsetRepos, &mcp.Tool{
		Name:  "create_branch",
		Title: "Create branch",
		Description: "Create a new branch in a GitHub repository, from the tip of from_branch " +
			"(the default branch when omitted).",
		Annotations:  additive("Create branch"),
		InputSchema:  inputSchema[createBranchInput](withRepo, withNonEmpty("branch")),
		OutputSchema: outputSchema[Ref](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in createBranchInput) (*mcp.CallToolResult, Ref, error) {
		if err := in.validate(); err != nil {
			return nil, Ref{}, err
		}
		for _, b := range []string{in.Branch, in.FromBranch} {
			if b != "" && !validBranch(b) {
				return nil, Ref{}, invalidInput("%q is not a valid branch name", b)
			}
		}
		if in.Branch == "" {
			return nil, Ref{}, invalidInput("branch must not be empty")
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, Ref{}, err
		}
		from := in.FromBranch
		if from == "" {
			repo, _, err := gh.Repositories.Get(ctx, in.Owner, in.Repo)
			if err != nil {
				return nil, Ref{}, ts.apiError(err, target{what: "the repository", repo: in.repoRef})
			}
			from = repo.GetDefaultBranch()
		}
		src, _, err := gh.Git.GetRef(ctx, in.Owner, in.Repo, "heads/"+from)
		if err != nil {
			return nil, Ref{}, ts.apiError(err, target{what: "branch " + from, repo: in.repoRef})
		}
		ref, _, err := gh.Git.CreateRef(ctx, in.Owner, in.Repo, github.CreateRef{Ref: "refs/heads/" + in.Branch, SHA: src.GetObject().GetSHA()})
		if err != nil {
			return nil, Ref{}, ts.apiError(err, target{what: "the repository", repo: in.repoRef})
		}
		return nil, Ref{Ref: ref.GetRef(), SHA: ref.GetObject().GetSHA()}, nil
	})
}

// validBranch applies the parts of git check-ref-format that matter for a
// name sent in a URL or a JSON body: no "..", no control characters or
// spaces, no leading or trailing slash.
func validBranch(b string) bool {
	if strings.Contains(b, "..") || strings.HasPrefix(b, "/") || strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".lock") {
		return false
	}
	for _, r := range b {
		if r <= ' ' || strings.ContainsRune("~^:?*[\\\x7f", r) {
			return false
		}
	}
	return true
}

type compareRefsInput struct {
	repoRef
	Base        string `json:"base" jsonschema:"The base: branch, tag or commit SHA."`
	Head        string `json:"head" jsonschema:"The head: branch, tag or commit SHA (owner:branch for a fork)."`
	IncludeDiff *bool  `json:"include_diff,omitempty" jsonschema:"Whether to include each file's patch. Default is false (files with line counts only); use pull_request_read get_diff or get_commit for diffs."`
	pagination
}

// Comparison is what compare_refs returns.
type Comparison struct {
	Status       string        `json:"status" jsonschema:"ahead, behind, identical or diverged: how head relates to base."`
	AheadBy      int           `json:"ahead_by" jsonschema:"Commits on head that base lacks."`
	BehindBy     int           `json:"behind_by" jsonschema:"Commits on base that head lacks."`
	MergeBase    string        `json:"merge_base,omitempty" jsonschema:"SHA of the best common ancestor."`
	HTMLURL      string        `json:"html_url,omitempty" jsonschema:"The comparison on GitHub."`
	TotalCommits int           `json:"total_commits" jsonschema:"Number of commits in the comparison."`
	Commits      []Commit      `json:"commits" jsonschema:"Commits from base to head (oldest first; first lines of messages)."`
	Files        []ChangedFile `json:"files" jsonschema:"Files changed between the merge base and head."`
	NextPage     int           `json:"next_page,omitempty" jsonschema:"Page to request next; absent on the last page."`
	Truncated    bool          `json:"truncated,omitempty" jsonschema:"True when commits or files were left out to fit the result size limit (see note)."`
	Note         string        `json:"note,omitempty" jsonschema:"What was left out and how to get it."`
}

func (ts *toolset) compareRefs() serverTool {
	return newTool(ts, ToolsetRepos, &mcp.Tool{
		Name:  "compare_refs",
		Title: "Compare two refs",
		Description: "Compare two branches, tags or commits of a GitHub repository (base...head, as in a pull request): " +
			"how far apart they are, the commits on head that base lacks and the files changed, e.g. for release notes " +
			"or to see what a branch would bring. Files and commits are paged.",
		Annotations:  readOnly("Compare two refs"),
		InputSchema:  inputSchema[compareRefsInput](withRepo, withNonEmpty("base", "head"), withPagination),
		OutputSchema: outputSchema[Comparison](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in compareRefsInput) (*mcp.CallToolResult, Comparison, error) {
		var zero Comparison
		if err := in.validate(); err != nil {
			return nil, zero, err
		}
		if strings.TrimSpace(in.Base) == "" || strings.TrimSpace(in.Head) == "" || strings.Contains(in.Base+in.Head, "...") {
			return nil, zero, invalidInput("base and head must be branch, tag or commit names (without ...)")
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, zero, err
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, zero, err
		}
		c, resp, err := gh.Repositories.CompareCommits(ctx, in.Owner, in.Repo, in.Base, in.Head, &lo)
		if err != nil {
			return nil, zero, ts.apiError(err, target{what: fmt.Sprintf("the comparison %s...%s", in.Base, in.Head), repo: in.repoRef})
		}
		out := Comparison{
			Status: c.GetStatus(), AheadBy: c.GetAheadBy(), BehindBy: c.GetBehindBy(), MergeBase: c.GetMergeBaseCommit().GetSHA(),
			HTMLURL: c.GetHTMLURL(), TotalCommits: c.GetTotalCommits(), Commits: make([]Commit, 0, len(c.Commits)), NextPage: resp.NextPage,
		}
		for _, cm := range c.Commits {
			out.Commits = append(out.Commits, toCommit(cm, true))
		}
		budget := ts.budgetFor(metaReserve)
		if n := fitItems(out.Commits, budget/2); n < len(out.Commits) {
			out.Truncated, out.Note = true, fmt.Sprintf("only the first %d of %d commits fit; list_commits with sha %s lists them all", n, len(out.Commits), in.Head)
			out.Commits = out.Commits[:n]
		}
		all := toChangedFiles(c.Files, in.IncludeDiff != nil && *in.IncludeDiff)
		var cut bool
		if out.Files, cut = fitFiles(all, budget/2); cut {
			out.Truncated = true
			out.Note = strings.TrimPrefix(out.Note+"; "+cutNote(len(out.Files), len(all), lo.PerPage), "; ")
		}
		return nil, out, nil
	})
}

type createOrUpdateFileInput struct {
	repoRef
	Path    string `json:"path" jsonschema:"Path where to create/update the file."`
	Content string `json:"content" jsonschema:"Content of the file (text)."`
	Message string `json:"message" jsonschema:"Commit message."`
	Branch  string `json:"branch" jsonschema:"Branch to create/update the file in."`
	SHA     string `json:"sha,omitempty" jsonschema:"The blob SHA of the file being replaced (from get_file_contents). Required if the file already exists."`
}

// FileCommit is what create_or_update_file returns.
type FileCommit struct {
	Path      string `json:"path" jsonschema:"Path of the file."`
	SHA       string `json:"sha" jsonschema:"Blob SHA of the new content (pass it as sha to update again)."`
	CommitSHA string `json:"commit_sha" jsonschema:"SHA of the commit made."`
	HTMLURL   string `json:"html_url,omitempty" jsonschema:"The commit on GitHub."`
	Created   bool   `json:"created" jsonschema:"True when the file was new, false when it was updated."`
}

func (ts *toolset) createOrUpdateFile() serverTool {
	return newTool(ts, ToolsetRepos, &mcp.Tool{
		Name:  "create_or_update_file",
		Title: "Create or update file",
		Description: "Create or update a single file in a GitHub repository with a commit on branch. " +
			"To update an existing file, pass the blob SHA of the version you are replacing (get_file_contents returns it); " +
			"GitHub refuses the update if the file changed since.",
		Annotations:  additive("Create or update file"),
		InputSchema:  inputSchema[createOrUpdateFileInput](withRepo, withNonEmpty("path", "message", "branch")),
		OutputSchema: outputSchema[FileCommit](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in createOrUpdateFileInput) (*mcp.CallToolResult, FileCommit, error) {
		if err := in.validate(); err != nil {
			return nil, FileCommit{}, err
		}
		path, err := cleanPath(in.Path)
		if err != nil {
			return nil, FileCommit{}, err
		}
		if path == "" || strings.TrimSpace(in.Message) == "" || !validBranch(in.Branch) {
			return nil, FileCommit{}, invalidInput("path, message and a valid branch name are required")
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, FileCommit{}, err
		}
		opts := &github.RepositoryContentFileOptions{Message: &in.Message, Content: []byte(in.Content), Branch: &in.Branch}
		if in.SHA != "" {
			opts.SHA = &in.SHA
		}
		res, resp, err := gh.Repositories.CreateFile(ctx, in.Owner, in.Repo, path, opts)
		if err != nil {
			var respErr *github.ErrorResponse
			if errors.As(err, &respErr) && respErr.Response != nil && respErr.Response.StatusCode == http.StatusConflict {
				return nil, FileCommit{}, &toolError{msg: fmt.Sprintf("%s changed on %s since the version with sha %s: read it again with get_file_contents and pass its current sha.", path, in.Branch, in.SHA), cause: err}
			}
			if errors.As(err, &respErr) && respErr.Response != nil && respErr.Response.StatusCode == http.StatusUnprocessableEntity && in.SHA == "" && strings.Contains(respErr.Message, "sha") {
				return nil, FileCommit{}, &toolError{msg: fmt.Sprintf("%s already exists on %s: pass its current blob sha (from get_file_contents) to update it.", path, in.Branch), cause: err}
			}
			return nil, FileCommit{}, ts.apiError(err, target{what: "branch " + in.Branch, repo: in.repoRef})
		}
		return nil, FileCommit{
			Path: path, SHA: res.GetContent().GetSHA(), CommitSHA: res.Commit.GetSHA(), HTMLURL: res.Commit.GetHTMLURL(),
			Created: resp.StatusCode == http.StatusCreated,
		}, nil
	})
}
