package fakegithub_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

func TestOrgMembership(t *testing.T) {
	for _, enterprise := range []bool{false, true} {
		f := fakegithubtest.NewServer(t, fakegithub.Options{Enterprise: enterprise})
		ctx := t.Context()
		tests := []struct {
			name       string
			token      string
			org        string
			wantStatus int // 0: success
			wantState  string
		}{
			{"active member", f.IssueTokenWithScopes("mona", "read:org"), "octo-org", 0, "active"},
			{"org name is case-insensitive", f.IssueTokenWithScopes("mona", "read:org"), "Octo-Org", 0, "active"},
			{"admin:org also reads", f.IssueTokenWithScopes("mona", "admin:org"), "octo-org", 0, "active"},
			{"pending invitation", f.IssueTokenWithScopes("hubot", "read:org"), "octo-org", 0, "pending"},
			{"without read:org", f.IssueToken("mona"), "octo-org", http.StatusForbidden, ""},
			{"unknown organisation", f.IssueTokenWithScopes("mona", "read:org"), "no-such-org", http.StatusNotFound, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				m, _, err := apiClient(t, f, tt.token).Organizations.GetOrgMembership(ctx, "", tt.org)
				if tt.wantStatus != 0 {
					if statusOf(err) != tt.wantStatus {
						t.Fatalf("err = %v, want status %d", err, tt.wantStatus)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if m.GetState() != tt.wantState || !strings.EqualFold(m.GetOrganization().GetLogin(), "octo-org") || m.GetUser().GetLogin() == "" {
					t.Errorf("membership = state %q org %q user %q", m.GetState(), m.GetOrganization().GetLogin(), m.GetUser().GetLogin())
				}
			})
		}
	}
}

func TestOrgMembershipNonMemberAndRemoval(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{})
	ctx := t.Context()
	f.AddUser(fakegithub.User{Login: "octocat", Name: "Octo Cat"})
	if err := f.AddOrg(fakegithub.Org{Login: "acme", Members: []string{"mona", "octocat"}, Teams: map[string][]string{"Core": {"mona", "octocat"}}}); err != nil {
		t.Fatal(err)
	}
	mona := apiClient(t, f, f.IssueTokenWithScopes("mona", "read:org"))
	octo := apiClient(t, f, f.IssueTokenWithScopes("octocat", "read:org"))
	hubot := apiClient(t, f, f.IssueTokenWithScopes("hubot", "read:org"))

	if _, _, err := hubot.Organizations.GetOrgMembership(ctx, "", "acme"); statusOf(err) != http.StatusNotFound {
		t.Fatalf("non-member: %v, want 404", err)
	}
	// Team memberships: by slug (case-insensitive), for a member's token.
	for _, who := range []string{"mona", "OctoCat"} {
		m, _, err := mona.Teams.GetTeamMembershipBySlug(ctx, "acme", "core", who)
		if err != nil || m.GetState() != "active" {
			t.Fatalf("team membership of %s: %v %v", who, m, err)
		}
	}
	if _, _, err := hubot.Teams.GetTeamMembershipBySlug(ctx, "acme", "core", "mona"); statusOf(err) != http.StatusNotFound {
		t.Errorf("a non-member sees the organisation's teams: %v", err)
	}
	if _, _, err := mona.Teams.GetTeamMembershipBySlug(ctx, "acme", "nope", "mona"); statusOf(err) != http.StatusNotFound {
		t.Errorf("unknown team: %v, want 404", err)
	}

	// Removing octocat from the team keeps the organisation membership.
	if !f.RemoveTeamMember("acme", "core", "octocat") || f.RemoveTeamMember("acme", "core", "octocat") {
		t.Fatal("RemoveTeamMember reported the wrong previous state")
	}
	if _, _, err := mona.Teams.GetTeamMembershipBySlug(ctx, "acme", "core", "octocat"); statusOf(err) != http.StatusNotFound {
		t.Errorf("removed team member: %v, want 404", err)
	}
	if m, _, err := octo.Organizations.GetOrgMembership(ctx, "", "acme"); err != nil || m.GetState() != "active" {
		t.Errorf("organisation membership after leaving the team: %v %v", m, err)
	}

	// Removing mona from the organisation removes her from its teams too.
	if !f.RemoveOrgMember("acme", "mona") || f.RemoveOrgMember("acme", "mona") || f.RemoveOrgMember("nope", "mona") {
		t.Fatal("RemoveOrgMember reported the wrong previous state")
	}
	if _, _, err := mona.Organizations.GetOrgMembership(ctx, "", "acme"); statusOf(err) != http.StatusNotFound {
		t.Errorf("removed member: %v, want 404", err)
	}
	if _, _, err := octo.Teams.GetTeamMembershipBySlug(ctx, "acme", "core", "mona"); statusOf(err) != http.StatusNotFound {
		t.Errorf("a removed member is still in a team: %v", err)
	}
}

func TestOrgRestrictsOAuthApps(t *testing.T) {
	ctx := t.Context()
	oauthApp := fakegithubtest.NewServer(t, fakegithub.Options{})
	if err := oauthApp.AddOrg(fakegithub.Org{Login: "locked", Members: []string{"mona"}, RestrictOAuthApps: true}); err != nil {
		t.Fatal(err)
	}
	_, _, err := apiClient(t, oauthApp, oauthApp.IssueTokenWithScopes("mona", "read:org")).Organizations.GetOrgMembership(ctx, "", "locked")
	if statusOf(err) != http.StatusForbidden || !strings.Contains(err.Error(), "OAuth App access restrictions") {
		t.Fatalf("restricted organisation: %v, want 403 naming the restriction", err)
	}

	// GitHub App user tokens are governed by the app's permissions instead.
	app := fakegithubtest.NewServer(t, fakegithub.Options{AppTokens: true})
	if err := app.AddOrg(fakegithub.Org{Login: "locked", Members: []string{"mona"}, RestrictOAuthApps: true}); err != nil {
		t.Fatal(err)
	}
	m, _, err := apiClient(t, app, app.IssueToken("mona")).Organizations.GetOrgMembership(ctx, "", "locked")
	if err != nil || m.GetState() != "active" {
		t.Fatalf("GitHub App token: %v %v", m, err)
	}
}

func TestAddOrgValidates(t *testing.T) {
	f := fakegithub.New(fakegithub.Options{})
	tests := []struct {
		name string
		org  fakegithub.Org
		want string
	}{
		{"empty name", fakegithub.Org{}, "invalid organisation name"},
		{"unknown member", fakegithub.Org{Login: "a", Members: []string{"ghost"}}, "unknown user"},
		{"unknown invitee", fakegithub.Org{Login: "a", Pending: []string{"ghost"}}, "unknown user"},
		{"team member outside the organisation", fakegithub.Org{Login: "a", Members: []string{"mona"}, Teams: map[string][]string{"t": {"hubot"}}}, "not an active member"},
		{"pending member in a team", fakegithub.Org{Login: "a", Pending: []string{"hubot"}, Teams: map[string][]string{"t": {"hubot"}}}, "not an active member"},
		{"bad slug", fakegithub.Org{Login: "a", Teams: map[string][]string{"a/b": nil}}, "invalid team slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.AddOrg(tt.org); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("AddOrg = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
