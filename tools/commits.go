package tools

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/go-github/v92/github"
	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Commit is a commit as the tools return it.
type Commit struct {
	SHA        string        `json:"sha" jsonschema:"Commit SHA."`
	Message    string        `json:"message" jsonschema:"Commit message (its first line with minimal_output)."`
	Author     string        `json:"author,omitempty" jsonschema:"GitHub login of the author, when GitHub could match one."`
	AuthorName string        `json:"author_name,omitempty" jsonschema:"Author name from the commit."`
	Date       string        `json:"date,omitempty" jsonschema:"Author date (RFC 3339, UTC)."`
	HTMLURL    string        `json:"html_url,omitempty" jsonschema:"Commit page on GitHub."`
	Parents    []string      `json:"parents,omitzero" jsonschema:"SHAs of the parent commits."`
	Stats      *CommitStats  `json:"stats,omitempty" jsonschema:"Lines changed (get_commit)."`
	Files      []ChangedFile `json:"files,omitzero" jsonschema:"Files changed, with patches when include_diff is true (get_commit)."`
}

// CommitStats counts the lines a commit changes.
type CommitStats struct {
	Additions int `json:"additions" jsonschema:"Lines added."`
	Deletions int `json:"deletions" jsonschema:"Lines deleted."`
	Total     int `json:"total" jsonschema:"Lines changed."`
}

func toCommit(c *github.RepositoryCommit, short bool) Commit {
	msg := c.GetCommit().GetMessage()
	if short {
		msg, _, _ = strings.Cut(msg, "\n")
	}
	out := Commit{
		SHA: c.GetSHA(), Message: msg, Author: c.GetAuthor().GetLogin(), AuthorName: c.GetCommit().GetAuthor().GetName(),
		HTMLURL: c.GetHTMLURL(), Parents: []string{},
	}
	if d := c.GetCommit().GetAuthor().Date; d != nil {
		out.Date = timestamp(d)
	}
	for _, p := range c.Parents {
		out.Parents = append(out.Parents, p.GetSHA())
	}
	return out
}

type listCommitsInput struct {
	repoRef
	SHA    string `json:"sha,omitempty" jsonschema:"Commit SHA, branch or tag name to list commits of; the default branch when omitted."`
	Author string `json:"author,omitempty" jsonschema:"Author username or email address to filter commits by."`
	Path   string `json:"path,omitempty" jsonschema:"Only commits containing this file path will be returned."`
	Since  string `json:"since,omitempty" jsonschema:"Only commits after this time (RFC 3339, e.g. 2026-01-31T00:00:00Z)."`
	Until  string `json:"until,omitempty" jsonschema:"Only commits before this time (RFC 3339)."`
	minimal
	pagination
}

// CommitList is one page of list_commits.
type CommitList struct {
	Commits []Commit `json:"commits" jsonschema:"Commits on this page, newest first."`
	pageEnd
}

func (ts *toolset) listCommits() serverTool {
	return newTool(ts, ToolsetRepos, &mcp.Tool{
		Name:  "list_commits",
		Title: "List commits",
		Description: "Get the list of commits of a branch (or up to a commit) in a GitHub repository, newest first, " +
			"optionally only those by an author or touching a path. Results are paged: pass next_page as page to continue.",
		Annotations:  readOnly("List commits"),
		InputSchema:  inputSchema[listCommitsInput](withRepo, withPagination),
		OutputSchema: outputSchema[CommitList](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in listCommitsInput) (*mcp.CallToolResult, CommitList, error) {
		var zero CommitList
		if err := in.validate(); err != nil {
			return nil, zero, err
		}
		opts := &github.CommitsListOptions{SHA: in.SHA, Author: in.Author, Path: in.Path}
		for _, f := range []struct {
			name, v string
			dst     *time.Time
		}{{"since", in.Since, &opts.Since}, {"until", in.Until, &opts.Until}} {
			if f.v == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, f.v)
			if err != nil {
				return nil, zero, invalidInput("%s %q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", f.name, f.v)
			}
			*f.dst = t
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, zero, err
		}
		opts.ListOptions = lo
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, zero, err
		}
		commits, resp, err := gh.Repositories.ListCommits(ctx, in.Owner, in.Repo, opts)
		if err != nil {
			what := "the repository"
			if in.SHA != "" {
				what = "ref " + in.SHA
			}
			return nil, zero, ts.apiError(err, target{what: what, repo: in.repoRef})
		}
		out := CommitList{Commits: make([]Commit, 0, len(commits)), pageEnd: pageEnd{NextPage: resp.NextPage}}
		for _, c := range commits {
			out.Commits = append(out.Commits, toCommit(c, in.MinimalOutput))
		}
		if n := fitItems(out.Commits, ts.budgetFor(metaReserve)); n < len(out.Commits) {
			out.Truncated, out.Note = true, cutNote(n, len(out.Commits), lo.PerPage)
			out.Commits = out.Commits[:n]
		}
		return nil, out, nil
	})
}

type getCommitInput struct {
	repoRef
	SHA         string `json:"sha" jsonschema:"Commit SHA, branch name, or tag name."`
	IncludeDiff *bool  `json:"include_diff,omitempty" jsonschema:"Whether to include file diffs in the response. Default is true."`
	pagination
}

// CommitDetail is what get_commit returns.
type CommitDetail struct {
	Commit
	NextPage  int    `json:"next_page,omitempty" jsonschema:"Page of files to request next; absent on the last page."`
	Truncated bool   `json:"truncated,omitempty" jsonschema:"True when files were left out or patches cut to fit the result size limit (see note)."`
	Note      string `json:"note,omitempty" jsonschema:"What was left out and how to get it."`
}

func (ts *toolset) getCommit() serverTool {
	return newTool(ts, ToolsetRepos, &mcp.Tool{
		Name:        "get_commit",
		Title:       "Get commit details",
		Description: "Get details for a commit from a GitHub repository: message, author, parents, stats and the files it changed, with their diffs unless include_diff is false. Files are paged.",
		Annotations: readOnly("Get commit details"),
		InputSchema: inputSchema[getCommitInput](withRepo, withNonEmpty("sha"), withPagination, func(s *jsonschema.Schema) {
			prop(s, "include_diff").Default = json.RawMessage("true")
		}),
		OutputSchema: outputSchema[CommitDetail](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in getCommitInput) (*mcp.CallToolResult, CommitDetail, error) {
		var zero CommitDetail
		if err := in.validate(); err != nil {
			return nil, zero, err
		}
		if strings.TrimSpace(in.SHA) == "" {
			return nil, zero, invalidInput("sha must not be empty")
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, zero, err
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, zero, err
		}
		c, resp, err := gh.Repositories.GetCommit(ctx, in.Owner, in.Repo, in.SHA, &lo)
		if err != nil {
			return nil, zero, ts.apiError(err, target{what: "commit " + in.SHA, repo: in.repoRef})
		}
		out := CommitDetail{Commit: toCommit(c, false), NextPage: resp.NextPage}
		out.Stats = &CommitStats{Additions: c.GetStats().GetAdditions(), Deletions: c.GetStats().GetDeletions(), Total: c.GetStats().GetTotal()}
		out.Message, _ = clip(out.Message, 10_000, "message shortened")
		all := toChangedFiles(c.Files, in.IncludeDiff == nil || *in.IncludeDiff)
		if out.Files, out.Truncated = fitFiles(all, ts.budgetFor(metaReserve+len(out.Message))); out.Truncated {
			out.Note = cutNote(len(out.Files), len(all), lo.PerPage) + "; include_diff false lists files without patches"
		}
		return nil, out, nil
	})
}
