package handlers

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
}

// empty reports whether there is nothing to show.
func (t ConsentTools) empty() bool { return len(t.Read)+len(t.Write) == 0 }

// consentToolsView is ConsentTools on the page, or nil when there is none.
func consentToolsView(t ConsentTools) *ConsentTools {
	if t.empty() {
		return nil
	}
	return &t
}
