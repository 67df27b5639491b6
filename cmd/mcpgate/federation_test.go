package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc/fakeoidctest"
)

// federation is a gateway with three identity providers: a fake GitHub
// Enterprise (the github section), a fake OpenID Provider configured as
// Google, and another one as a generic OpenID Connect issuer (both in the
// providers list).
type federation struct {
	gw                   *testGateway
	github               *fakegithub.Fake
	googleIdP, corporate *fakeoidc.Fake
}

func startFederation(t *testing.T, allow config.AllowConfig, corporate fakeoidc.Options) *federation {
	t.Helper()
	f := &federation{
		github: fakegithubtest.NewServer(t, fakegithub.Options{
			ClientID: "gh-client", ClientSecret: "gh-client-secret", AutoApprove: true, Enterprise: true,
		}),
		googleIdP: fakeoidctest.NewServer(t, fakeoidc.Options{
			ClientID: "google-client", ClientSecret: "google-client-secret", AutoApprove: true, AppName: "Google",
		}),
	}
	corporate.ClientID, corporate.ClientSecret = "corp-client", "corp-client-secret"
	f.corporate = fakeoidctest.NewServer(t, corporate)
	f.gw = startGateway(t, gatewayOptions{fake: f.github, configure: func(cfg *config.Config) {
		cfg.Providers = []config.ProviderConfig{
			{Type: "google", IssuerURL: f.googleIdP.URL, ClientID: "google-client", ClientSecret: config.NewSecret("google-client-secret")},
			{Type: "oidc", DisplayName: "Corp SSO", IssuerURL: f.corporate.URL, ClientID: "corp-client", ClientSecret: config.NewSecret("corp-client-secret")},
		}
		cfg.Allow = allow
	}})
	return f
}

// whoamiOf calls whoami and decodes its structured result.
func whoamiOf(ctx context.Context, t *testing.T, endpoint, token string) tools.Identity {
	t.Helper()
	res, err := callTool(ctx, t, endpoint, token, "whoami", nil)
	if err != nil || res.IsError {
		t.Fatalf("whoami: %v %s", err, callText(t, res))
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var id tools.Identity
	if err := json.Unmarshal(raw, &id); err != nil {
		t.Fatalf("whoami result %s: %v", raw, err)
	}
	return id
}

// TestFederationThreeProviders: the consent page is the sign-in chooser
// with one button per provider; a sign-in through each gives a grant whose
// tools/list shows the GitHub tools only for GitHub, whose whoami names the
// right account, and whose GitHub tools, called anyway, say to sign in
// with GitHub.
func TestFederationThreeProviders(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := startFederation(t, config.AllowConfig{}, fakeoidc.Options{AutoApprove: true, AppName: "Corp"})
	gw := f.gw
	mcpURL := gw.URL + "/mcp"

	// The chooser: three buttons, in the configured order.
	c := registerClient(ctx, t, gw.URL, "")
	_, challenge := pkce(t)
	page := do(t, c.browser.Client, mustRequest(t, c.authorizeURL(gw.PublicURL, challenge, "s")))
	body := string(page.Body)
	var at []int
	for _, label := range []string{"Approve with GitHub Enterprise (" + strings.TrimPrefix(f.github.URL, "http://") + ")", "Approve with Google", "Approve with Corp SSO"} {
		i := strings.Index(body, label)
		if i < 0 {
			t.Fatalf("consent page lacks the button %q:\n%s", label, body)
		}
		at = append(at, i)
	}
	if !slices.IsSorted(at) {
		t.Errorf("buttons are not in the configured order (github, google, oidc)")
	}

	// GitHub's current names; the retired ones (get_issue, create_issue,
	// get_pull_request) stay callable but are not listed.
	githubTools := []string{"actions_get", "actions_list", "add_issue_comment", "compare_refs", "create_branch",
		"create_or_update_file", "create_pull_request", "get_commit", "get_file_contents", "get_job_logs", "get_me",
		"issue_read", "issue_write", "list_branches", "list_commits", "list_issues", "list_pull_requests",
		"pull_request_read", "search_code", "search_issues", "search_pull_requests", "search_repositories", "whoami"}
	tests := []struct {
		button      string
		provider    string
		tools       []string
		subject     string
		login       string
		email       string
		display     string
		gitHubTools bool
	}{
		{"approve with github", "github", githubTools, "1001", "mona", "mona@example.com", "GitHub Enterprise (" + strings.TrimPrefix(f.github.URL, "http://") + ")", true},
		{"approve with google", "google", []string{"whoami"}, "248289761001", "alice", "alice@example.com", "Google", false},
		{"approve with corp sso", "oidc", []string{"whoami"}, "248289761001", "alice", "alice@example.com", "Corp SSO", false},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			c := registerClient(ctx, t, gw.URL, "")
			c.browser.Approve = tt.button
			tok := c.signIn(ctx, t, gw.PublicURL, gw.URL)

			s, err := connectWithToken(ctx, t, mcpURL, tok.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			list, err := s.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.tools) {
				t.Errorf("tools/list = %v, want %v", names, tt.tools)
			}

			id := whoamiOf(ctx, t, mcpURL, tok.AccessToken)
			if id.Provider != tt.provider || id.UserID != tt.provider+":"+tt.subject || id.Subject != tt.subject ||
				id.Login != tt.login || id.Email != tt.email || !id.EmailVerified || id.ProviderName != tt.display ||
				id.ClientID != c.ID || id.GitHubTools != tt.gitHubTools || id.GrantCreated == "" || len(id.Scopes) == 0 {
				t.Errorf("whoami = %+v", id)
			}

			me, err := callTool(ctx, t, mcpURL, tok.AccessToken, "get_me", nil)
			if err != nil {
				t.Fatalf("get_me: protocol error %v", err)
			}
			if tt.gitHubTools {
				if me.IsError || !strings.Contains(callText(t, me), "mona") {
					t.Errorf("get_me with the GitHub grant = %q", callText(t, me))
				}
				return
			}
			if !me.IsError || !strings.Contains(callText(t, me), "sign in with GitHub") {
				t.Errorf("get_me with a %s grant = %q (isError %v), want a tool error saying to sign in with GitHub", tt.provider, callText(t, me), me.IsError)
			}
			// The grant refreshes like any other.
			if a, tr := c.refresh(ctx, t, gw.URL, tok.RefreshToken); a.Status != 200 || tr.AccessToken == "" {
				t.Errorf("refresh of the %s grant: %d %s", tt.provider, a.Status, a.Body)
			}
		})
	}

	// Nothing secret from any provider in the logs.
	logs := gw.logs.String()
	for _, fake := range []*fakeoidc.Fake{f.googleIdP, f.corporate} {
		for _, tok := range fake.IssuedTokens() {
			if strings.Contains(logs, tok) {
				t.Errorf("an OpenID Provider's token appears in the logs")
			}
		}
	}
	for _, secret := range []string{"google-client-secret", "corp-client-secret"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the client secret %s appears in the logs", secret)
		}
	}
}

