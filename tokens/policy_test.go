package tokens

import (
	"testing"
	"time"
)

func TestRuleMatches(t *testing.T) {
	claude := ClaudeRuleDefault()
	byName := Rule{ClientName: "Claude"}
	byMetadata := Rule{MetadataURL: "https://claude.ai/oauth/"}
	both := Rule{ClientName: "Claude", RedirectURIs: []string{"https://claude.ai/api/mcp/"}}
	tests := []struct {
		name   string
		rule   Rule
		client Client
		want   bool
	}{
		{"claude.ai callback", claude, Client{RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback"}}, true},
		{"claude.com callback", claude, Client{RedirectURIs: []string{"https://claude.com/api/mcp/auth_callback"}}, true},
		{"both callbacks", claude, Client{RedirectURIs: ClaudeRedirectURIs}, true},
		{"host case-insensitive", claude, Client{RedirectURIs: []string{"https://CLAUDE.ai/api/mcp/auth_callback"}}, true},
		{"http scheme", claude, Client{RedirectURIs: []string{"http://claude.ai/api/mcp/auth_callback"}}, false},
		{"other host", claude, Client{RedirectURIs: []string{"https://claude.ai.evil.example/api/mcp/auth_callback"}}, false},
		{"other port", claude, Client{RedirectURIs: []string{"https://claude.ai:8443/api/mcp/auth_callback"}}, false},
		{"longer path", claude, Client{RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback/x"}}, true},
		{"other path", claude, Client{RedirectURIs: []string{"https://claude.ai/api/other"}}, false},
		{"user info", claude, Client{RedirectURIs: []string{"https://x@claude.ai/api/mcp/auth_callback"}}, false},
		{"one foreign URI among them", claude, Client{RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback", "https://evil.example/cb"}}, false},
		{"no redirect URIs", claude, Client{}, false},
		{"client name", byName, Client{Name: "Claude"}, true},
		{"client name differs", byName, Client{Name: "claude"}, false},
		{"metadata URL", byMetadata, Client{ID: "https://claude.ai/oauth/mcp-oauth-client-metadata"}, true},
		{"registered ID is no URL", byMetadata, Client{ID: "abc"}, false},
		{"all fields must hold", both, Client{Name: "Claude", RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback"}}, true},
		{"all fields must hold, name differs", both, Client{Name: "Other", RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback"}}, false},
		{"empty rule matches nothing", Rule{}, Client{Name: "Claude"}, false},
	}
	for _, tt := range tests {
		if got := tt.rule.Matches(tt.client); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPoliciesFor(t *testing.T) {
	ps := &Policies{
		Rules: []Rule{
			{Policy: Policy{Name: "mine", AccessTTL: 2 * time.Hour}, ClientName: "Claude"},
			ClaudeRuleDefault(),
		},
		Default: Policy{AccessTTL: time.Hour},
	}
	claude := Client{Name: "Claude", RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback"}}
	if got := ps.For(claude).Name; got != "mine" {
		t.Errorf("first matching rule: got %q, want mine", got)
	}
	claude.Name = "Claude (web)"
	if got := ps.For(claude).Name; got != ClaudeRule {
		t.Errorf("built-in rule: got %q, want %q", got, ClaudeRule)
	}
	if got := ps.For(Client{Name: "Inspector", RedirectURIs: []string{"http://localhost:6274/oauth/callback"}}); got != ps.Default {
		t.Errorf("no rule matches: got %+v, want the default", got)
	}
	var none *Policies
	if got := none.For(claude); got != (Policy{}) {
		t.Errorf("nil Policies: got %+v", got)
	}
}

func TestAccessLifetime(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	grantEnd := now.Add(30 * 24 * time.Hour)
	tests := []struct {
		name     string
		p        Policy
		wantEnd  time.Time
		wantIdle time.Duration
		wantIn   time.Duration
	}{
		{"default fixed", Policy{}, now.Add(time.Hour), 0, time.Hour},
		{"rule's fixed TTL", Policy{AccessTTL: 3 * time.Hour}, now.Add(3 * time.Hour), 0, 3 * time.Hour},
		{"fixed capped by the grant", Policy{AccessTTL: 40 * 24 * time.Hour}, grantEnd, 0, 30 * 24 * time.Hour},
		{"claude: until the grant's end", Policy{IdleTimeout: 24 * time.Hour}, grantEnd, 24 * time.Hour, 24 * time.Hour},
		{"sliding with a maximum", Policy{IdleTimeout: 24 * time.Hour, MaxLifetime: 7 * 24 * time.Hour}, now.Add(7 * 24 * time.Hour), 24 * time.Hour, 24 * time.Hour},
		{"sliding, maximum under the idle timeout", Policy{IdleTimeout: 24 * time.Hour, MaxLifetime: 2 * time.Hour}, now.Add(2 * time.Hour), 24 * time.Hour, 2 * time.Hour},
	}
	for _, tt := range tests {
		end, idle := tt.p.accessLifetime(now, grantEnd, time.Hour)
		if !end.Equal(tt.wantEnd) || idle != tt.wantIdle {
			t.Errorf("%s: accessLifetime = %v, %v; want %v, %v", tt.name, end, idle, tt.wantEnd, tt.wantIdle)
		}
		a := AccessToken{ExpiresAt: end, IdleTimeout: idle}
		if got := a.Window(now); got != tt.wantIn {
			t.Errorf("%s: Window = %v, want %v", tt.name, got, tt.wantIn)
		}
	}
}

func TestLiveAt(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	sliding := AccessToken{ExpiresAt: now.Add(48 * time.Hour), IdleTimeout: 24 * time.Hour}
	fixed := AccessToken{ExpiresAt: now.Add(time.Hour)}
	tests := []struct {
		name string
		a    AccessToken
		seen Seen
		at   time.Time
		want bool
	}{
		{"fixed, live", fixed, Seen{}, now, true},
		{"fixed, at its end", fixed, Seen{}, now.Add(time.Hour), false},
		{"fixed, retired, before the end", fixed, Seen{Retired: now.Add(time.Minute)}, now.Add(time.Minute - time.Nanosecond), true},
		{"fixed, retired, at the end", fixed, Seen{Retired: now.Add(time.Minute)}, now.Add(time.Minute), false},
		{"sliding, just used", sliding, Seen{Last: now}, now, true},
		{"sliding, inside the idle window", sliding, Seen{Last: now}, now.Add(24*time.Hour - time.Nanosecond), true},
		{"sliding, idle window over", sliding, Seen{Last: now}, now.Add(24 * time.Hour), false},
		{"sliding, no recorded use", sliding, Seen{}, now, false},
		{"sliding, used but past its absolute end", sliding, Seen{Last: now.Add(47 * time.Hour)}, now.Add(48 * time.Hour), false},
		{"sliding, used, retired", sliding, Seen{Last: now, Retired: now.Add(time.Minute)}, now.Add(time.Minute), false},
		{"sliding, idle before its retirement", sliding, Seen{Last: now, Retired: now.Add(48 * time.Hour)}, now.Add(24 * time.Hour), false},
	}
	for _, tt := range tests {
		if got := tt.a.LiveAt(tt.seen, tt.at); got != tt.want {
			t.Errorf("%s: LiveAt = %v, want %v", tt.name, got, tt.want)
		}
	}
}
