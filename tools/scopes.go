package tools

import (
	"context"
	"slices"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The OAuth scopes of mcpgate's tools. A tool that only reads from GitHub
// needs ScopeRead; a tool that changes anything needs ScopeWrite, which
// implies ScopeRead (MCP authorization 2026-07-28, "Step-Up Authorization
// Flow": servers must honour their scope hierarchies).
const (
	ScopeRead  = "mcp:read"
	ScopeWrite = "mcp:write"
)

// methodToolsCall is the MCP method that runs a tool.
const methodToolsCall = "tools/call"

// toolScopes maps each tool name to the scope it needs. It is derived once
// from the registration list (toolset.all), where each tool's scope follows
// its ReadOnlyHint annotation, so the annotation clients see and the scope
// the server enforces cannot disagree. It is never modified after it is
// built.
var toolScopes = sync.OnceValue(func() map[string]string {
	all := (&toolset{}).all()
	m := make(map[string]string, len(all))
	for _, t := range all {
		m[t.name] = t.scope
	}
	for name, a := range aliases {
		m[name] = m[a.tool]
	}
	return m
})

// scopeFor is the scope a tool with these annotations needs: ScopeRead only
// when it declares itself read-only, ScopeWrite otherwise (a tool without
// annotations is assumed to write).
func scopeFor(a *mcp.ToolAnnotations) string {
	if a != nil && a.ReadOnlyHint {
		return ScopeRead
	}
	return ScopeWrite
}

// RequiredScope returns the scope a tools/call of the tool named name needs:
// ScopeRead for the tools that only read (readOnlyHint), ScopeWrite for the
// others. A name that is not one of the tools also gets ScopeWrite, so that
// an unknown or misspelt name is never let through on a read-only token;
// the SDK then answers that the tool does not exist.
func RequiredScope(name string) string {
	if s, ok := toolScopes()[name]; ok {
		return s
	}
	return ScopeWrite
}

// ScopeSatisfies reports whether the granted scopes cover required: either
// required itself was granted, or a broader scope that implies it
// (ScopeWrite implies ScopeRead). An empty required scope is never
// satisfied, so that a missing classification fails closed.
func ScopeSatisfies(granted []string, required string) bool {
	if required == "" {
		return false
	}
	for _, g := range granted {
		if g == required || slices.Contains(impliedScopes(g), required) {
			return true
		}
	}
	return false
}

// impliedScopes returns the narrower scopes that scope includes.
func impliedScopes(scope string) []string {
	switch scope {
	case ScopeWrite:
		return []string{ScopeRead}
	}
	return nil
}

// ScopeRules is the tools' scope policy as a value, for the /mcp endpoint's
// check before the SDK sees a request (it satisfies protected.ToolScopes).
type ScopeRules struct{}

// RequiredScope is RequiredScope.
func (ScopeRules) RequiredScope(name string) string { return RequiredScope(name) }

// Satisfies is ScopeSatisfies.
func (ScopeRules) Satisfies(granted []string, required string) bool {
	return ScopeSatisfies(granted, required)
}

// Scopes lists every scope RequiredScope can return.
func (ScopeRules) Scopes() []string { return []string{ScopeRead, ScopeWrite} }

// RequireScopes is a receiving middleware for the MCP server
// (mcp.Server.AddReceivingMiddleware) that refuses a tools/call whose access
// token lacks the tool's scope, with a tool error naming the missing scope.
// The /mcp endpoint already answers such a request with 403
// insufficient_scope before the SDK reads it, which is what makes clients
// step up; this is the second line, at the place the tool would run, so
// that no transport or parser difference can let a call through. A call
// that carries no token information (it did not come through the bearer
// check) is refused as well.
func RequireScopes(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method != methodToolsCall {
			return next(ctx, method, req)
		}
		call, ok := req.(*mcp.CallToolRequest)
		if !ok || call.Params == nil {
			return next(ctx, method, req)
		}
		required := RequiredScope(call.Params.Name)
		var granted []string
		if call.Extra != nil && call.Extra.TokenInfo != nil {
			granted = call.Extra.TokenInfo.Scopes
		}
		if ScopeSatisfies(granted, required) {
			return next(ctx, method, req)
		}
		res := &mcp.CallToolResult{}
		res.SetError(&toolError{msg: "this tool needs the " + required + " scope, which your access token was not granted; " +
			"authorize again and approve " + required + " to use it"})
		return res, nil
	}
}
