package allow_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
)

// memberships is a Membership with fixed answers.
type memberships struct {
	orgs  map[string]bool
	teams map[string]bool // "org/slug"
	err   error           // returned by every call when set
	calls int
}

func (m *memberships) OrgMember(_ context.Context, org string) (bool, error) {
	m.calls++
	if m.err != nil {
		return false, m.err
	}
	return m.orgs[org], nil
}

func (m *memberships) TeamMember(_ context.Context, org, slug string) (bool, error) {
	m.calls++
	if m.err != nil {
		return false, m.err
	}
	return m.teams[org+"/"+slug], nil
}

func lookup(m *memberships) allow.GitHubLookup {
	return func(context.Context) (allow.Membership, error) { return m, nil }
}

var (
	mona = allow.Account{Provider: "github", ProviderDisplay: "GitHub", Subject: "1001", Login: "mona",
		Email: "mona@example.com", EmailVerified: true}
	alice = allow.Account{Provider: "google", ProviderDisplay: "Google", Subject: "248289761001", Login: "alice@corp.example",
		Email: "alice@corp.example", EmailVerified: true, HostedDomain: "corp.example"}
	bob = allow.Account{Provider: "oidc", ProviderDisplay: "Okta", Subject: "00u2bob", Login: "bob",
		Email: "bob@example.com", EmailVerified: false}
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		rules   allow.Rules
		account allow.Account
		member  *memberships // nil: not a GitHub account
		// want is "" when admitted, else a phrase of the refusal.
		want string
	}{
		{name: "no rules admit everyone", account: bob},

		{name: "user by subject", rules: allow.Rules{Users: []string{"github:1001"}}, account: mona},
		{name: "user by explicit subject", rules: allow.Rules{Users: []string{"oidc:sub:00u2bob"}}, account: bob},
		{name: "user by login, any case", rules: allow.Rules{Users: []string{"github:login:MONA"}}, account: mona},
		{name: "user by verified e-mail, any case", rules: allow.Rules{Users: []string{"google:email:Alice@Corp.Example"}}, account: alice},
		{name: "user subject of another provider", rules: allow.Rules{Users: []string{"google:1001"}}, account: mona,
			want: "your GitHub account is not on the list"},
		{name: "user subject is not a login", rules: allow.Rules{Users: []string{"github:mona"}}, account: mona,
			want: "not on the list"},
		{name: "user by unverified e-mail never matches", rules: allow.Rules{Users: []string{"oidc:email:bob@example.com"}}, account: bob,
			want: "your Okta account is not on the list"},

		{name: "email domain, verified", rules: allow.Rules{EmailDomains: []string{"corp.example"}}, account: alice},
		{name: "email domain, upper case in the rule", rules: allow.Rules{EmailDomains: []string{"Corp.Example"}}, account: alice},
		{name: "email domain, unverified address never matches", rules: allow.Rules{EmailDomains: []string{"example.com"}}, account: bob,
			want: "only verified e-mail addresses at example.com may sign in, and Okta has not verified yours"},
		{name: "email domain, other domain", rules: allow.Rules{EmailDomains: []string{"example.org", "example.net"}}, account: mona,
			want: "only verified e-mail addresses at example.org or example.net may sign in; yours is at example.com"},
		{name: "email domain, no subdomains", rules: allow.Rules{EmailDomains: []string{"example.com"}},
			account: allow.Account{Provider: "github", Subject: "8", Email: "x@a.example.com", EmailVerified: true},
			want:    "yours is at a.example.com"},
		{name: "email domain, no address", rules: allow.Rules{EmailDomains: []string{"example.com"}},
			account: allow.Account{Provider: "github", ProviderDisplay: "GitHub", Subject: "7"},
			want:    "GitHub gave no e-mail address"},

		{name: "hosted domain", rules: allow.Rules{GoogleHostedDomains: []string{"corp.example"}}, account: alice},
		{name: "hosted domain, consumer account", rules: allow.Rules{GoogleHostedDomains: []string{"corp.example"}},
			account: allow.Account{Provider: "google", ProviderDisplay: "Google", Subject: "1", Email: "x@corp.example", EmailVerified: true},
			want:    "only Google Workspace accounts of corp.example may sign in"},
		{name: "hosted domain, other workspace", rules: allow.Rules{GoogleHostedDomains: []string{"other.example"}}, account: alice,
			want: "Google Workspace accounts of other.example"},

		{name: "github org member", rules: allow.Rules{GitHubOrgs: []string{"my-org"}}, account: mona,
			member: &memberships{orgs: map[string]bool{"my-org": true}}},
		{name: "github org, one of several", rules: allow.Rules{GitHubOrgs: []string{"a-org", "my-org"}}, account: mona,
			member: &memberships{orgs: map[string]bool{"my-org": true}}},
		{name: "github org non-member", rules: allow.Rules{GitHubOrgs: []string{"my-org"}}, account: mona,
			member: &memberships{}, want: "your GitHub account is not a member of the my-org organisation"},
		{name: "github org, restricted", rules: allow.Rules{GitHubOrgs: []string{"my-org"}}, account: mona,
			member: &memberships{err: allow.ErrNoAccess}, want: "restrict third-party application access"},
		{name: "github org, not a GitHub account", rules: allow.Rules{GitHubOrgs: []string{"my-org"}}, account: alice,
			want: "members of the my-org GitHub organisation may sign in with their GitHub account"},
		{name: "github team member", rules: allow.Rules{GitHubTeams: []string{"my-org/My-Team"}}, account: mona,
			member: &memberships{teams: map[string]bool{"my-org/my-team": true}}},
		{name: "github team non-member", rules: allow.Rules{GitHubTeams: []string{"my-org/my-team"}}, account: mona,
			member: &memberships{orgs: map[string]bool{"my-org": true}}, want: "your GitHub account is not in the my-org/my-team team"},

		{name: "any rule admits: users although the domain does not", rules: allow.Rules{
			Users: []string{"oidc:00u2bob"}, EmailDomains: []string{"corp.example"}}, account: bob},
		{name: "any rule admits: org although the user list does not", rules: allow.Rules{
			Users: []string{"github:42"}, GitHubOrgs: []string{"my-org"}}, account: mona,
			member: &memberships{orgs: map[string]bool{"my-org": true}}},
		{name: "every reason is given", rules: allow.Rules{
			Users: []string{"github:42"}, EmailDomains: []string{"corp.example"}, GitHubOrgs: []string{"my-org"}}, account: mona,
			member: &memberships{}, want: "not on the list of people allowed to sign in; only verified e-mail addresses at corp.example may sign in; yours is at example.com; your GitHub account is not a member of the my-org organisation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := allow.New(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			var gh allow.GitHubLookup
			if tt.member != nil {
				gh = lookup(tt.member)
			}
			err = p.Check(context.Background(), tt.account, gh)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check = %v, want admitted", err)
				}
				return
			}
			refusal, ok := errors.AsType[*allow.Refusal](err)
			if !ok || !errors.Is(err, upstream.ErrDenied) {
				t.Fatalf("Check = %v, want a *Refusal wrapping upstream.ErrDenied", err)
			}
			if got := strings.Join(refusal.Reasons, "; "); !strings.Contains(got, tt.want) {
				t.Fatalf("reasons %q lack %q", got, tt.want)
			}
		})
	}
}

