package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// TestConfigTokenPolicies: New refuses policy rules that cannot work,
// listing each.
func TestConfigTokenPolicies(t *testing.T) {
	tests := []struct {
		name string
		rule tokens.Rule
		want string // "" for a valid rule
	}{
		{"valid sliding", tokens.Rule{Policy: tokens.Policy{Name: "ok", IdleTimeout: 24 * time.Hour}, ClientName: "Claude"}, ""},
		{"no name", tokens.Rule{ClientName: "Claude"}, "a rule needs a name"},
		{"matches nothing", tokens.Rule{Policy: tokens.Policy{Name: "x", AccessTTL: time.Hour}}, "the rule matches no client"},
		{"negative", tokens.Rule{Policy: tokens.Policy{Name: "x", AccessTTL: -time.Hour}, ClientName: "c"}, "must not be negative"},
		{"fixed and sliding", tokens.Rule{Policy: tokens.Policy{Name: "x", AccessTTL: time.Hour, IdleTimeout: 2 * time.Hour}, ClientName: "c"}, "AccessTTL is for fixed tokens"},
		{"outlives refresh", tokens.Rule{Policy: tokens.Policy{Name: "x", IdleTimeout: time.Hour, MaxLifetime: 1000 * time.Hour}, ClientName: "c"}, "may not outlive RefreshTTL"},
		{"idle over max", tokens.Rule{Policy: tokens.Policy{Name: "x", IdleTimeout: 3 * time.Hour, MaxLifetime: 2 * time.Hour}, ClientName: "c"}, "IdleTimeout exceeds MaxLifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newTestServer(t, nil).cfg
			cfg.TokenPolicies = []tokens.Rule{tt.rule}
			_, err := New(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New: %v, want %q", err, tt.want)
			}
		})
	}
}
