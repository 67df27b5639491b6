package protected

import (
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tokens"
)

// CallerFromRequest returns the verified caller of a tool call, taken from
// req.Extra.TokenInfo, which the SDK sets from each HTTP request. It never
// reads the context: in stateful sessions the context keeps the TokenInfo of
// the request that opened the session, which may belong to a token the
// client has since rotated. ok is false when the request was not
// authenticated by MCP's bearer check.
func CallerFromRequest(req *mcp.CallToolRequest) (*tokens.Caller, bool) {
	if req == nil || req.Extra == nil || req.Extra.TokenInfo == nil {
		return nil, false
	}
	c, ok := req.Extra.TokenInfo.Extra[callerKey].(*tokens.Caller)
	if !ok || c == nil {
		return nil, false
	}
	return c, true
}
