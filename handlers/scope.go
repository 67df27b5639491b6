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

// scopePolicy decides the scopes of a request.
type scopePolicy struct {
	supported []string
	defaults  []string
}

// grant returns the scopes to grant for a requested scope string: the
// supported ones, in the server's order, without duplicates; unsupported
// values are dropped rather than refused (mcp-remote asks for
// "openid email profile" when it knows nothing better); when nothing
// supported remains, the defaults (RFC 6749 §3.3).
func (p scopePolicy) grant(requested string) []string {
	if s := p.subset(requested); len(s) > 0 {
		return s
	}
	return append([]string(nil), p.defaults...)
}

// subset returns the supported scopes named in requested, in the server's
// order.
func (p scopePolicy) subset(requested string) []string {
	asked := strings.Fields(requested)
	var out []string
	for _, s := range p.supported {
		for _, a := range asked {
			if a == s {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
