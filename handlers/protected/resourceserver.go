package protected

import (
	"context"
	"log/slog"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tokens"
)

// ResourceServer is what the two MCP transports, /mcp (MCP) and the legacy
// /sse (SSE), share: the protected resource, how a bearer token is checked
// against it, which MCP server a caller gets, and the scope and Origin
// policy. Its methods are the checks both transports put in front of the
// go-sdk, in this order: checkOrigin, requireBearer, requireToolScope.
type ResourceServer struct {
	// Resource is the resource identifier R (issuer + "/mcp") that access
	// tokens must be bound to (RFC 8707).
	Resource string
	// ResourceMetadataURL is the absolute URL of the transport's protected
	// resource metadata, named in every challenge (RFC 9728 §5.1).
	ResourceMetadataURL string
	// Scopes is the default scope list put in the 401 challenge.
	Scopes []string
	// Tokens looks access tokens up by their keyed hash.
	Tokens tokens.TokenStore
	// Keys hashes presented tokens and unwraps the grant's data key.
	Keys *tokens.Keyring
	// Server is the MCP server with the tools registered, for every
	// caller when ServerFor is nil.
	Server *mcp.Server
	// ServerFor, when set, picks the MCP server of each request (or SSE
	// stream) by its verified caller: tools/list then shows each person the
	// tools their sign-in can use (the GitHub tools only to GitHub grants).
	// It replaces Server; a nil answer fails the request with 400.
	ServerFor func(caller *tokens.Caller) *mcp.Server
	// ToolScopes, when set, is enforced on every tools/call before the SDK
	// sees it: a token without the tool's scope gets 403
	// insufficient_scope (see requireToolScope). Nil checks no scopes.
	ToolScopes ToolScopes
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed
	// to call the transport. Requests without an Origin header (non-browser
	// clients, Claude's backend, mcp-remote) are always allowed.
	AllowedOrigins []string
	// Recheck, when set, is called when a request extends a sliding
	// access token (at most once per token per store bucket, see
	// tokens.TokenStore.UseAccess) with the verified caller: the
	// authorization server re-checks its allowlist there, since a client
	// holding a sliding token may never refresh. A non-nil error refuses
	// the request with 401 invalid_token; Recheck itself revokes the grant
	// and logs why. Nil checks nothing.
	Recheck func(ctx context.Context, caller *tokens.Caller) error
	// Logger receives request logs (IDs only); nil discards them.
	Logger *slog.Logger
	// Now is the clock of the bearer check; nil means time.Now.
	Now func() time.Time
}
