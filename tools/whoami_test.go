package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream"
)

var googleIdentity = tools.Identity{
	Provider: "google", ProviderName: "Google", UserID: "google:248289761001", Subject: "248289761001",
	Login: "alice@example.com", Email: "alice@example.com", EmailVerified: true, Name: "Alice Example",
	Scopes: []string{"mcp:read"}, ClientID: "client-1", GrantCreated: "2026-03-02T09:30:00Z",
}

func identityOf(id tools.Identity, err error) tools.WhoamiFunc {
	return func(context.Context, *mcp.CallToolRequest) (tools.Identity, error) { return id, err }
}

// connectIdentity connects a session to a server with RegisterIdentity.
func connectIdentity(t *testing.T, d tools.Deps) *mcp.ClientSession {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-test", Version: "test"}, nil)
	tools.RegisterIdentity(srv, d)
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "test"}, nil).Connect(t.Context(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func resultText(res *mcp.CallToolResult) string {
	var sb strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			sb.WriteString(tc.Text)
		}
	}
	return sb.String()
}

func TestWhoami(t *testing.T) {
	tests := []struct {
		name    string
		whoami  tools.WhoamiFunc
		want    *tools.Identity // nil: a tool error
		wantErr string
	}{
		{name: "identity", whoami: identityOf(googleIdentity, nil), want: &googleIdentity},
		{name: "no scopes marshal as a list", whoami: identityOf(tools.Identity{Provider: "oidc", UserID: "oidc:x", Subject: "x", ClientID: "c"}, nil),
			want: &tools.Identity{Provider: "oidc", UserID: "oidc:x", Subject: "x", ClientID: "c", Scopes: []string{}}},
		{name: "grant gone", whoami: identityOf(tools.Identity{}, fmt.Errorf("grant: %w", upstream.ErrRevoked)), wantErr: "reconnect"},
		{name: "store down", whoami: identityOf(tools.Identity{}, errors.New("redis unavailable")), wantErr: "could not read who you are signed in as: redis unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, server := range []string{"Register", "RegisterIdentity"} {
				var cs *mcp.ClientSession
				if server == "Register" {
					cs = connect(t, tools.Deps{GitHub: noGitHub(t), Whoami: tt.whoami})
				} else {
					cs = connectIdentity(t, tools.Deps{Whoami: tt.whoami})
				}
				res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "whoami", Arguments: map[string]any{}})
				if err != nil {
					t.Fatalf("%s: %v", server, err)
				}
				if tt.want == nil {
					if !res.IsError || !strings.Contains(resultText(res), tt.wantErr) {
						t.Fatalf("%s: result %q (isError %v), want a tool error containing %q", server, resultText(res), res.IsError, tt.wantErr)
					}
					continue
				}
				if res.IsError {
					t.Fatalf("%s: tool error %q", server, resultText(res))
				}
				raw, _ := json.Marshal(res.StructuredContent)
				var got tools.Identity
				if err := json.Unmarshal(raw, &got); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(*tt.want) || !strings.Contains(string(raw), `"scopes":[`) {
					t.Errorf("%s: whoami = %s, want %+v", server, raw, *tt.want)
				}
			}
		})
	}
}

func noGitHub(t *testing.T) tools.ClientFunc {
	return func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
		t.Error("whoami must not build a GitHub client")
		return nil, errors.New("no GitHub")
	}
}

// TestRegisterIdentity checks the server for callers without a GitHub
// sign-in: tools/list has whoami only, and a GitHub tool called by name
// anyway is a tool error that says to sign in with GitHub, while an
// unknown name stays the SDK's protocol error.
func TestRegisterIdentity(t *testing.T) {
	cs := connectIdentity(t, tools.Deps{Whoami: identityOf(googleIdentity, nil)})
	list, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Tools) != 1 || list.Tools[0].Name != "whoami" {
		var names []string
		for _, tool := range list.Tools {
			names = append(names, tool.Name)
		}
		t.Fatalf("tools/list = %v, want [whoami]", names)
	}
	names := tools.Names()
	for alias := range tools.Aliases() {
		names = append(names, alias)
	}
	for _, name := range names {
		if name == "whoami" {
			continue
		}
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: map[string]any{"owner": "mona", "repo": "hello-world"}})
		if err != nil {
			t.Fatalf("%s: protocol error %v, want a tool error", name, err)
		}
		if !res.IsError || !strings.Contains(resultText(res), "sign in with GitHub") {
			t.Errorf("%s: %q (isError %v), want a tool error saying to sign in with GitHub", name, resultText(res), res.IsError)
		}
	}
	if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "no_such_tool"}); err == nil {
		t.Error("an unknown tool did not get a protocol error")
	}
}

// TestGitHubToolWithoutGitHubSignIn checks the second line of defence: a
// ClientFunc that finds no GitHub sign-in makes the tool answer with the
// same advice.
func TestGitHubToolWithoutGitHubSignIn(t *testing.T) {
	cs := connect(t, tools.Deps{GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
		return nil, fmt.Errorf("grant of google: %w", tools.ErrNotGitHub)
	}})
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "get_me", Arguments: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resultText(res); !res.IsError || !strings.Contains(got, "sign in with GitHub") || strings.Contains(got, "could not reach GitHub") {
		t.Fatalf("get_me = %q (isError %v)", got, res.IsError)
	}
}

func TestRegisterPanicsWithoutDeps(t *testing.T) {
	gitHubClient := func(context.Context, *mcp.CallToolRequest) (*github.Client, error) { return nil, nil }
	tests := []struct {
		name     string
		register func()
	}{
		{"Register without Whoami", func() {
			tools.Register(mcp.NewServer(&mcp.Implementation{Name: "x", Version: "x"}, nil), tools.Deps{GitHub: gitHubClient})
		}},
		{"RegisterIdentity without Whoami", func() {
			tools.RegisterIdentity(mcp.NewServer(&mcp.Implementation{Name: "x", Version: "x"}, nil), tools.Deps{GitHub: gitHubClient})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tt.register()
		})
	}
	if !slices.Contains(tools.Names(), "whoami") {
		t.Error("Names lacks whoami")
	}
}
