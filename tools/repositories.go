package tools

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Repository is a repository as the tools return it.
type Repository struct {
	FullName      string `json:"full_name" jsonschema:"owner/name."`
	Description   string `json:"description,omitempty" jsonschema:"Repository description, when set."`
	HTMLURL       string `json:"html_url" jsonschema:"Repository page on GitHub."`
	Stars         int    `json:"stars" jsonschema:"Number of stargazers."`
	Language      string `json:"language,omitempty" jsonschema:"Main language, when GitHub detected one."`
	Private       bool   `json:"private" jsonschema:"Whether the repository is private."`
	DefaultBranch string `json:"default_branch,omitempty" jsonschema:"Default branch name."`
	UpdatedAt     string `json:"updated_at,omitempty" jsonschema:"Last update (RFC 3339, UTC)."`
}

func toRepository(r *github.Repository) Repository {
	return Repository{
		FullName:      r.GetFullName(),
		Description:   r.GetDescription(),
		HTMLURL:       r.GetHTMLURL(),
		Stars:         r.GetStargazersCount(),
		Language:      r.GetLanguage(),
		Private:       r.GetPrivate(),
		DefaultBranch: r.GetDefaultBranch(),
		UpdatedAt:     timestamp(r.UpdatedAt),
	}
}

type searchRepositoriesInput struct {
	Query string `json:"query" jsonschema:"GitHub repository search query, e.g. 'mcp in:name language:go', 'user:octocat', 'topic:oauth stars:>100'."`
	Sort  string `json:"sort,omitempty" jsonschema:"Sort by this field; best match when omitted."`
	Order string `json:"order,omitempty" jsonschema:"Sort order when sort is given (default desc)."`
	minimal
	pagination
}

// RepositorySearchResult is one page of search_repositories.
type RepositorySearchResult struct {
	TotalCount        int          `json:"total_count" jsonschema:"Number of repositories that match the query."`
	IncompleteResults bool         `json:"incomplete_results" jsonschema:"True when GitHub's search timed out and results may be missing."`
	Items             []Repository `json:"items" jsonschema:"Repositories on this page."`
	pageEnd
}