// TestCheckCheapRulesFirst checks that GitHub is asked nothing when a rule
// that needs no API call admits the account.
func TestCheckCheapRulesFirst(t *testing.T) {
	p, err := allow.New(allow.Rules{Users: []string{"github:1001"}, GitHubOrgs: []string{"my-org"}})
	if err != nil {
		t.Fatal(err)
	}
	called := false
	gh := func(context.Context) (allow.Membership, error) {
		called = true
		return &memberships{}, nil
	}
	if err := p.Check(context.Background(), mona, gh); err != nil || called {
		t.Fatalf("Check = %v, GitHub asked = %v; want admitted without asking", err, called)
	}
}

// TestCheckTransientErrors checks that a failure to ask GitHub is never a
// refusal: the caller must not revoke anything on it.
func TestCheckTransientErrors(t *testing.T) {
	p, err := allow.New(allow.Rules{GitHubOrgs: []string{"my-org"}, GitHubTeams: []string{"my-org/t"}})
	if err != nil {
		t.Fatal(err)
	}
	outage := errors.New("GitHub is down")
	tests := []struct {
		name string
		gh   allow.GitHubLookup
		want error
	}{
		{"membership call fails", lookup(&memberships{err: outage}), outage},
		{"token unavailable", func(context.Context) (allow.Membership, error) { return nil, outage }, outage},
		{"token revoked", lookup(&memberships{err: upstream.ErrRevoked}), upstream.ErrRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(context.Background(), mona, tt.gh)
			if !errors.Is(err, tt.want) || errors.Is(err, upstream.ErrDenied) {
				t.Fatalf("Check = %v, want %v and no refusal", err, tt.want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name  string
		rules allow.Rules
		want  []string
	}{
		{"users", allow.Rules{Users: []string{"", "github", "GitHub:1", "github:", "github:email:nope", "github:login: mona", " github:1"}},
			[]string{"users entry 1", "users entry 2", "users entry 3", "users entry 4", "users entry 5", "users entry 6", "users entry 7"}},
		{"domains", allow.Rules{EmailDomains: []string{"@example.com", "localhost"}, GoogleHostedDomains: []string{"a b.example"}},
			[]string{"email_domains entry 1", "without \"@\"", "email_domains entry 2", "google_hosted_domains entry 1"}},
		{"github", allow.Rules{GitHubOrgs: []string{"my org", "-x"}, GitHubTeams: []string{"my-org", "my-org/", "/t", "my-org/a b"}},
			[]string{"github_orgs entry 1", "github_orgs entry 2", "github_teams entry 1", "github_teams entry 2", "github_teams entry 3", "github_teams entry 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := allow.New(tt.rules)
			if err == nil {
				t.Fatal("New accepted invalid rules")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseUser(t *testing.T) {
	tests := []struct {
		entry string
		want  allow.UserRule
	}{
		{"github:1001", allow.UserRule{Provider: "github", Kind: allow.KindSubject, Value: "1001"}},
		{"oidc:sub:login:odd", allow.UserRule{Provider: "oidc", Kind: allow.KindSubject, Value: "login:odd"}},
		{"okta-2:auth0|abc:def", allow.UserRule{Provider: "okta-2", Kind: allow.KindSubject, Value: "auth0|abc:def"}},
		{"github:login:mona", allow.UserRule{Provider: "github", Kind: allow.KindLogin, Value: "mona"}},
		{"google:email:a@b.example", allow.UserRule{Provider: "google", Kind: allow.KindEmail, Value: "a@b.example"}},
		{"github:login", allow.UserRule{Provider: "github", Kind: allow.KindSubject, Value: "login"}},
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			got, err := allow.ParseUser(tt.entry)
			if err != nil || got != tt.want {
				t.Fatalf("ParseUser = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestPolicyQueries(t *testing.T) {
	var none *allow.Policy
	if !none.Empty() || none.NeedsGitHubOrgs() || none.Users() != nil {
		t.Error("a nil policy must be empty")
	}
	if err := none.Check(context.Background(), bob, nil); err != nil {
		t.Errorf("a nil policy refused: %v", err)
	}
	tests := []struct {
		rules     allow.Rules
		empty     bool
		needsOrgs bool
	}{
		{allow.Rules{}, true, false},
		{allow.Rules{EmailDomains: []string{"example.com"}}, false, false},
		{allow.Rules{GitHubOrgs: []string{"o"}}, false, true},
		{allow.Rules{GitHubTeams: []string{"o/t"}}, false, true},
	}
	for _, tt := range tests {
		p, err := allow.New(tt.rules)
		if err != nil {
			t.Fatal(err)
		}
		if p.Empty() != tt.empty || p.NeedsGitHubOrgs() != tt.needsOrgs {
			t.Errorf("%+v: Empty %v NeedsGitHubOrgs %v", tt.rules, p.Empty(), p.NeedsGitHubOrgs())
		}
	}
}
