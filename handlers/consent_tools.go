package handlers

import "slices"

// ConsentTools are the tools a deployment serves to people who sign in
// with GitHub, for the consent page (issue 12: the choice of tools is
// "shown on the consent page"), so that a person approving a client sees
// what it will be able to call, not only the scopes. The lists are names
// from package tools; handlers does not import it, cmd/mcpgate fills them
// from the tools configuration. Empty lists show nothing.
type ConsentTools struct {
	// Read are the tools that only read (mcp:read).
	Read []string
	// Write are the tools that change something (mcp:write).
	Write []string
	// Provider is the display name of the sign-in they need ("GitHub");
	// other sign-ins get whoami only.
	Provider string
	// Groups are the tool groups (Config.ToolGroups), in order; Read and
	// Write are then what everyone else gets. The page cannot know the
	// person's group: it is decided after the upstream sign-in (a GitHub
	// organisation rule asks GitHub with the new token), so the page shows
	// every group with its members and tools, and the person finds theirs.
	Groups []ConsentToolGroup
}

// ConsentToolGroup is the consent page's view of one tool group.
type ConsentToolGroup struct {
	// Name is the group's name; Who describes its members for people
	// ("members of the my-org GitHub organisation").
	Name, Who string
	// Read and Write are the group's tools, as in ConsentTools.
	Read, Write []string
}

// empty reports whether there is nothing to show.
func (t ConsentTools) empty() bool {
	return len(t.Read)+len(t.Write) == 0 && !slices.ContainsFunc(t.Groups, func(g ConsentToolGroup) bool {
		return len(g.Read)+len(g.Write) > 0
	})
}

// consentToolsView is ConsentTools on the page, or nil when there is none.
func consentToolsView(t ConsentTools) *ConsentTools {
	if t.empty() {
		return nil
	}
	return &t
}
