package tools

import (
	"fmt"
	"slices"
	"strings"
)

// The toolsets, as github/github-mcp-server names them: a deployment
// serves a subset (Options.Toolsets).
const (
	ToolsetContext      = "context"
	ToolsetRepos        = "repos"
	ToolsetIssues       = "issues"
	ToolsetPullRequests = "pull_requests"
	ToolsetActions      = "actions"
	ToolsetSearch       = "search"
)

// Toolsets lists every toolset name.
func Toolsets() []string {
	return []string{ToolsetContext, ToolsetRepos, ToolsetIssues, ToolsetPullRequests, ToolsetActions, ToolsetSearch}
}

// DefaultMaxResultChars is the default result budget: Claude.ai and Claude
// Desktop accept about 150,000 characters per tool result, and a third less
// leaves room for the JSON framing and for Claude Code, whose default limit
// (MAX_MCP_OUTPUT_TOKENS, 25,000 tokens) is about 100,000 characters of
// English or code.
const DefaultMaxResultChars = 100_000

// MinResultChars is the smallest budget accepted: below it, a single issue
// or a page of a diff no longer fits with its metadata.
const MinResultChars = 2_000

// Options choose what a server offers and how large its answers may be.
// The zero value serves everything with DefaultMaxResultChars.
type Options struct {
	// MaxResultChars caps the text of every tool result (what the model
	// reads). Lists keep the items that fit and say what was left out;
	// files, diffs and logs return a window of whole lines and say where
	// the next one starts. 0 means DefaultMaxResultChars.
	MaxResultChars int
	// Toolsets, when not empty, serves only the tools of these toolsets
	// (see Toolsets). whoami is always served.
	Toolsets []string
	// ReadOnly serves only the tools that read (readOnlyHint).
	ReadOnly bool
	// Allow, when not empty, serves only these tools (by name; retired
	// names count as their current ones). whoami is always served.
	Allow []string
	// Deny never serves these tools; it wins over Allow and Toolsets.
	Deny []string
	// NoResources leaves out the repository resource templates; NoPrompts
	// leaves out the prompts.
	NoResources, NoPrompts bool
}

func (o Options) withDefaults() Options {
	if o.MaxResultChars == 0 {
		o.MaxResultChars = DefaultMaxResultChars
	}
	return o
}

// Validate reports options that name an unknown toolset or tool, or a
// budget too small to hold one item.
func (o Options) Validate() error {
	var problems []string
	if o.MaxResultChars != 0 && o.MaxResultChars < MinResultChars {
		problems = append(problems, fmt.Sprintf("max_result_chars %d is below the minimum of %d", o.MaxResultChars, MinResultChars))
	}
	for _, set := range o.Toolsets {
		if !slices.Contains(Toolsets(), set) {
			problems = append(problems, fmt.Sprintf("unknown toolset %q (known: %s)", set, strings.Join(Toolsets(), ", ")))
		}
	}
	names := Names()
	for _, list := range [][]string{o.Allow, o.Deny} {
		for _, name := range list {
			if !slices.Contains(names, canonicalName(name)) {
				problems = append(problems, fmt.Sprintf("unknown tool %q", name))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("tools options: %s", strings.Join(problems, "; "))
	}
	return nil
}

// selects reports whether t is served under o.
func (o Options) selects(t serverTool) bool {
	in := func(list []string) bool {
		return slices.ContainsFunc(list, func(n string) bool { return canonicalName(n) == t.name })
	}
	switch {
	case in(o.Deny):
		return false
	case t.toolset == toolsetIdentity:
		return true
	case o.ReadOnly && !t.readOnly:
		return false
	case len(o.Toolsets) > 0 && !slices.Contains(o.Toolsets, t.toolset):
		return false
	case len(o.Allow) > 0 && !in(o.Allow):
		return false
	}
	return true
}

// toolsetIdentity holds whoami, which every server offers.
const toolsetIdentity = "identity"
