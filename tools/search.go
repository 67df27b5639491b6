package tools

import (
	"context"
	"strings"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// searchSorts are the sort fields of GitHub's issue search.
var searchSorts = []string{"comments", "reactions", "reactions-+1", "reactions--1", "reactions-smile",
	"reactions-thinking_face", "reactions-heart", "reactions-tada", "interactions", "created", "updated"}

type searchIssuesInput struct {
	Query string `json:"query" jsonschema:"Search query using GitHub's issue search syntax, e.g. 'is:open label:bug crash'."`
	Owner string `json:"owner,omitempty" jsonschema:"Optional repository owner. If provided with repo, only results of this repository are listed."`
	Repo  string `json:"repo,omitempty" jsonschema:"Optional repository name. If provided with owner, only results of this repository are listed."`
	Sort  string `json:"sort,omitempty" jsonschema:"Sort field by number of matches of categories; best match when omitted."`
	Order string `json:"order,omitempty" jsonschema:"Sort order."`
	minimal
	pagination
}

// IssueSearchResult is one page of search_issues or search_pull_requests.
type IssueSearchResult struct {
	TotalCount        int     `json:"total_count" jsonschema:"Number of results that match the query."`
	IncompleteResults bool    `json:"incomplete_results" jsonschema:"True when GitHub's search timed out and results may be missing."`
	Items             []Issue `json:"items" jsonschema:"Results on this page; pull requests have is_pull_request true."`
	pageEnd
}

func (ts *toolset) searchIssues() serverTool { return ts.searchIssueKind("search_issues", "issue") }

func (ts *toolset) searchPullRequests() serverTool {
	return ts.searchIssueKind("search_pull_requests", "pr")
}

// searchIssueKind builds search_issues (kind "issue") or
// search_pull_requests (kind "pr"): GitHub's issue search with is:issue or
// is:pr added, and repo:owner/repo when owner and repo are given.
func (ts *toolset) searchIssueKind(name, kind string) serverTool {
	title, what := "Search issues", "issues"
	if kind == "pr" {
		title, what = "Search pull requests", "pull requests"
	}
	return newTool(ts, ToolsetSearch, &mcp.Tool{
		Name:  name,
		Title: title,
		Description: "Search for " + what + " in GitHub repositories using GitHub's issue search syntax, already scoped to is:" + kind + ". " +
			"Bodies are shortened to 2,000 characters; minimal_output leaves them out. Results are paged: pass next_page as page to continue.",
		Annotations: readOnly(title),
		InputSchema: inputSchema[searchIssuesInput](withNonEmpty("query"), withEnum("sort", "", searchSorts...),
			withEnum("order", "", "asc", "desc"), withPagination),
		OutputSchema: outputSchema[IssueSearchResult](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in searchIssuesInput) (*mcp.CallToolResult, IssueSearchResult, error) {
		var zero IssueSearchResult
		if strings.TrimSpace(in.Query) == "" {
			return nil, zero, invalidInput("query must not be empty")
		}
		q := in.Query
		if !strings.Contains(q, "is:"+kind) {
			q = "is:" + kind + " " + q
		}
		if in.Owner != "" || in.Repo != "" {
			r := repoRef{Owner: in.Owner, Repo: in.Repo}
			if err := r.validate(); err != nil {
				return nil, zero, invalidInput("give both owner and repo, or neither")
			}
			q += " repo:" + r.String()
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, zero, err
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, zero, err
		}
		res, resp, err := gh.Search.Issues(ctx, q, &github.SearchOptions{Sort: in.Sort, Order: in.Order, ListOptions: lo})
		if err != nil {
			return nil, zero, ts.apiError(err, target{what: "search results"})
		}
		out := IssueSearchResult{TotalCount: res.GetTotal(), IncompleteResults: res.GetIncompleteResults(), Items: make([]Issue, 0, len(res.Issues)), pageEnd: pageEnd{NextPage: resp.NextPage}}
		for _, i := range res.Issues {
			out.Items = append(out.Items, in.listItem(toIssue(i)))
		}
		if n := fitItems(out.Items, ts.budgetFor(metaReserve)); n < len(out.Items) {
			out.Truncated, out.Note = true, cutNote(n, len(out.Items), lo.PerPage)
			out.Items = out.Items[:n]
		}
		return nil, out, nil
	})
}

type searchCodeInput struct {
	Query string `json:"query" jsonschema:"Search query (GitHub code search REST syntax): terms and qualifiers such as repo:owner/repo, org:, user:, language:, path:, filename:, extension:, in:file, in:path."`
	Sort  string `json:"sort,omitempty" jsonschema:"Sort field ('indexed' only)."`
	Order string `json:"order,omitempty" jsonschema:"Sort order for results."`
	minimal
	pagination
}

// CodeResult is one file that matches a code search.
type CodeResult struct {
	Repository string   `json:"repository" jsonschema:"owner/name of the repository."`
	Path       string   `json:"path" jsonschema:"Path of the file."`
	SHA        string   `json:"sha,omitempty" jsonschema:"Git blob SHA of the file."`
	HTMLURL    string   `json:"html_url,omitempty" jsonschema:"Page of the file on GitHub."`
	Fragments  []string `json:"fragments,omitzero" jsonschema:"Text around the matches (left out with minimal_output)."`
}

// CodeSearchResult is one page of search_code.
type CodeSearchResult struct {
	TotalCount        int          `json:"total_count" jsonschema:"Number of files that match the query."`
	IncompleteResults bool         `json:"incomplete_results" jsonschema:"True when GitHub's search timed out and results may be missing."`
	Items             []CodeResult `json:"items" jsonschema:"Files on this page."`
	pageEnd
}

func (ts *toolset) searchCode() serverTool {
	return newTool(ts, ToolsetSearch, &mcp.Tool{
		Name:  "search_code",
		Title: "Search code",
		Description: "Search for code across GitHub repositories with GitHub's code search: exact symbols, functions or text, " +
			"narrowed with qualifiers such as repo:owner/repo or language:go. Read a hit with get_file_contents. " +
			"Results are paged: pass next_page as page to continue.",
		Annotations: readOnly("Search code"),
		InputSchema: inputSchema[searchCodeInput](withNonEmpty("query"), withEnum("sort", "", "indexed"),
			withEnum("order", "", "asc", "desc"), withPagination),
		OutputSchema: outputSchema[CodeSearchResult](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in searchCodeInput) (*mcp.CallToolResult, CodeSearchResult, error) {
		var zero CodeSearchResult
		if strings.TrimSpace(in.Query) == "" {
			return nil, zero, invalidInput("query must not be empty")
		}
		lo, err := in.listOptions()
		if err != nil {
			return nil, zero, err
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, zero, err
		}
		res, resp, err := gh.Search.Code(ctx, in.Query, &github.SearchOptions{Sort: in.Sort, Order: in.Order, TextMatch: !in.MinimalOutput, ListOptions: lo})
		if err != nil {
			return nil, zero, ts.apiError(err, target{what: "search results"})
		}
		out := CodeSearchResult{TotalCount: res.GetTotal(), IncompleteResults: res.GetIncompleteResults(), Items: make([]CodeResult, 0, len(res.CodeResults)), pageEnd: pageEnd{NextPage: resp.NextPage}}
		for _, c := range res.CodeResults {
			item := CodeResult{Repository: c.GetRepository().GetFullName(), Path: c.GetPath(), SHA: c.GetSHA(), HTMLURL: c.GetHTMLURL()}
			if !in.MinimalOutput {
				for _, m := range c.TextMatches {
					frag, _ := clip(m.GetFragment(), 500, "fragment shortened")
					item.Fragments = append(item.Fragments, frag)
				}
			}
			out.Items = append(out.Items, item)
		}
		if n := fitItems(out.Items, ts.budgetFor(metaReserve)); n < len(out.Items) {
			out.Truncated, out.Note = true, cutNote(n, len(out.Items), lo.PerPage)
			out.Items = out.Items[:n]
		}
		return nil, out, nil
	})
}