// TestFederationAllowlistEmailDomain: with email_domains, bob, whose
// address is at the domain but unverified, is refused with a page that
// says why, and alice, verified, is admitted.
func TestFederationAllowlistEmailDomain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	users := []fakeoidc.User{
		{Subject: "sub-alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice", PreferredUsername: "alice"},
		{Subject: "sub-bob", Email: "bob@example.com", EmailVerified: false, Name: "Bob", PreferredUsername: "bob"},
	}
	f := startFederation(t, config.AllowConfig{EmailDomains: []string{"example.com"}}, fakeoidc.Options{Users: users})
	gw := f.gw

	signIn := func(subject string) (*testClient, *auth.AuthorizationResult, error) {
		c := registerClient(ctx, t, gw.URL, "")
		c.browser.Approve = "approve with corp sso"
		c.browser.Fields = map[string][]string{"subject": {subject}}
		_, challenge := pkce(t)
		res, err := c.browser.fetch(ctx, &auth.AuthorizationArgs{URL: c.authorizeURL(gw.PublicURL, challenge, "st")})
		return c, res, err
	}

	_, _, err := signIn("sub-bob")
	if err == nil || !strings.Contains(err.Error(), "403") ||
		!strings.Contains(err.Error(), "only verified e-mail addresses at example.com may sign in, and Corp SSO has not verified yours") {
		t.Fatalf("bob: %v, want the 403 page saying why", err)
	}
	if !strings.Contains(gw.logs.String(), "sign-in refused by the allowlist") {
		t.Errorf("the refusal was not logged")
	}

	c, res, err := signIn("sub-alice")
	if err != nil || res.Code == "" {
		t.Fatalf("alice: %v", err)
	}
	grants, err := gw.app.store.ListGrants(ctx, "", c.ID)
	if err != nil || len(grants) != 1 || grants[0].UserID != "oidc:sub-alice" || !grants[0].EmailVerified {
		t.Fatalf("alice's grants: %+v %v", grants, err)
	}
	if all, _ := gw.app.store.ListGrants(ctx, "oidc:sub-bob", ""); len(all) != 0 {
		t.Errorf("bob has a grant: %+v", all)
	}

	// GitHub sign-ins are held to the same rule: mona's e-mail is at
	// example.com and verified by GitHub.
	gh := registerClient(ctx, t, gw.URL, "")
	gh.browser.Approve = "approve with github"
	gh.signIn(ctx, t, gw.PublicURL, gw.URL)
}

// TestFederationGitHubOrgAskForReadOrg checks the wiring of organisation
// rules: GitHub is asked for read:org, and the gateway admits a member.
func TestFederationGitHubOrgAskForReadOrg(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := startFederation(t, config.AllowConfig{GitHubOrgs: []string{"octo-org"}}, fakeoidc.Options{AutoApprove: true})
	c := registerClient(ctx, t, f.gw.URL, "")
	c.browser.Approve = "approve with github"
	tok := c.signIn(ctx, t, f.gw.PublicURL, f.gw.URL)
	if !slices.ContainsFunc(c.browser.Seen(), func(u string) bool {
		return strings.Contains(u, "/login/oauth/authorize") && strings.Contains(u, "read%3Aorg")
	}) {
		t.Errorf("the GitHub authorization request did not ask for read:org")
	}
	// mona is a member of octo-org: refresh re-checks and admits her.
	if a, _ := c.refresh(ctx, t, f.gw.URL, tok.RefreshToken); a.Status != 200 {
		t.Fatalf("refresh: %d %s", a.Status, a.Body)
	}
	// A Google sign-in is not admitted by a GitHub organisation rule.
	g := registerClient(ctx, t, f.gw.URL, "")
	g.browser.Approve = "approve with google"
	_, challenge := pkce(t)
	if _, err := g.browser.fetch(ctx, &auth.AuthorizationArgs{URL: g.authorizeURL(f.gw.PublicURL, challenge, "st")}); err == nil ||
		!strings.Contains(err.Error(), "members of the octo-org GitHub organisation may sign in with their GitHub account") {
		t.Fatalf("google sign-in: %v, want a refusal", err)
	}
}

// mustRequest is a GET request for u.
func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
