package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestConsentPageListsTools: the consent page names the tools the
// deployment serves, reads and writes apart, and shows no list when
// Config.ConsentTools is empty.
func TestConsentPageListsTools(t *testing.T) {
	tests := []struct {
		name  string
		tools ConsentTools
		want  []string
		not   []string
	}{
		{"reads and writes", ConsentTools{Provider: "GitHub", Read: []string{"get_me", "issue_read"}, Write: []string{"issue_write"}},
			[]string{"<h2>Tools</h2>", "Signed in with GitHub, it can call these tools, which only read: <code>get_me</code>, <code>issue_read</code>; and these, which make changes (with <code>mcp:write</code>): <code>issue_write</code>."},
			nil},
		{"read-only deployment", ConsentTools{Provider: "GitHub", Read: []string{"get_me"}},
			[]string{"Signed in with GitHub, it can call these tools, which only read: <code>get_me</code>. Other sign-ins"},
			[]string{"make changes (with"}},
		{"tool groups", ConsentTools{Provider: "GitHub", Read: []string{"get_me"}, Groups: []ConsentToolGroup{
			{Name: "staff", Who: "members of the acme GitHub organisation", Read: []string{"get_me"}, Write: []string{"issue_write"}},
		}},
			[]string{"Signed in with GitHub, the tools it can call depend on who you are, which is decided when you sign in:",
				"<li>members of the acme GitHub organisation (staff): these tools, which only read: <code>get_me</code>; and these, which make changes (with <code>mcp:write</code>): <code>issue_write</code></li>",
				"<li>everyone else: these tools, which only read: <code>get_me</code></li>"},
			nil},
		{"a group with no tools and defaults with none", ConsentTools{Provider: "GitHub", Groups: []ConsentToolGroup{
			{Name: "staff", Who: "the account github:1", Read: []string{"get_me"}},
		}},
			[]string{"<li>everyone else: <code>whoami</code> only</li>"},
			nil},
		{"none configured", ConsentTools{}, nil, []string{"<h2>Tools</h2>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, func(c *Config) { c.ConsentTools = tt.tools })
			r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(
				`{"client_name":"Tools","token_endpoint_auth_method":"none","redirect_uris":["https://app.example.com/cb"]}`))
			var reg registrationResponse
			decodeJSON(t, s.do(r), &reg)
			c := testClient{ID: reg.ClientID, Method: authMethodNone, RedirectURI: "https://app.example.com/cb"}
			_, challenge := pkce()
			page := readBody(t, s.browserGet("/authorize", authParams(c, challenge)))
			if !strings.Contains(page, "Allow <span class=\"name\">Tools</span>") {
				t.Fatalf("not the consent page:\n%s", page)
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("consent page lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(page, n) {
					t.Errorf("consent page contains %q", n)
				}
			}
		})
	}
}
