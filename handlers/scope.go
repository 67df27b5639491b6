package handlers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/handlers/protected"
)

// toolScopeProblems reports the scopes ts may require that supported lacks.
func toolScopeProblems(ts protected.ToolScopes, supported []string) []string {
	if ts == nil {
		return nil
	}
	var problems []string
	for _, s := range ts.Scopes() {
		if !slices.Contains(supported, s) {
			problems = append(problems, fmt.Sprintf("ScopesSupported lacks %q, which tool calls require (ToolScopes)", s))
		}
	}
	return problems
}

// consentSubject is what a remembered consent covers besides the client:
// the redirect URI and the exact scopes granted (in the server's order, as
// scopePolicy.grant returns them). A request for other scopes, in
// particular a step-up to broader ones, therefore shows the consent page
// again: the person approved what the page listed, not more.
func consentSubject(req *authRequest) string {
	return req.redirectURI + "\x00" + strings.Join(req.scopes, " ")
}
