package config

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

func TestLoadPoliciesYAML(t *testing.T) {
	const file = `
tokens:
  sliding_bucket: 30m
  policies:
    - name: bot
      client_name: Build Bot
      access_ttl: 15m
    - name: claude
      idle_timeout: 12h
      max_lifetime: 168h
    - name: inspector
      redirect_uri: https://inspector.example.com/oauth/
      idle_timeout: 2h
`
	cfg, err := Load(writeFile(t, "config.yaml", file), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil && strings.Contains(err.Error(), "tokens.") {
		t.Fatalf("Validate: %v", err)
	}
	if cfg.Tokens.SlidingBucket != 30*time.Minute {
		t.Errorf("sliding_bucket = %s", cfg.Tokens.SlidingBucket)
	}
	want := []tokens.Rule{
		{Policy: tokens.Policy{Name: "bot", AccessTTL: 15 * time.Minute}, ClientName: "Build Bot"},
		{Policy: tokens.Policy{Name: "claude", IdleTimeout: 12 * time.Hour, MaxLifetime: 168 * time.Hour}, RedirectURIs: tokens.ClaudeRedirectURIs},
		{Policy: tokens.Policy{Name: "inspector", IdleTimeout: 2 * time.Hour}, RedirectURIs: []string{"https://inspector.example.com/oauth/"}},
	}
	if got := cfg.Tokens.TokenRules(); !reflect.DeepEqual(got, want) {
		t.Fatalf("TokenRules\n %+v\nwant\n %+v", got, want)
	}
}

func TestTokenRulesBuiltIn(t *testing.T) {
	tests := []struct {
		name     string
		policies []PolicyConfig
		want     []tokens.Rule
	}{
		{"none configured: the built-in claude rule", nil, []tokens.Rule{tokens.ClaudeRuleDefault()}},
		{"others come first", []PolicyConfig{{Name: "bot", ClientName: "Bot", AccessTTL: time.Minute}},
			[]tokens.Rule{{Policy: tokens.Policy{Name: "bot", AccessTTL: time.Minute}, ClientName: "Bot"}, tokens.ClaudeRuleDefault()}},
		{"claude disabled", []PolicyConfig{{Name: "claude", Disabled: true}}, []tokens.Rule{}},
		{"claude re-matched", []PolicyConfig{{Name: "claude", ClientName: "Claude", IdleTimeout: 48 * time.Hour}},
			[]tokens.Rule{{Policy: tokens.Policy{Name: "claude", IdleTimeout: 48 * time.Hour}, ClientName: "Claude"}}},
	}
	for _, tt := range tests {
		got := TokenConfig{Policies: tt.policies}.TokenRules()
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: TokenRules\n %+v\nwant\n %+v", tt.name, got, tt.want)
		}
	}
}

// TestValidatePolicies: every problem of tokens.policies is listed at once.
func TestValidatePolicies(t *testing.T) {
	cfg := Default()
	cfg.Tokens.Policies = []PolicyConfig{
		{ClientName: "x", AccessTTL: time.Hour},                                          // no name
		{Name: "dup", ClientName: "a"},                                                   //
		{Name: "dup", ClientName: "b"},                                                   // name twice
		{Name: "nothing", IdleTimeout: 24 * time.Hour},                                   // matches nothing
		{Name: "http", RedirectURI: "http://claude.ai/api/", IdleTimeout: 2 * time.Hour}, // not https
		{Name: "query", MetadataURL: "https://x.example/m?a=1"},                          // query
		{Name: "both", ClientName: "c", AccessTTL: time.Hour, IdleTimeout: 2 * time.Hour},
		{Name: "idle-over-max", ClientName: "d", IdleTimeout: 48 * time.Hour, MaxLifetime: 24 * time.Hour},
		{Name: "max-over-refresh", ClientName: "e", IdleTimeout: 2 * time.Hour, MaxLifetime: 1000 * time.Hour},
		{Name: "ttl-over-refresh", ClientName: "f", AccessTTL: 1000 * time.Hour},
		{Name: "max-without-idle", ClientName: "g", MaxLifetime: time.Hour},
		{Name: "under-bucket", ClientName: "h", IdleTimeout: 30 * time.Minute},
		{Name: "negative", ClientName: "i", AccessTTL: -time.Minute},
		{Name: "claude", Disabled: true, IdleTimeout: time.Hour},
		{Name: "claude-ok", ClientName: "Claude", IdleTimeout: 24 * time.Hour},
	}
	var p problems
	cfg.validatePolicies(&p)
	got := strings.Join(p, "\n")
	for _, want := range []string{
		"tokens.policies[0]: name is required",
		"tokens.policies[2] (dup): the name is used twice",
		"tokens.policies[3] (nothing): the rule matches no client",
		"tokens.policies[4] (http): redirect_uri must be an https URL",
		"tokens.policies[5] (query): metadata_url must be an https URL",
		"tokens.policies[6] (both): access_ttl (a fixed lifetime) and idle_timeout (sliding) exclude each other",
		"tokens.policies[7] (idle-over-max): idle_timeout (48h0m0s) must not exceed the absolute lifetime (24h0m0s)",
		"tokens.policies[8] (max-over-refresh): max_lifetime (1000h0m0s) must not exceed tokens.refresh_ttl",
		"tokens.policies[9] (ttl-over-refresh): access_ttl (1000h0m0s) must not exceed tokens.refresh_ttl",
		"tokens.policies[10] (max-without-idle): max_lifetime applies to sliding tokens only",
		"tokens.policies[11] (under-bucket): idle_timeout (30m0s) must be longer than tokens.sliding_bucket",
		"tokens.policies[12] (negative): access_ttl, idle_timeout and max_lifetime must not be negative",
		"tokens.policies[13] (claude): a disabled rule takes no other setting",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "claude-ok") || strings.Contains(got, "[1] (dup)") {
		t.Errorf("a valid rule was reported:\n%s", got)
	}
	cfg = Default()
	cfg.Tokens.SlidingBucket = -time.Minute
	p = nil
	cfg.validatePolicies(&p)
	if len(p) != 1 || !strings.Contains(p[0], "tokens.sliding_bucket must not be negative") {
		t.Errorf("zero bucket: %v", p)
	}
}

func TestUnknownPolicyKeyRejected(t *testing.T) {
	const file = `
tokens:
  policies:
    - name: x
      client_nmae: typo
`
	_, err := Load(writeFile(t, "config.yaml", file), envMap(nil))
	if err == nil || !strings.Contains(err.Error(), "client_nmae") {
		t.Fatalf("Load: %v, want the unknown key named", err)
	}
}

// The start-up log names the token policies in force and the tool groups,
// and never a secret's value.
func TestLogValueNamesPoliciesAndGroups(t *testing.T) {
	secret := "log-value-secret-" + strings.Repeat("9", 32)
	cfg := Config{Secret: NewSecret(secret)}
	cfg.Tokens.Policies = []PolicyConfig{{Name: "bot", ClientName: "Bot", AccessTTL: time.Minute}}
	cfg.Tools.Groups = []ToolGroupConfig{{Name: "maintainers"}}
	cfg.Tools.RateLimit = 30
	var out strings.Builder
	slog.New(slog.NewJSONHandler(&out, nil)).Info("configuration", "config", cfg)
	for _, want := range []string{`"token_policies":["bot","claude"]`, `"tools_groups":["maintainers"]`, `"tools_rate_limit":30`, `"secret_set":true`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log line lacks %s: %s", want, out.String())
		}
	}
	if strings.Contains(out.String(), secret) {
		t.Fatal("the log line carries the secret")
	}
}
