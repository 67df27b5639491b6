package config

import (
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/tools"
)

// ToolsConfig chooses the built-in GitHub tools a deployment serves and how
// large their answers may be (YAML key tools; no environment variables,
// like the other list-valued sections). It maps one to one onto
// tools.Options; the names are GitHub's (github/github-mcp-server's
// toolsets and tool names), and a retired tool name counts as its current
// one. whoami is always served unless denied.
type ToolsConfig struct {
	// MaxResultChars caps the text of every tool result. Default
	// tools.DefaultMaxResultChars (100,000: Claude.ai takes about 150,000
	// characters per result, Claude Code 25,000 tokens by default).
	MaxResultChars int `yaml:"max_result_chars"`
	// Toolsets, when not empty, serves only these toolsets: context, repos,
	// issues, pull_requests, actions, search.
	Toolsets []string `yaml:"toolsets"`
	// ReadOnly serves only the tools that read (readOnlyHint).
	ReadOnly bool `yaml:"read_only"`
	// Allow, when not empty, serves only these tools.
	Allow []string `yaml:"allow"`
	// Deny never serves these tools; it wins over Allow and Toolsets.
	Deny []string `yaml:"deny"`
}

// defaultTools serves every tool with the default budget.
func defaultTools() ToolsConfig {
	return ToolsConfig{MaxResultChars: tools.DefaultMaxResultChars}
}

// Options converts the validated section for tools.RegisterWith.
func (t ToolsConfig) Options() tools.Options {
	return tools.Options{
		MaxResultChars: t.MaxResultChars,
		Toolsets:       slices.Clone(t.Toolsets),
		ReadOnly:       t.ReadOnly,
		Allow:          slices.Clone(t.Allow),
		Deny:           slices.Clone(t.Deny),
	}
}

// validateTools reports every unknown toolset or tool name, with its key
// and entry number, and an allow entry that read_only or deny leaves out
// (the configuration says two contrary things; the stricter one would win
// silently). tools.RegisterWith checks the same options again, with
// tools.Options.Validate, so a Config built in code cannot slip past.
func (c *Config) validateTools(p *problems) {
	t := c.Tools
	if t.MaxResultChars < tools.MinResultChars {
		p.add("tools.max_result_chars must be at least %d (one issue or one page of a diff with its metadata), such as %d: got %d",
			tools.MinResultChars, tools.DefaultMaxResultChars, t.MaxResultChars)
	}
	sets := tools.Toolsets()
	for i, s := range t.Toolsets {
		if !slices.Contains(sets, s) {
			p.add("tools.toolsets entry %d: unknown toolset %q (known: %s)", i+1, s, strings.Join(sets, ", "))
		}
	}
	names := tools.Names()
	aliases := tools.Aliases()
	canonical := func(name string) string {
		if a, ok := aliases[name]; ok {
			return a
		}
		return name
	}
	readOnly := tools.ReadOnlyNames()
	for _, list := range []struct {
		key   string
		names []string
	}{{"tools.allow", t.Allow}, {"tools.deny", t.Deny}} {
		for i, name := range list.names {
			switch current := canonical(name); {
			case !slices.Contains(names, current):
				p.add("%s entry %d: unknown tool %q (see the README's list of built-in tools)", list.key, i+1, name)
			case list.key == "tools.allow" && t.ReadOnly && !slices.Contains(readOnly, current):
				p.add("tools.allow entry %d: %q writes to GitHub, and tools.read_only leaves it out", i+1, name)
			case list.key == "tools.allow" && slices.ContainsFunc(t.Deny, func(d string) bool { return canonical(d) == current }):
				p.add("tools.allow entry %d: %q is also in tools.deny, which wins", i+1, name)
			}
		}
	}
}
