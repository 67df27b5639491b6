package config

import (
	"fmt"
	"regexp"
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
	// Groups choose other tools for some people: the first group whose
	// members rules admit the person (rules of the allowlist's kind,
	// evaluated at sign-in and again at every refresh) decides their
	// tools; everyone else gets the choice above.
	Groups []ToolGroupConfig `yaml:"groups"`
	// RateLimit bounds the tools/call requests of one user, per minute,
	// across every replica (through the store); 0 sets no limit.
	RateLimit int `yaml:"rate_limit"`
}

// ToolGroupConfig is one entry of tools.groups: who belongs to it and the
// tools they get. The choice is its own, not merged with the deployment's
// (an empty toolsets serves every toolset); max_result_chars and
// rate_limit stay the deployment's.
type ToolGroupConfig struct {
	// Name identifies the group on grants, in logs and metrics.
	Name string `yaml:"name"`
	// Members are the rules that put a person in the group, with the keys
	// of the allow section (users, email_domains, google_hosted_domains,
	// github_orgs, github_teams). At least one rule is required.
	Members AllowConfig `yaml:"members"`
	// Toolsets, ReadOnly, Allow and Deny are as in ToolsConfig.
	Toolsets []string `yaml:"toolsets"`
	ReadOnly bool     `yaml:"read_only"`
	Allow    []string `yaml:"allow"`
	Deny     []string `yaml:"deny"`
}

// Options converts the group's choice for tools.RegisterWith, with the
// deployment's budget.
func (g ToolGroupConfig) Options(maxResultChars int) tools.Options {
	return tools.Options{
		MaxResultChars: maxResultChars,
		Toolsets:       slices.Clone(g.Toolsets),
		ReadOnly:       g.ReadOnly,
		Allow:          slices.Clone(g.Allow),
		Deny:           slices.Clone(g.Deny),
	}
}

// Who describes the group's members for people (the consent page), such
// as "members of the my-org GitHub organisation".
func (g ToolGroupConfig) Who() string {
	m := g.Members
	var parts []string
	add := func(list []string, one, many string) {
		switch len(list) {
		case 0:
		case 1:
			parts = append(parts, fmt.Sprintf(one, list[0]))
		default:
			parts = append(parts, fmt.Sprintf(many, strings.Join(list, ", ")))
		}
	}
	add(m.GitHubOrgs, "members of the %s GitHub organisation", "members of the GitHub organisations %s")
	add(m.GitHubTeams, "members of the %s GitHub team", "members of the GitHub teams %s")
	add(m.EmailDomains, "verified e-mail addresses at %s", "verified e-mail addresses at %s")
	add(m.GoogleHostedDomains, "Google Workspace accounts of %s", "Google Workspace accounts of %s")
	add(m.Users, "the account %s", "the accounts %s")
	return strings.Join(parts, "; ")
}

// NeedsGitHubOrgs reports whether a group has GitHub organisation or team
// rules, which GitHub answers only to tokens with the read:org scope.
func (t ToolsConfig) NeedsGitHubOrgs() bool {
	return slices.ContainsFunc(t.Groups, func(g ToolGroupConfig) bool {
		return len(g.Members.GitHubOrgs)+len(g.Members.GitHubTeams) > 0
	})
}

// groupNamePattern is what a group name may be: it is stored on grants
// and written in logs and metric labels.
var groupNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

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
	if t.RateLimit < 0 {
		p.add("tools.rate_limit must be a number of calls per minute per user, or 0 for no limit: got %d", t.RateLimit)
	}
	validateSelection(p, "tools", t.Toolsets, t.ReadOnly, t.Allow, t.Deny)
	var seen []string
	for i, g := range t.Groups {
		key := fmt.Sprintf("tools.groups entry %d", i+1)
		switch {
		case !groupNamePattern.MatchString(g.Name):
			p.add("%s: name must be lower-case letters, digits, dashes and underscores (at most 64), such as staff: got %q", key, g.Name)
		case slices.Contains(seen, g.Name):
			p.add("%s: the name %q is already used by an earlier group", key, g.Name)
		default:
			seen = append(seen, g.Name)
			key += " (" + g.Name + ")"
		}
		if g.Members.empty() {
			p.add("%s: members must have at least one rule (users, email_domains, google_hosted_domains, github_orgs or github_teams); the deployment's own choice already applies to everyone else", key)
		}
		c.validateRules(p, key+".members", g.Members)
		validateSelection(p, key, g.Toolsets, g.ReadOnly, g.Allow, g.Deny)
	}
}

// validateSelection checks one choice of tools found under key (the
// deployment's, or a group's).
func validateSelection(p *problems, key string, toolsets []string, readOnlyOnly bool, allowList, denyList []string) {
	sets := tools.Toolsets()
	for i, s := range toolsets {
		if !slices.Contains(sets, s) {
			p.add("%s.toolsets entry %d: unknown toolset %q (known: %s)", key, i+1, s, strings.Join(sets, ", "))
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
	}{{key + ".allow", allowList}, {key + ".deny", denyList}} {
		for i, name := range list.names {
			isAllow := list.key == key+".allow"
			switch current := canonical(name); {
			case !slices.Contains(names, current):
				p.add("%s entry %d: unknown tool %q (see the README's list of built-in tools)", list.key, i+1, name)
			case isAllow && readOnlyOnly && !slices.Contains(readOnly, current):
				p.add("%s.allow entry %d: %q writes to GitHub, and %s.read_only leaves it out", key, i+1, name, key)
			case isAllow && slices.ContainsFunc(denyList, func(d string) bool { return canonical(d) == current }):
				p.add("%s.allow entry %d: %q is also in %s.deny, which wins", key, i+1, name, key)
			}
		}
	}
}

// groupNames are the names of the tool groups, in order, for the start-up
// log.
func (t ToolsConfig) groupNames() []string {
	var names []string
	for _, g := range t.Groups {
		names = append(names, g.Name)
	}
	return names
}
