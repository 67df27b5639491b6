package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestToolsConfigWiring: the tools section reaches the GitHub server
// behind /mcp. A go-sdk client signed in through the whole gateway lists
// exactly the tools the options select (as the consent page does), sees
// only the capabilities served,
// and, where served, reads a repo:// resource, gets a prompt and completes
// an argument, each with the caller's own GitHub token.
func TestToolsConfigWiring(t *testing.T) {
	tests := []struct {
		name      string
		tools     config.ToolsConfig
		wantTools []string
		// wantPrompts are the prompts listed; none means no prompts
		// capability.
		wantPrompts []string
		// aliasWorks: get_issue (retired name of issue_read) is callable.
		aliasWorks bool
	}{
		{
			name:  "defaults",
			tools: config.ToolsConfig{MaxResultChars: 100_000},
			wantTools: []string{"actions_get", "actions_list", "add_issue_comment", "compare_refs", "create_branch",
				"create_or_update_file", "create_pull_request", "get_commit", "get_file_contents", "get_job_logs", "get_me",
				"issue_read", "issue_write", "list_branches", "list_commits", "list_issues", "list_pull_requests",
				"pull_request_read", "search_code", "search_issues", "search_pull_requests", "search_repositories", "whoami"},
			wantPrompts: []string{"explain_failed_run", "review_pull_request", "summarize_issue"},
			aliasWorks:  true,
		},
		{
			name:        "read-only issues and repos",
			tools:       config.ToolsConfig{MaxResultChars: 20_000, Toolsets: []string{"repos", "issues"}, ReadOnly: true, Deny: []string{"list_commits"}},
			wantTools:   []string{"compare_refs", "get_commit", "get_file_contents", "issue_read", "list_branches", "list_issues", "whoami"},
			wantPrompts: []string{"summarize_issue"},
			aliasWorks:  true,
		},
		{
			name:      "allow list",
			tools:     config.ToolsConfig{MaxResultChars: 100_000, Allow: []string{"get_me", "get_file_contents"}},
			wantTools: []string{"get_file_contents", "get_me", "whoami"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			fake := fakegithubtest.NewServer(t, fakegithub.Options{ClientID: "gh-client", ClientSecret: "gh-client-secret", AutoApprove: true, Enterprise: true})
			gw := startGateway(t, gatewayOptions{fake: fake, configure: func(cfg *config.Config) { cfg.Tools = tt.tools }})
			c := registerClient(ctx, t, gw.URL, "")

			// The consent page lists the same tools, writes apart.
			_, challenge := pkce(t)
			page := string(do(t, c.browser.Client, mustRequest(t, c.authorizeURL(gw.PublicURL, challenge, "s"))).Body)
			for _, name := range tt.wantTools {
				if name != "whoami" && !strings.Contains(page, "<code>"+name+"</code>") {
					t.Errorf("consent page does not list %s", name)
				}
			}
			// Only the defaults serve a write tool.
			if writes, want := strings.Contains(page, "which make changes"), slices.Contains(tt.wantTools, "issue_write"); writes != want {
				t.Errorf("consent page lists write tools: %v, want %v", writes, want)
			}

			tok := c.signIn(ctx, t, gw.PublicURL, gw.URL)
			cs, err := connectWithToken(ctx, t, gw.URL+"/mcp", tok.AccessToken)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer cs.Close()

			list, err := cs.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.wantTools) {
				t.Errorf("tools/list = %v, want %v", names, tt.wantTools)
			}

			caps := cs.InitializeResult().Capabilities
			if caps.Resources == nil || caps.Completions == nil {
				t.Errorf("capabilities %+v: want resources and completions", caps)
			}
			if (caps.Prompts != nil) != (len(tt.wantPrompts) > 0) {
				t.Errorf("prompts capability %v, want prompts %v", caps.Prompts, tt.wantPrompts)
			}
			if len(tt.wantPrompts) > 0 {
				prompts, err := cs.ListPrompts(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, p := range prompts.Prompts {
					got = append(got, p.Name)
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.wantPrompts) {
					t.Errorf("prompts/list = %v, want %v", got, tt.wantPrompts)
				}
				p, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarize_issue",
					Arguments: map[string]string{"owner": "mona", "repo": "hello-world", "issue_number": "2"}})
				if err != nil {
					t.Fatalf("prompts/get summarize_issue: %v", err)
				}
				if text := p.Messages[0].Content.(*mcp.TextContent).Text; !strings.Contains(text, "issue #2 in mona/hello-world") {
					t.Errorf("summarize_issue = %q", text)
				}
			}

			// The resource is read from the fake GitHub with mona's
			// upstream token, through the gateway's broker.
			res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "repo://mona/hello-world/contents/README.md"})
			if err != nil {
				t.Fatalf("resources/read: %v", err)
			}
			if len(res.Contents) != 1 || !strings.HasPrefix(res.Contents[0].Text, "# hello-world") {
				t.Errorf("resources/read = %+v", res.Contents)
			}
			templates, err := cs.ListResourceTemplates(ctx, nil)
			if err != nil || len(templates.ResourceTemplates) != 5 {
				t.Errorf("resources/templates/list = %v, %v; want the five repo:// templates", templates, err)
			}

			done, err := cs.Complete(ctx, &mcp.CompleteParams{
				Ref:      &mcp.CompleteReference{Type: "ref/resource", URI: "repo://{owner}/{repo}/contents{/path*}"},
				Argument: mcp.CompleteParamsArgument{Name: "repo", Value: "hel"},
				Context:  &mcp.CompleteContext{Arguments: map[string]string{"owner": "mona"}},
			})
			if err != nil {
				t.Fatalf("completion/complete: %v", err)
			}
			if !slices.Equal(done.Completion.Values, []string{"hello-world"}) {
				t.Errorf("completion of repo hel = %v, want [hello-world]", done.Completion.Values)
			}

			alias, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_issue", Arguments: map[string]any{"owner": "mona", "repo": "hello-world", "issue_number": 1}})
			switch {
			case tt.aliasWorks && (err != nil || alias.IsError):
				t.Errorf("get_issue (retired name of issue_read): %v %q", err, callText(t, alias))
			case !tt.aliasWorks && err == nil && !alias.IsError:
				t.Errorf("get_issue answered although issue_read is not served: %q", callText(t, alias))
			}
		})
	}
}