func (ts *toolset) searchRepositories() serverTool {
	return newTool(ts, ToolsetSearch, &mcp.Tool{
		Name:  "search_repositories",
		Title: "Search repositories",
		Description: "Find GitHub repositories by name, description, readme, topics or other metadata, " +
			"using GitHub's search syntax. Results are paged: pass next_page as page to continue.",
		Annotations: readOnly("Search repositories"),
		InputSchema: inputSchema[searchRepositoriesInput](
			withNonEmpty("query"),
			withEnum("sort", "", "stars", "forks", "help-wanted-issues", "updated"),
			withEnum("order", "", "asc", "desc"),
			withPagination,
		),
		OutputSchema: outputSchema[RepositorySearchResult](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in searchRepositoriesInput) (*mcp.CallToolResult, RepositorySearchResult, error) {
		var zero RepositorySearchResult
		if strings.TrimSpace(in.Query) == "" {
			return nil, zero, invalidInput("query must not be empty")
		}
		if err := oneOf("sort", in.Sort, "stars", "forks", "help-wanted-issues", "updated"); err != nil {
			return nil, zero, err
		}
		if err := oneOf("order", in.Order, "asc", "desc"); err != nil {
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
		res, resp, err := gh.Search.Repositories(ctx, in.Query, &github.SearchOptions{Sort: in.Sort, Order: in.Order, ListOptions: lo})
		if err != nil {
			return nil, zero, ts.apiError(err, target{what: "search results"})
		}
		out := RepositorySearchResult{
			TotalCount:        res.GetTotal(),
			IncompleteResults: res.GetIncompleteResults(),
			Items:             make([]Repository, 0, len(res.Repositories)),
			pageEnd:           pageEnd{NextPage: resp.NextPage},
		}
		for _, r := range res.Repositories {
			repo := toRepository(r)
			if in.MinimalOutput {
				repo.Description, repo.Language, repo.UpdatedAt = "", "", ""
			}
			out.Items = append(out.Items, repo)
		}
		if n := fitItems(out.Items, ts.budgetFor(metaReserve)); n < len(out.Items) {
			out.Truncated, out.Note = true, cutNote(n, len(out.Items), lo.PerPage)
			out.Items = out.Items[:n]
		}
		return nil, out, nil
	})
}

// maxFileBytes caps the text get_file_contents returns.
const maxFileBytes = 1 << 20

// binarySniffBytes is how much of a file is checked for NUL bytes, as git
// does to decide that a file is binary.
const binarySniffBytes = 8000

type getFileContentsInput struct {
	repoRef
	Path string `json:"path,omitempty" jsonschema:"Path of the file or directory in the repository; the repository root when omitted."`
	Ref  string `json:"ref,omitempty" jsonschema:"Branch, tag or commit SHA (or refs/pull/N/head); the default branch when omitted."`
	SHA  string `json:"sha,omitempty" jsonschema:"Commit SHA to read at; used instead of ref when given."`
	lineRange
}

// DirectoryEntry is one entry of a directory listing.
type DirectoryEntry struct {
	Name string `json:"name" jsonschema:"Entry name."`
	Path string `json:"path" jsonschema:"Path from the repository root."`
	Type string `json:"type" jsonschema:"file, dir, symlink or submodule."`
	Size int    `json:"size" jsonschema:"Size in bytes (0 for directories)."`
}

// FileContents is what get_file_contents returns: a file's metadata (its
// text follows as a second text block, once, unescaped), a note that it is
// binary, or a directory listing.
type FileContents struct {
	Type         string           `json:"type" jsonschema:"file, dir, symlink or submodule."`
	Path         string           `json:"path" jsonschema:"Path from the repository root; empty for the root directory."`
	SHA          string           `json:"sha,omitempty" jsonschema:"Git blob SHA of the file (pass it to create_or_update_file to update the file)."`
	Size         int              `json:"size" jsonschema:"Size of the file in bytes (0 for directories)."`
	HTMLURL      string           `json:"html_url,omitempty" jsonschema:"Page of the file on GitHub."`
	Lines        *TextWindow      `json:"lines,omitempty" jsonschema:"Which lines of a text file follow in the next text block."`
	Truncated    bool             `json:"truncated,omitempty" jsonschema:"True when the text returned is not the whole file (see lines and note)."`
	Binary       bool             `json:"binary,omitempty" jsonschema:"True when the file is binary; its content is not returned (read resource_uri)."`
	ResourceURI  string           `json:"resource_uri,omitempty" jsonschema:"repo:// resource of the file, for a binary file or one larger than a result; read it with resources/read."`
	Target       string           `json:"target,omitempty" jsonschema:"Where a symlink points."`
	SubmoduleURL string           `json:"submodule_git_url,omitempty" jsonschema:"Git URL of a submodule."`
	Note         string           `json:"note,omitempty" jsonschema:"Remark for people about what was or was not returned."`
	Entries      []DirectoryEntry `json:"entries,omitempty" jsonschema:"Directory listing; present when type is dir."`
}

func (ts *toolset) getFileContents() serverTool {
	return newTool(ts, ToolsetRepos, &mcp.Tool{
		Name:  "get_file_contents",
		Title: "Get file or directory contents",
		Description: "Get the contents of a file or the listing of a directory from a GitHub repository, at the default branch " +
			"or at a ref. Text comes as plain text after a short JSON header; a long file comes in windows of whole lines " +
			"(start_line, end_line; continue at lines.next_start_line). Binary files are linked as a repo:// resource.",
		Annotations:  readOnly("Get file or directory contents"),
		InputSchema:  inputSchema[getFileContentsInput](withRepo, withLineRange),
		OutputSchema: outputSchema[FileContents](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in getFileContentsInput) (*mcp.CallToolResult, FileContents, error) {
		var zero FileContents
		if err := in.repoRef.validate(); err != nil {
			return nil, zero, err
		}
		if err := in.lineRange.validate(); err != nil {
			return nil, zero, err
		}
		path, err := cleanPath(in.Path)
		if err != nil {
			return nil, zero, err
		}
		ref := in.Ref
		if in.SHA != "" {
			ref = in.SHA
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, zero, err
		}
		what := "path " + path
		if path == "" {
			what = "the repository root"
		}
		if ref != "" {
			what += " at ref " + ref
		}
		t := target{what: what, repo: in.repoRef}

		file, dir, _, err := gh.Repositories.GetContents(ctx, in.Owner, in.Repo, path, &github.RepositoryContentGetOptions{Ref: ref})
		if err != nil {
			return nil, zero, ts.apiError(err, t)
		}
		if file == nil {
			out := directory(path, dir)
			if n := fitItems(out.Entries, ts.budgetFor(metaReserve)); n < len(out.Entries) {
				out.Truncated, out.Note = true, fmt.Sprintf("only the first %d of %d entries fit in the result size limit; list a subdirectory", n, len(out.Entries))
				out.Entries = out.Entries[:n]
			}
			return nil, out, nil
		}
		out := FileContents{
			Type:    file.GetType(),
			Path:    file.GetPath(),
			SHA:     file.GetSHA(),
			Size:    file.GetSize(),
			HTMLURL: file.GetHTMLURL(),
		}
		switch out.Type {
		case "symlink":
			out.Target = file.GetTarget()
			return nil, out, nil
		case "submodule":
			out.SubmoduleURL = file.GetSubmoduleGitURL()
			return nil, out, nil
		}
		data, err := fileBytes(ctx, gh, file, in.repoRef, path, ref)
		if err != nil {
			return nil, zero, ts.apiError(err, t)
		}
		text, capped := cutUTF8(data, maxFileBytes)
		if isBinary(text) {
			out.Binary = true
			out.ResourceURI = contentLink(in.repoRef, ref, path)
			out.Note = fmt.Sprintf("binary file of %d bytes; content not shown (read resource_uri for its bytes)", out.Size)
			return nil, out, nil
		}
		body, w := window(string(text), in.lineRange, ts.budgetFor(metaReserve))
		out.Lines = &w
		out.Truncated = w.Truncated || capped
		switch {
		case capped && !w.Truncated:
			out.Note = fmt.Sprintf("file is %d bytes; only its first %d bytes can be read here", out.Size, len(text))
		case w.Note != "":
			out.Note = w.Note
		case len(text) == 0:
			out.Note = "empty file"
		}
		res, err := textResult(out, body)
		if err == nil && (w.NextStartLine > 0 && in.EndLine == 0 || capped) {
			out.ResourceURI = contentLink(in.repoRef, ref, path)
			if res, err = textResult(out, body); err == nil {
				size := int64(out.Size)
				res.Content = append(res.Content, &mcp.ResourceLink{URI: out.ResourceURI, Name: path, Title: path + " (whole file)", Size: &size})
			}
		}
		return res, out, err
	})
}

// cleanPath strips surrounding slashes and refuses "." and ".." segments,
// which would make the request address another API path.
func cleanPath(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", invalidInput("path %q must be a plain repository path without empty, '.' or '..' segments", p)
		}
	}
	return p, nil
}

func directory(path string, entries []*github.RepositoryContent) FileContents {
	out := FileContents{Type: "dir", Path: path, Entries: make([]DirectoryEntry, 0, len(entries))}
	for _, e := range entries {
		out.Entries = append(out.Entries, DirectoryEntry{
			Name: e.GetName(),
			Path: e.GetPath(),
			Type: e.GetType(),
			Size: e.GetSize(),
		})
	}
	if len(out.Entries) == 0 {
		out.Note = "empty directory"
	}
	return out
}

// fileBytes returns a file's bytes: decoded from the contents response
// (GitHub inlines files up to 1 MB), or, for files it does not inline
// (encoding "none"), at most maxFileBytes+1 bytes read through the raw media
// type.
func fileBytes(ctx context.Context, gh *github.Client, file *github.RepositoryContent, repo repoRef, path, ref string) ([]byte, error) {
	if file.GetEncoding() == "none" {
		return rawFile(ctx, gh, repo, path, ref)
	}
	text, err := file.GetContent()
	if err != nil {
		return nil, &toolError{msg: "GitHub returned file content this tool cannot decode: " + err.Error(), cause: err}
	}
	return []byte(text), nil
}

// rawFile reads at most maxFileBytes+1 bytes of a file through the raw
// media type, so that a large file is truncated without being downloaded
// whole.
func rawFile(ctx context.Context, gh *github.Client, repo repoRef, path, ref string) ([]byte, error) {
	u := "repos/" + url.PathEscape(repo.Owner) + "/" + url.PathEscape(repo.Repo) + "/contents/" + (&url.URL{Path: path}).EscapedPath()
	if ref != "" {
		u += "?" + url.Values{"ref": {ref}}.Encode()
	}
	req, err := gh.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github.raw+json")
	resp, err := gh.BareDo(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	return data, nil
}

// cutUTF8 returns at most limit bytes of data, never splitting a UTF-8
// sequence, and whether anything was cut.
func cutUTF8(data []byte, limit int) ([]byte, bool) {
	if len(data) <= limit {
		return data, false
	}
	cut := limit
	for cut > 0 && limit-cut < utf8.UTFMax && !utf8.RuneStart(data[cut]) {
		cut--
	}
	return data[:cut], true
}

// isBinary reports whether data looks binary: a NUL byte near the start
// (git's heuristic) or bytes that are not UTF-8.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), binarySniffBytes)], 0) >= 0 || !utf8.Valid(data)
}
