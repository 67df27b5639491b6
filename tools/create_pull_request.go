package tools

import (
	"context"
	"strings"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type createPullRequestInput struct {
	repoRef
	Title               string `json:"title" jsonschema:"PR title."`
	Head                string `json:"head" jsonschema:"Branch containing changes, or owner:branch for a fork."`
	Base                string `json:"base" jsonschema:"Base branch name to merge into, e.g. main."`
	Body                string `json:"body,omitempty" jsonschema:"PR description; Markdown supported."`
	Draft               bool   `json:"draft,omitempty" jsonschema:"Create as draft PR."`
	MaintainerCanModify *bool  `json:"maintainer_can_modify,omitempty" jsonschema:"Allow maintainer edits."`
}

func (ts *toolset) createPullRequest() serverTool {
	return newTool(ts, ToolsetPullRequests, &mcp.Tool{
		Name:  "create_pull_request",
		Title: "Open new pull request",
		Description: "Create a new pull request in a GitHub repository, as the signed-in user, from head (a branch with " +
			"changes, e.g. made with create_branch and create_or_update_file) into base.",
		Annotations:  additive("Open new pull request"),
		InputSchema:  inputSchema[createPullRequestInput](withRepo, withNonEmpty("title", "head", "base")),
		OutputSchema: outputSchema[PullRequest](),
	}, func(ctx context.Context, req *mcp.CallToolRequest, in createPullRequestInput) (*mcp.CallToolResult, PullRequest, error) {
		if err := in.validate(); err != nil {
			return nil, PullRequest{}, err
		}
		for _, f := range []struct{ name, v string }{{"title", in.Title}, {"head", in.Head}, {"base", in.Base}} {
			if strings.TrimSpace(f.v) == "" {
				return nil, PullRequest{}, invalidInput("%s must not be empty", f.name)
			}
		}
		gh, err := ts.client(ctx, req)
		if err != nil {
			return nil, PullRequest{}, err
		}
		body := github.CreatePullRequest{Title: &in.Title, Head: in.Head, Base: in.Base, Draft: &in.Draft, MaintainerCanModify: in.MaintainerCanModify}
		if in.Body != "" {
			body.Body = &in.Body
		}
		pr, _, err := gh.PullRequests.Create(ctx, in.Owner, in.Repo, body)
		if err != nil {
			return nil, PullRequest{}, ts.apiError(err, target{what: "the repository", repo: in.repoRef})
		}
		p := toPullRequest(pr)
		p.Body, _ = clipJSON(p.Body, ts.budgetFor(metaReserve), "shortened; pull_request_read has the full text")
		return nil, p, nil
	})
}
