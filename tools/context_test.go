package tools_test

import (
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

func TestGetMe(t *testing.T) {
	cases := []toolCase{
		{
			name: "signed-in user",
			check: func(t *testing.T, e *testEnv, res *mcp.CallToolResult) {
				u := output[tools.User](t, res)
				if u.Login != "mona" || u.ID != 1001 || u.Name != "Mona Lisa Octocat" || u.Email != "mona@example.com" {
					t.Errorf("user = %+v, want mona (1001, Mona Lisa Octocat, mona@example.com)", u)
				}
				if u.HTMLURL != e.fake.URL+"/mona" {
					t.Errorf("html_url = %q, want %q", u.HTMLURL, e.fake.URL+"/mona")
				}
			},
		},
		{
			name:  "another user, private email left out",
			setup: asHubot,
			check: func(t *testing.T, _ *testEnv, res *mcp.CallToolResult) {
				u := output[tools.User](t, res)
				if u.Login != "hubot" || u.ID != 1002 || u.Email != "" {
					t.Errorf("user = %+v, want hubot (1002) without email", u)
				}
			},
		},
		{
			name:    "unexpected argument",
			args:    map[string]any{"login": "mona"},
			wantErr: `validating "arguments"`,
		},
	}
	runCases(t, "get_me", append(cases, commonCases(nil, "")...))
}

// TestGetMeEnterprise runs get_me against the GitHub Enterprise Server
// shape (REST under /api/v3/ only).
func TestGetMeEnterprise(t *testing.T) {
	e := newTestEnvWith(t, fakegithub.Options{ClientID: "id", ClientSecret: "secret", Enterprise: true})
	u := output[tools.User](t, e.call(t, "get_me", nil))
	if u.Login != "mona" {
		t.Errorf("login = %q, want mona", u.Login)
	}
}
