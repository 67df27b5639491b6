package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// TestToolGroupsServeTheirTools: with tools.groups, each person gets the
// tools of their group, decided at sign-in. In the fake GitHub mona is a
// member of the octo-org/maintainers team (group "maintainers": issues,
// with writes) and hubot only invited to octo-org (the read-only
// default). tools/list of each is pinned in testdata/tools-list-GROUP.golden
// (UPDATE_GOLDEN=true rewrites them), a tool outside the group is refused
// exactly as a denied tool is (the SDK's unknown-tool error), and the
// consent page lists both choices.
func TestToolGroupsServeTheirTools(t *testing.T) {
	configure := func(cfg *config.Config) {
		cfg.Tools = config.ToolsConfig{
			MaxResultChars: 100_000,
			ReadOnly:       true,
			Toolsets:       []string{"context", "repos"},
			Deny:           []string{"compare_refs"},
			Groups: []config.ToolGroupConfig{{
				Name:     "maintainers",
				Members:  config.AllowConfig{GitHubTeams: []string{"octo-org/maintainers"}},
				Toolsets: []string{"context", "issues"},
			}},
		}
	}
	for _, tt := range []struct {
		login, golden string
		// outside is a tool the person's choice does not serve.
		outside string
	}{
		{"mona", "maintainers", "get_file_contents"},
		{"hubot", "default", "issue_write"},
	} {
		t.Run(tt.login, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			fake := fakegithubtest.NewServer(t, fakegithub.Options{ClientID: "gh-client", ClientSecret: "gh-client-secret",
				AutoApprove: true, DefaultLogin: tt.login, Enterprise: true})
			gw := startGateway(t, gatewayOptions{fake: fake, configure: configure})
			c := registerClient(ctx, t, gw.URL, "")

			_, challenge := pkce(t)
			page := string(do(t, c.browser.Client, mustRequest(t, c.authorizeURL(gw.PublicURL, challenge, "s"))).Body)
			for _, want := range []string{
				"members of the octo-org/maintainers GitHub team (maintainers): these tools, which only read:",
				"<li>everyone else: these tools, which only read: <code>get_me</code>",
			} {
				if !strings.Contains(page, want) {
					t.Errorf("consent page lacks %q", want)
				}
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
			var b strings.Builder
			for _, tool := range list.Tools {
				kind := "write"
				if tool.Annotations != nil && tool.Annotations.ReadOnlyHint {
					kind = "read"
				}
				b.WriteString(tool.Name + " " + kind + "\n")
			}
			checkGolden(t, filepath.Join("testdata", "tools-list-"+tt.golden+".golden"), b.String())

			_, outsideErr := cs.CallTool(ctx, &mcp.CallToolParams{Name: tt.outside, Arguments: map[string]any{}})
			_, deniedErr := cs.CallTool(ctx, &mcp.CallToolParams{Name: "compare_refs", Arguments: map[string]any{}})
			if outsideErr == nil || deniedErr == nil {
				t.Fatalf("calls outside the choice: %v, %v; want both refused", outsideErr, deniedErr)
			}
			if got, want := strings.ReplaceAll(outsideErr.Error(), tt.outside, "X"), strings.ReplaceAll(deniedErr.Error(), "compare_refs", "X"); got != want {
				t.Errorf("a tool outside the group is refused with %q, a denied one with %q: want the same error", got, want)
			}
		})
	}
}

// checkGolden compares got with the file at path; UPDATE_GOLDEN=true
// rewrites it.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") == "true" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden %s (UPDATE_GOLDEN=true go test creates it): %v", path, err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot\n%s\nwant\n%s", path, got, want)
	}
}
