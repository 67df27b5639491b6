package allow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/mcpgate/mcpgate/upstream/github"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

// githubSetup is a fake GitHub Enterprise with the organisation acme
// (mona and octocat members, team core with mona; hubot invited) and a
// GitHub provider pointed at it.
func githubSetup(t *testing.T, opts fakegithub.Options) (*fakegithub.Fake, *github.Provider) {
	t.Helper()
	opts.Enterprise = true
	f := fakegithubtest.NewServer(t, opts)
	f.AddUser(fakegithub.User{Login: "octocat"})
	if err := f.AddOrg(fakegithub.Org{
		Login: "acme", Members: []string{"mona", "octocat"}, Pending: []string{"hubot"},
		Teams: map[string][]string{"core": {"mona"}},
	}); err != nil {
		t.Fatal(err)
	}
	p, err := github.New(github.Config{ClientID: f.ClientID(), ClientSecret: f.ClientSecret(), BaseURL: f.URL,
		RedirectURL: "http://127.0.0.1:1/oauth/callback/github"})
	if err != nil {
		t.Fatal(err)
	}
	return f, p
}

func membershipFor(t *testing.T, p *github.Provider, token, login string) *allow.GitHubMembership {
	t.Helper()
	c, err := p.NewClient(token)
	if err != nil {
		t.Fatal(err)
	}
	return allow.NewGitHubMembership(c, login)
}

func TestGitHubMembership(t *testing.T) {
	f, p := githubSetup(t, fakegithub.Options{})
	ctx := t.Context()
	tests := []struct {
		name     string
		login    string // the token's user
		hint     string // the login given to NewGitHubMembership
		scopes   []string
		org      string
		team     string // checked when set, as acme/<team>
		want     bool
		wantErr  error
		errMatch string
	}{
		{name: "active member", login: "mona", scopes: []string{"read:org"}, org: "acme", want: true},
		{name: "pending member", login: "hubot", scopes: []string{"read:org"}, org: "acme", want: false},
		{name: "not a member", login: "hubot", scopes: []string{"read:org"}, org: "other", want: false},
		{name: "no read:org", login: "mona", scopes: []string{"repo"}, org: "acme", wantErr: allow.ErrNoAccess},
		{name: "team member, login looked up", login: "mona", scopes: []string{"read:org"}, team: "core", want: true},
		{name: "team member, login given", login: "mona", hint: "mona", scopes: []string{"read:org"}, team: "core", want: true},
		{name: "team non-member", login: "octocat", scopes: []string{"read:org"}, team: "core", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := membershipFor(t, p, f.IssueTokenWithScopes(tt.login, tt.scopes...), tt.hint)
			var (
				got bool
				err error
			)
			if tt.team != "" {
				got, err = m.TeamMember(ctx, "acme", tt.team)
			} else {
				got, err = m.OrgMember(ctx, tt.org)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestGitHubMembershipLearnsLogin checks that an organisation check
// records the current login from GitHub's answer, so a team check after it
// uses that login rather than a stale one.
func TestGitHubMembershipLearnsLogin(t *testing.T) {
	f, p := githubSetup(t, fakegithub.Options{})
	ctx := t.Context()
	m := membershipFor(t, p, f.IssueTokenWithScopes("mona", "read:org"), "old-name")
	if ok, err := m.OrgMember(ctx, "acme"); err != nil || !ok {
		t.Fatalf("OrgMember = %v, %v", ok, err)
	}
	if ok, err := m.TeamMember(ctx, "acme", "core"); err != nil || !ok {
		t.Fatalf("TeamMember after learning the login = %v, %v", ok, err)
	}
}

func TestGitHubMembershipErrors(t *testing.T) {
	ctx := t.Context()

	t.Run("revoked token", func(t *testing.T) {
		_, p := githubSetup(t, fakegithub.Options{})
		m := membershipFor(t, p, "gho_not-a-token-the-fake-issued", "")
		_, err := m.OrgMember(ctx, "acme")
		if !errors.Is(err, upstream.ErrRevoked) {
			t.Fatalf("err = %v, want upstream.ErrRevoked", err)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		f, p := githubSetup(t, fakegithub.Options{})
		tok := f.IssueTokenWithScopes("mona", "read:org")
		f.SetRateLimited(time.Now().Add(time.Hour))
		_, err := membershipFor(t, p, tok, "").OrgMember(ctx, "acme")
		if err == nil || errors.Is(err, allow.ErrNoAccess) || !strings.Contains(err.Error(), "rate limit") {
			t.Fatalf("err = %v, want a transient rate-limit error (not ErrNoAccess)", err)
		}
	})
	t.Run("organisation restricts OAuth apps", func(t *testing.T) {
		f, p := githubSetup(t, fakegithub.Options{})
		if err := f.AddOrg(fakegithub.Org{Login: "locked", Members: []string{"mona"}, RestrictOAuthApps: true}); err != nil {
			t.Fatal(err)
		}
		_, err := membershipFor(t, p, f.IssueTokenWithScopes("mona", "read:org"), "").OrgMember(ctx, "locked")
		if !errors.Is(err, allow.ErrNoAccess) {
			t.Fatalf("err = %v, want ErrNoAccess", err)
		}
	})
}

// TestPolicyWithGitHub runs a Policy against the fake through LookupFor,
// as the callback and the token endpoint do.
func TestPolicyWithGitHub(t *testing.T) {
	f, p := githubSetup(t, fakegithub.Options{})
	ctx := t.Context()
	policy, err := allow.New(allow.Rules{GitHubOrgs: []string{"acme"}, GitHubTeams: []string{"acme/core"}})
	if err != nil {
		t.Fatal(err)
	}
	account := func(login string) allow.Account {
		return allow.Account{Provider: "github", ProviderDisplay: "GitHub", Subject: login, Login: login}
	}
	tokenCalls := 0
	tokenOf := func(login string) func(context.Context) (string, error) {
		tok := f.IssueTokenWithScopes(login, "read:org")
		return func(context.Context) (string, error) { tokenCalls++; return tok, nil }
	}

	if err := policy.Check(ctx, account("mona"), allow.LookupFor(p, tokenOf("mona"), "mona")); err != nil {
		t.Fatalf("mona (member): %v", err)
	}
	err = policy.Check(ctx, account("hubot"), allow.LookupFor(p, tokenOf("hubot"), "hubot"))
	if r, ok := errors.AsType[*allow.Refusal](err); !ok || !strings.Contains(strings.Join(r.Reasons, ";"), "not a member of the acme organisation") {
		t.Fatalf("hubot (invited only): %v", err)
	}
	// Removed from the organisation: refused at the next check.
	f.RemoveOrgMember("acme", "mona")
	if err := policy.Check(ctx, account("mona"), allow.LookupFor(p, tokenOf("mona"), "mona")); !errors.Is(err, upstream.ErrDenied) {
		t.Fatalf("mona after removal: %v, want a refusal", err)
	}
	if tokenCalls != 3 {
		t.Errorf("the token was requested %d times, want once per check", tokenCalls)
	}
}

func TestLookupForNonGitHub(t *testing.T) {
	var p upstream.Provider = (*oidc.Provider)(nil)
	if allow.LookupFor(p, func(context.Context) (string, error) { return "", nil }, "") != nil {
		t.Fatal("an OpenID Connect provider got a GitHub lookup")
	}
}
