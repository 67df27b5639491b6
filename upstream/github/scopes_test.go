package github_test

import (
	"net/url"
	"testing"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/github"
)

// TestReadOnlyScopes: a read-only authorization (the person granted only
// tools that read) asks GitHub for no scope that can write: repo and
// public_repo (both read and write; GitHub has no read-only repository
// scope for OAuth Apps), workflow, gist, write:* and admin:* go, and
// scopes that have a read-only counterpart are replaced by it.
func TestReadOnlyScopes(t *testing.T) {
	tests := []struct {
		configured []string
		full, ro   string
	}{
		{nil, "repo read:user user:email", "read:user user:email"},
		{[]string{"public_repo", "read:org"}, "public_repo read:org", "read:org"},
		{[]string{"repo", "user", "write:org", "admin:repo_hook", "write:packages", "project", "workflow", "gist", "delete_repo", "notifications", "read:audit_log"},
			"repo user write:org admin:repo_hook write:packages project workflow gist delete_repo notifications read:audit_log",
			"read:user read:org read:repo_hook read:packages read:project notifications read:audit_log"},
		{[]string{"user", "read:user"}, "user read:user", "read:user"},
	}
	for _, tt := range tests {
		t.Run(tt.full, func(t *testing.T) {
			p, err := github.New(github.Config{ClientID: "cid", ClientSecret: "cs", RedirectURL: "https://mcp.example.com/oauth/callback/github", Scopes: tt.configured})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				readOnly bool
				want     string
			}{{false, tt.full}, {true, tt.ro}} {
				u, err := url.Parse(p.AuthCodeURL(upstream.AuthRequest{State: "st", ReadOnly: c.readOnly}))
				if err != nil {
					t.Fatal(err)
				}
				if got := u.Query().Get("scope"); got != c.want {
					t.Errorf("ReadOnly=%v: scope %q, want %q", c.readOnly, got, c.want)
				}
			}
		})
	}
}
