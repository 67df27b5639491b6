package tools

import (
	"context"
	"fmt"
	"mime"
	"path"
	"strconv"
	"strings"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Repository content as MCP resources (spec: "Resources"), with the URI
// templates (RFC 6570) of github/github-mcp-server, so that a client's
// attachment menu (Claude's, Claude Code's @-mentions) can offer a
// repository's files: the default branch, a branch, a tag, a commit or a
// pull request's head. Text files come back as text, other files as blobs
// (images included), directories as a listing, one entry a line.
var contentTemplates = []struct {
	name, title, uri string
}{
	{"repository_content", "Repository content", "repo://{owner}/{repo}/contents{/path*}"},
	{"repository_content_branch", "Repository content at a branch", "repo://{owner}/{repo}/refs/heads/{branch}/contents{/path*}"},
	{"repository_content_tag", "Repository content at a tag", "repo://{owner}/{repo}/refs/tags/{tag}/contents{/path*}"},
	{"repository_content_commit", "Repository content at a commit", "repo://{owner}/{repo}/sha/{sha}/contents{/path*}"},
	{"repository_content_pr", "Repository content at a pull request's head", "repo://{owner}/{repo}/refs/pull/{prNumber}/head/contents{/path*}"},
}

func (ts *toolset) addResources(s *mcp.Server) {
	for _, t := range contentTemplates {
		s.AddResourceTemplate(&mcp.ResourceTemplate{
			Name:        t.name,
			Title:       t.title,
			URITemplate: t.uri,
			Description: t.title + " of a GitHub repository: a file (text, or a blob for images and other binary files) or a directory listing.",
		}, ts.readContent)
	}
}

// contentURI is a parsed repo:// URI.
type contentURI struct {
	repo repoRef
	ref  string // "" for the default branch
	path string
}

// parseContentURI reads the URIs of contentTemplates.
func parseContentURI(uri string) (contentURI, error) {
	rest, ok := strings.CutPrefix(uri, "repo://")
	if !ok {
		return contentURI{}, fmt.Errorf("not a repo:// URI: %q", uri)
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 3 {
		return contentURI{}, fmt.Errorf("%q names no contents: want repo://owner/repo/contents/path", uri)
	}
	c := contentURI{repo: repoRef{Owner: parts[0], Repo: parts[1]}}
	if err := c.repo.validate(); err != nil {
		return contentURI{}, err
	}
	rest = parts[2]
	// The ref part ends at the last "/contents" segment boundary, so that
	// branch names with slashes work.
	var refPart string
	if rest == "contents" || strings.HasPrefix(rest, "contents/") {
		c.path = strings.TrimPrefix(strings.TrimPrefix(rest, "contents"), "/")
	} else {
		i := strings.LastIndex(rest, "/contents/")
		switch {
		case i >= 0:
			refPart, c.path = rest[:i], rest[i+len("/contents/"):]
		case strings.HasSuffix(rest, "/contents"):
			refPart = strings.TrimSuffix(rest, "/contents")
		default:
			return contentURI{}, fmt.Errorf("%q names no contents", uri)
		}
	}
	switch {
	case refPart == "":
	case strings.HasPrefix(refPart, "refs/heads/"), strings.HasPrefix(refPart, "refs/tags/"):
		c.ref = refPart
	case strings.HasPrefix(refPart, "sha/"):
		c.ref = strings.TrimPrefix(refPart, "sha/")
	case strings.HasPrefix(refPart, "refs/pull/") && strings.HasSuffix(refPart, "/head"):
		n := strings.TrimSuffix(strings.TrimPrefix(refPart, "refs/pull/"), "/head")
		if _, err := strconv.Atoi(n); err != nil {
			return contentURI{}, fmt.Errorf("%q: pull request number %q is not a number", uri, n)
		}
		c.ref = refPart
	default:
		return contentURI{}, fmt.Errorf("%q: unknown ref form %q", uri, refPart)
	}
	p, err := cleanPath(c.path)
	if err != nil {
		return contentURI{}, err
	}
	c.path = p
	return c, nil
}

// contentLink is the repo:// URI of a file at ref (a branch, tag, SHA or
// "" for the default branch), as get_file_contents links files too large
// to send.
func contentLink(r repoRef, ref, p string) string {
	base := "repo://" + r.Owner + "/" + r.Repo
	switch {
	case ref == "":
	case strings.HasPrefix(ref, "refs/"):
		base += "/" + ref
	case len(ref) == 40 && isHexString(ref):
		base += "/sha/" + ref
	default:
		base += "/refs/heads/" + ref
	}
	return base + "/contents/" + p
}

func isHexString(s string) bool {
	return strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// maxResourceBytes caps a resource read: larger files are for
// get_file_contents' line windows.
const maxResourceBytes = maxFileBytes

// readContent serves a repo:// resource.
func (ts *toolset) readContent(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	c, err := parseContentURI(uri)
	if err != nil {
		return nil, err
	}
	gh, err := ts.client(ctx, &mcp.CallToolRequest{Session: req.Session, Extra: req.Extra})
	if err != nil {
		return nil, err
	}
	file, dir, _, err := gh.Repositories.GetContents(ctx, c.repo.Owner, c.repo.Repo, c.path, &github.RepositoryContentGetOptions{Ref: c.ref})
	if err != nil {
		if isNotFound(err) {
			return nil, mcp.ResourceNotFoundError(uri)
		}
		return nil, ts.apiError(err, target{what: "path " + c.path, repo: c.repo})
	}
	if file == nil {
		var b strings.Builder
		for _, e := range dir {
			b.WriteString(e.GetPath())
			if e.GetType() == "dir" {
				b.WriteString("/")
			}
			b.WriteString("\n")
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/directory", Text: b.String()}}}, nil
	}
	if file.GetType() != "file" {
		return nil, fmt.Errorf("%s is a %s, not a file", c.path, file.GetType())
	}
	if file.GetSize() > maxResourceBytes {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit of a resource read; read it with get_file_contents, which returns windows of lines", c.path, file.GetSize(), maxResourceBytes)
	}
	data, err := fileBytes(ctx, gh, file, c.repo, c.path, c.ref)
	if err != nil {
		return nil, ts.apiError(err, target{what: "path " + c.path, repo: c.repo})
	}
	mimeType := mime.TypeByExtension(path.Ext(c.path))
	if isBinary(data) {
		if mimeType == "" {
			mimeType = "application/octet-stream"
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: mimeType, Blob: data}}}, nil
	}
	if mimeType == "" || !strings.HasPrefix(mimeType, "text/") && !strings.Contains(mimeType, "json") && !strings.Contains(mimeType, "xml") && !strings.Contains(mimeType, "javascript") {
		mimeType = "text/plain; charset=utf-8"
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: mimeType, Text: string(data)}}}, nil
}
