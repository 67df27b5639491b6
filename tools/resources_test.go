package tools_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

func TestResourceTemplates(t *testing.T) {
	e := newTestEnv(t)
	res, err := e.cs.ListResourceTemplates(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, rt := range res.ResourceTemplates {
		uris = append(uris, rt.URITemplate)
	}
	for _, want := range []string{
		"repo://{owner}/{repo}/contents{/path*}",
		"repo://{owner}/{repo}/refs/heads/{branch}/contents{/path*}",
		"repo://{owner}/{repo}/refs/tags/{tag}/contents{/path*}",
		"repo://{owner}/{repo}/sha/{sha}/contents{/path*}",
		"repo://{owner}/{repo}/refs/pull/{prNumber}/head/contents{/path*}",
	} {
		if !strings.Contains(strings.Join(uris, " "), want) {
			t.Errorf("templates %v lack %s", uris, want)
		}
	}
}

func TestReadResource(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	cases := []struct {
		name, uri string
		setup     func(*testing.T, *testEnv)
		check     func(*testing.T, *mcp.ResourceContents)
		wantErr   string
	}{
		{name: "file on the default branch", uri: "repo://mona/hello-world/contents/README.md", check: func(t *testing.T, c *mcp.ResourceContents) {
			if !strings.HasPrefix(c.Text, "# hello-world") || !strings.HasPrefix(c.MIMEType, "text/markdown") {
				t.Errorf("contents = %q %q", c.MIMEType, c.Text)
			}
		}},
		{name: "directory", uri: "repo://mona/hello-world/contents/docs", check: func(t *testing.T, c *mcp.ResourceContents) {
			if c.Text != "docs/api.md\ndocs/getting-started.md\ndocs/images/\n" || c.MIMEType != "text/directory" {
				t.Errorf("listing = %q", c.Text)
			}
		}},
		{name: "at a branch", uri: "repo://mona/hello-world/refs/heads/fix-blank-name/contents/main.go", check: func(t *testing.T, c *mcp.ResourceContents) {
			if !strings.Contains(c.Text, "strings.TrimSpace") {
				t.Errorf("main.go at fix-blank-name = %q", c.Text)
			}
		}},
		{name: "at a tag", uri: "repo://mona/hello-world/refs/tags/v1.0/contents/README.md", check: func(t *testing.T, c *mcp.ResourceContents) {
			if strings.Contains(c.Text, "docs/api.md") {
				t.Errorf("README at v1.0 already links the API docs: %q", c.Text)
			}
		}},
		{name: "at a pull request head", uri: "repo://mona/spoon-knife/refs/pull/2/head/contents/index.html", check: func(t *testing.T, c *mcp.ResourceContents) {
			if !strings.Contains(c.Text, "Hello there, friend!") {
				t.Errorf("index.html at PR head = %q", c.Text)
			}
		}},
		{name: "image as a blob", uri: "repo://mona/assets/contents/logo.png",
			setup: addRepo(fakegithub.Repo{Owner: "mona", Name: "assets", Files: map[string]string{"logo.png": png}}),
			check: func(t *testing.T, c *mcp.ResourceContents) {
				if string(c.Blob) != png || c.MIMEType != "image/png" || c.Text != "" {
					t.Errorf("blob = %q %q", c.MIMEType, c.Blob)
				}
			}},
		{name: "missing file", uri: "repo://mona/hello-world/contents/nope.md", wantErr: "not found"},
		{name: "private repository of someone else", uri: "repo://mona/secret-plans/contents/PLANS.md", setup: asHubot, wantErr: "not found"},
		{name: "path escaping", uri: "repo://mona/hello-world/contents/../x", wantErr: "invalid arguments: path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			res, err := e.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: tc.uri})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resources/read %s: %v", tc.uri, err)
			}
			if len(res.Contents) != 1 || res.Contents[0].URI != tc.uri {
				t.Fatalf("contents = %+v", res.Contents)
			}
			tc.check(t, res.Contents[0])
		})
	}
}

