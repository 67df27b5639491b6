package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/tools"
)

func TestLoadToolsYAML(t *testing.T) {
	const file = `
tools:
  max_result_chars: 40000
  toolsets: [repos, pull_requests]
  allow: [get_file_contents, get_pull_request]
  deny: [compare_refs]
`
	cfg, err := Load(writeFile(t, "config.yaml", file), envMap(map[string]string{
		"GITHUB_CLIENT_ID": "Iv1.0123456789abcdef", "GITHUB_CLIENT_SECRET": "0123456789abcdef0123456789abcdef01234567",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := tools.Options{
		MaxResultChars: 40000,
		Toolsets:       []string{"repos", "pull_requests"},
		Allow:          []string{"get_file_contents", "get_pull_request"},
		Deny:           []string{"compare_refs"},
	}
	if got := cfg.Tools.Options(); !reflect.DeepEqual(got, want) {
		t.Errorf("Options() = %+v, want %+v", got, want)
	}
	if err := cfg.Tools.Options().Validate(); err != nil {
		t.Errorf("options that Validate accepts are refused by tools: %v", err)
	}
}

// TestValidateTools: every problem is reported at once, each with its key
// and entry number.
func TestValidateTools(t *testing.T) {
	tests := []struct {
		name  string
		tools ToolsConfig
		want  []string
	}{
		{"defaults", defaultTools(), nil},
		{"retired names count as current ones", ToolsConfig{MaxResultChars: 50_000, ReadOnly: true, Allow: []string{"get_issue", "get_me"}, Deny: []string{"create_issue"}}, nil},
		{"budget too small", ToolsConfig{MaxResultChars: 100}, []string{
			"tools.max_result_chars must be at least 2000 (one issue or one page of a diff with its metadata), such as 100000: got 100",
		}},
		{"zero budget", ToolsConfig{}, []string{
			"tools.max_result_chars must be at least 2000 (one issue or one page of a diff with its metadata), such as 100000: got 0",
		}},
		{"every unknown name", ToolsConfig{
			MaxResultChars: 100_000,
			Toolsets:       []string{"repos", "gists", "projects"},
			Allow:          []string{"get_me", "list_gists"},
			Deny:           []string{"delete_repo"},
		}, []string{
			`tools.toolsets entry 2: unknown toolset "gists" (known: context, repos, issues, pull_requests, actions, search)`,
			`tools.toolsets entry 3: unknown toolset "projects" (known: context, repos, issues, pull_requests, actions, search)`,
			`tools.allow entry 2: unknown tool "list_gists" (see the README's list of built-in tools)`,
			`tools.deny entry 1: unknown tool "delete_repo" (see the README's list of built-in tools)`,
		}},
		{"contradictions", ToolsConfig{
			MaxResultChars: 100_000,
			ReadOnly:       true,
			Allow:          []string{"issue_read", "create_issue", "get_commit"},
			Deny:           []string{"get_commit"},
		}, []string{
			`tools.allow entry 2: "create_issue" writes to GitHub, and tools.read_only leaves it out`,
			`tools.allow entry 3: "get_commit" is also in tools.deny, which wins`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Tools = tt.tools
			err := cfg.Validate()
			var got []string
			if ve := (*ValidationError)(nil); errors.As(err, &ve) {
				got = ve.Problems
			} else if err != nil {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestLoadToolGroupsYAML(t *testing.T) {
	const file = `
tools:
  read_only: true
  rate_limit: 120
  groups:
    - name: staff
      members:
        github_orgs: [acme]
        users: ["github:login:mona"]
      toolsets: [repos, issues]
      deny: [create_branch]
`
	cfg, err := Load(writeFile(t, "config.yaml", file), envMap(map[string]string{
		"GITHUB_CLIENT_ID": "Iv1.0123456789abcdef", "GITHUB_CLIENT_SECRET": "0123456789abcdef0123456789abcdef01234567",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if cfg.Tools.RateLimit != 120 || !cfg.Tools.ReadOnly || len(cfg.Tools.Groups) != 1 {
		t.Fatalf("tools = %+v", cfg.Tools)
	}
	g := cfg.Tools.Groups[0]
	want := tools.Options{MaxResultChars: tools.DefaultMaxResultChars, Toolsets: []string{"repos", "issues"}, Deny: []string{"create_branch"}}
	if got := g.Options(cfg.Tools.MaxResultChars); !reflect.DeepEqual(got, want) {
		t.Errorf("group Options = %+v, want %+v", got, want)
	}
	if got, want := g.Who(), "members of the acme GitHub organisation; the account github:login:mona"; got != want {
		t.Errorf("Who = %q, want %q", got, want)
	}
	if !cfg.Tools.NeedsGitHubOrgs() {
		t.Error("NeedsGitHubOrgs = false for a group with github_orgs")
	}
}

// TestValidateToolGroups: every problem of tools.groups and
// tools.rate_limit at once, each naming the group by entry and name.
func TestValidateToolGroups(t *testing.T) {
	cfg := validConfig()
	cfg.Tools.RateLimit = -1
	cfg.Tools.Groups = []ToolGroupConfig{
		{Name: "Staff", Members: AllowConfig{GitHubOrgs: []string{"acme"}}},
		{Name: "ops", Members: AllowConfig{}, Toolsets: []string{"gists"}},
		{Name: "ops", Members: AllowConfig{Users: []string{"google:1"}, GitHubOrgs: []string{"bad org"}}, ReadOnly: true, Allow: []string{"issue_write"}},
		{Name: "core", Members: AllowConfig{GitHubTeams: []string{"acme/core"}}, Allow: []string{"get_me"}, Deny: []string{"get_me"}},
	}
	err := cfg.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	want := []string{
		"tools.rate_limit must be a number of calls per minute per user, or 0 for no limit: got -1",
		`tools.groups entry 1: name must be lower-case letters, digits, dashes and underscores (at most 64), such as staff: got "Staff"`,
		"tools.groups entry 2 (ops): members must have at least one rule (users, email_domains, google_hosted_domains, github_orgs or github_teams); the deployment's own choice already applies to everyone else",
		`tools.groups entry 2 (ops).toolsets entry 1: unknown toolset "gists" (known: context, repos, issues, pull_requests, actions, search)`,
		`tools.groups entry 3: the name "ops" is already used by an earlier group`,
		`tools.groups entry 3.members.github_orgs entry 1: "bad org" is not a GitHub organisation name (letters, digits and dashes)`,
		`tools.groups entry 3.members.users entry 1: no provider named "google" is configured (configured: github)`,
		`tools.groups entry 3.allow entry 1: "issue_write" writes to GitHub, and tools.groups entry 3.read_only leaves it out`,
		`tools.groups entry 4 (core).allow entry 1: "get_me" is also in tools.groups entry 4 (core).deny, which wins`,
	}
	var got []string
	for _, p := range ve.Problems {
		if strings.HasPrefix(p, "tools.") {
			got = append(got, p)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems\n %q\nwant\n %q", got, want)
	}
}
