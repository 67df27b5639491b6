package config

import (
	"errors"
	"reflect"
	"slices"
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
