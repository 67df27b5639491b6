package tools

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxCompletions is how many values a completion returns at most (the
// specification's limit is 100).
const maxCompletions = 50

// CompletionHandler returns the completion/complete handler for the
// repository resource templates and the prompts: owner (the signed-in user
// and their organizations), repo (the owner's repositories), branch, tag
// and path (the entries of the directory typed so far). Set it as
// mcp.ServerOptions.CompletionHandler of the server RegisterWith fills; the
// SDK then advertises the completions capability, and only then. Values
// are filtered by the prefix typed; a lookup that fails completes nothing
// rather than failing the request.
func CompletionHandler(d Deps) func(context.Context, *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
	ts := newToolset(d, Options{})
	return func(ctx context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
		values := ts.complete(ctx, req)
		res := &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: []string{}}}
		for _, v := range values {
			if strings.HasPrefix(strings.ToLower(v), strings.ToLower(req.Params.Argument.Value)) && !slices.Contains(res.Completion.Values, v) {
				res.Completion.Values = append(res.Completion.Values, v)
			}
		}
		if len(res.Completion.Values) > maxCompletions {
			res.Completion.Values, res.Completion.HasMore = res.Completion.Values[:maxCompletions], true
		}
		res.Completion.Total = len(res.Completion.Values)
		return res, nil
	}
}

// complete lists the candidate values of the argument being completed.
func (ts *toolset) complete(ctx context.Context, req *mcp.CompleteRequest) []string {
	p := req.Params
	if p == nil || p.Ref == nil {
		return nil
	}
	known := map[string]string{}
	if p.Context != nil {
		known = p.Context.Arguments
	}
	gh, err := ts.client(ctx, &mcp.CallToolRequest{Session: req.Session, Extra: req.Extra})
	if err != nil {
		return nil
	}
	owner, repo := known["owner"], known["repo"]
	r := repoRef{Owner: owner, Repo: repo}
	lo := &github.ListOptions{PerPage: maxPerPage}
	var out []string
	switch p.Argument.Name {
	case "owner":
		if me, _, err := gh.Users.Get(ctx, ""); err == nil {
			out = append(out, me.GetLogin())
		}
		if orgs, _, err := gh.Organizations.List(ctx, "", lo); err == nil {
			for _, o := range orgs {
				out = append(out, o.GetLogin())
			}
		}
	case "repo":
		if namePattern.MatchString(owner) {
			q := "user:" + owner
			if v := p.Argument.Value; v != "" && namePattern.MatchString(v) {
				q += " " + v + " in:name"
			}
			if res, _, err := gh.Search.Repositories(ctx, q, &github.SearchOptions{ListOptions: *lo}); err == nil {
				for _, rp := range res.Repositories {
					out = append(out, rp.GetName())
				}
			}
		}
	case "branch":
		if r.validate() == nil {
			if bs, _, err := gh.Repositories.ListBranches(ctx, owner, repo, &github.BranchListOptions{ListOptions: *lo}); err == nil {
				for _, b := range bs {
					out = append(out, b.GetName())
				}
			}
		}
	case "path":
		if r.validate() != nil {
			return nil
		}
		// "docs/" lists docs; "docs/ap" lists docs too; "do" lists the root.
		dir := strings.Trim(p.Argument.Value, "/")
		if !strings.HasSuffix(p.Argument.Value, "/") {
			dir = path.Dir(dir)
		}
		if dir == "." {
			dir = ""
		}
		ref := ""
		if b := known["branch"]; b != "" {
			ref = b
		}
		if _, entries, _, err := gh.Repositories.GetContents(ctx, owner, repo, dir, &github.RepositoryContentGetOptions{Ref: ref}); err == nil {
			for _, e := range entries {
				v := e.GetPath()
				if e.GetType() == "dir" {
					v += "/"
				}
				out = append(out, v)
			}
		}
	}
	return out
}
