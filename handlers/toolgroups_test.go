package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream/allow"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

// newToolGroupServer signs in login at a fake GitHub where mona is a
// member of acme (and of no team), with no allowlist and two tool groups:
// "core" (the acme/core team) before "staff" (the acme organisation).
func newToolGroupServer(t *testing.T, login string) *gitHubAllowServer {
	t.Helper()
	s := newGitHubServerWith(t, login, func(cfg *Config) {
		cfg.ToolGroups = []ToolGroup{
			{Name: "core", Members: mustPolicy(t, allow.Rules{GitHubTeams: []string{"acme/core"}})},
			{Name: "staff", Members: mustPolicy(t, allow.Rules{GitHubOrgs: []string{"acme"}})},
		}
	})
	return s
}

// grantOf reads the grant of an access token.
func (s *gitHubAllowServer) grantOf(t *testing.T, at string) tokens.Grant {
	t.Helper()
	rec, err := s.accessRecord(at)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.store.GetGrant(context.Background(), rec.GrantID)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestToolGroupDecidedAtSignIn: the first group whose rules admit the
// person is recorded on the grant; someone no group admits gets "" (the
// deployment's default tools) and is still let in (groups are not an
// allowlist).
func TestToolGroupDecidedAtSignIn(t *testing.T) {
	for _, tt := range []struct {
		login, want string
	}{
		{"mona", "staff"}, // member of acme, not of acme/core
		{"hubot", ""},     // in no group
	} {
		t.Run(tt.login, func(t *testing.T) {
			s := newToolGroupServer(t, tt.login)
			c := s.register(authMethodNone, "http://localhost:7777/cb")
			tr := s.tokens(t, c)
			if g := s.grantOf(t, tr.AccessToken); g.ToolGroup != tt.want {
				t.Errorf("ToolGroup = %q, want %q", g.ToolGroup, tt.want)
			}
			if tt.want != "" && !strings.Contains(s.logs.String(), "tool_group="+tt.want) {
				t.Errorf("the group was not logged:\n%s", s.logs.String())
			}
		})
	}
}

// TestToolGroupFirstMatchWins: a person in both groups gets the first.
func TestToolGroupFirstMatchWins(t *testing.T) {
	s := newToolGroupServer(t, "mona")
	if err := s.fake.AddOrg(fakegithub.Org{Login: "acme", Members: []string{"mona"}, Teams: map[string][]string{"core": {"mona"}}}); err != nil {
		t.Fatal(err)
	}
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	tr := s.tokens(t, c)
	if g := s.grantOf(t, tr.AccessToken); g.ToolGroup != "core" {
		t.Errorf("ToolGroup = %q, want core (the first group that admits mona)", g.ToolGroup)
	}
}

// TestToolGroupRecheckedAtRefresh: while the person stays in their group
// refreshes succeed; once they leave it (removed from the organisation),
// the next refresh revokes the grant with a reason that says to sign in
// again, which records the current group.
func TestToolGroupRecheckedAtRefresh(t *testing.T) {
	s := newToolGroupServer(t, "mona")
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	tr := s.tokens(t, c)
	grant := s.grantOf(t, tr.AccessToken)
	resp := s.refresh(c, tr.RefreshToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh in the same group: %d %s", resp.StatusCode, readBody(t, resp))
	}
	var tr2 tokenResponse
	decodeJSON(t, resp, &tr2)

	s.fake.RemoveOrgMember("acme", "mona")
	e := wantOAuthError(t, s.refresh(c, tr2.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
	if !strings.Contains(e.ErrorDescription, "the tools your account may use have changed since you signed in; sign in again") {
		t.Errorf("error_description = %q", e.ErrorDescription)
	}
	if _, err := s.store.GetGrant(context.Background(), grant.ID); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("grant after the group changed: %v, want it revoked", err)
	}
	if !strings.Contains(s.logs.String(), "grant revoked at refresh: the person's tool group changed") {
		t.Errorf("the log does not say why the grant was revoked:\n%s", s.logs.String())
	}
	// Signing in again (from another client: this browser's consent to
	// c is remembered) records the default group.
	tr3 := s.tokens(t, s.register(authMethodNone, "http://localhost:7778/cb"))
	if g := s.grantOf(t, tr3.AccessToken); g.ToolGroup != "" {
		t.Errorf("ToolGroup after signing in again = %q, want none", g.ToolGroup)
	}
}

// TestToolGroupRecheckTransient: GitHub unreachable at refresh revokes
// nothing (temporarily_unavailable), as for the allowlist.
func TestToolGroupRecheckTransient(t *testing.T) {
	s := newToolGroupServer(t, "mona")
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	tr := s.tokens(t, c)
	s.fake.SetRateLimited(time.Now().Add(time.Hour))
	if resp := s.refresh(c, tr.RefreshToken); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("refresh while GitHub is rate limited: %d %s, want 503", resp.StatusCode, readBody(t, resp))
	}
	s.fake.SetRateLimited(time.Time{})
	if resp := s.refresh(c, tr.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh after GitHub recovered: %d %s", resp.StatusCode, readBody(t, resp))
	}
}

// TestNewChecksToolGroups: every problem of Config.ToolGroups at once.
func TestNewChecksToolGroups(t *testing.T) {
	cfg := Config{ToolGroups: []ToolGroup{
		{Name: "", Members: mustPolicy(t, allow.Rules{Users: []string{"github:1"}})},
		{Name: "a", Members: nil},
		{Name: "a", Members: mustPolicy(t, allow.Rules{GitHubOrgs: []string{"acme"}})},
	}}
	var got []string
	cfg.checkToolGroups(func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) })
	want := []string{
		"ToolGroups[0] has no name",
		"ToolGroups[1] (a) has no members rule: it would admit everyone",
		`ToolGroups[2]: the name "a" is used twice`,
		"UpstreamTokens is required when ToolGroups[2] (a) has GitHub organisation or team rules",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