func TestPrompts(t *testing.T) {
	e := newTestEnv(t)
	list, err := e.cs.ListPrompts(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Prompts {
		names = append(names, p.Name)
	}
	if strings.Join(names, " ") != "explain_failed_run review_pull_request summarize_issue" {
		t.Errorf("prompts = %v", names)
	}
	cases := []struct {
		name    string
		args    map[string]string
		want    string
		wantErr string
	}{
		{"review_pull_request", map[string]string{"owner": "mona", "repo": "hello-world", "pullNumber": "3"}, "Review pull request #3 in mona/hello-world", ""},
		{"summarize_issue", map[string]string{"owner": "mona", "repo": "hello-world", "issue_number": "2"}, "issue_read (method get)", ""},
		{"explain_failed_run", map[string]string{"owner": "mona", "repo": "hello-world", "branch": "fix-blank-name"}, "status failure and branch fix-blank-name", ""},
		{"review_pull_request", map[string]string{"owner": "mona", "repo": "hello-world"}, "", "needs the argument pullNumber"},
		{"summarize_issue", map[string]string{"owner": "mona/x", "repo": "y", "issue_number": "1"}, "", "not a valid GitHub name"},
	}
	for _, tc := range cases {
		res, err := e.cs.GetPrompt(context.Background(), &mcp.GetPromptParams{Name: tc.name, Arguments: tc.args})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s %v: err %v, want %q", tc.name, tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := res.Messages[0].Content.(*mcp.TextContent).Text; res.Messages[0].Role != "user" || !strings.Contains(got, tc.want) {
			t.Errorf("%s = %q, want it to contain %q", tc.name, got, tc.want)
		}
	}
}

func TestCompletions(t *testing.T) {
	fake := fakegithubtest.NewServer(t, fakegithub.Options{})
	token := fake.IssueToken("mona")
	deps := tools.Deps{
		GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
			return newGitHubClient(fake, token, false)
		},
		Whoami: func(context.Context, *mcp.CallToolRequest) (tools.Identity, error) {
			return tools.Identity{}, errors.New("no")
		},
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "x", Version: "x"}, &mcp.ServerOptions{CompletionHandler: tools.CompletionHandler(deps)})
	tools.Register(srv, deps)
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "t"}, nil).Connect(context.Background(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	if cs.InitializeResult().Capabilities.Completions == nil {
		t.Error("completions capability not advertised")
	}
	ref := &mcp.CompleteReference{Type: "ref/resource", URI: "repo://{owner}/{repo}/refs/heads/{branch}/contents{/path*}"}
	cases := []struct {
		arg, value string
		known      map[string]string
		want       []string
	}{
		{"owner", "mo", nil, []string{"mona"}},
		{"repo", "he", map[string]string{"owner": "mona"}, []string{"hello-world"}},
		{"branch", "", map[string]string{"owner": "mona", "repo": "hello-world"}, []string{"api-docs", "fix-blank-name", "main"}},
		{"path", "docs/", map[string]string{"owner": "mona", "repo": "hello-world", "branch": "main"}, []string{"docs/api.md", "docs/getting-started.md", "docs/images/"}},
		{"path", "do", map[string]string{"owner": "mona", "repo": "hello-world"}, []string{"docs/"}},
	}
	for _, tc := range cases {
		res, err := cs.Complete(context.Background(), &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: tc.arg, Value: tc.value},
			Context: &mcp.CompleteContext{Arguments: tc.known}})
		if err != nil {
			t.Fatalf("complete %s: %v", tc.arg, err)
		}
		if got := strings.Join(res.Completion.Values, " "); got != strings.Join(tc.want, " ") {
			t.Errorf("complete %s %q = %q, want %q", tc.arg, tc.value, got, tc.want)
		}
	}
}
