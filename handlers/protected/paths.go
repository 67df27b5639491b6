package protected

// The paths of the protected resource, relative to the issuer. The
// authorization server needs them too: the resource identifier R is issuer
// + PathMCP (RFC 8707), and issuer + PathSSE is accepted as a second name
// of R (see SSE).
const (
	// PathMCP is the streamable HTTP endpoint and R's path.
	PathMCP = "/mcp"
	// PathSSE is the legacy HTTP+SSE endpoint (MCP 2024-11-05 transports).
	PathSSE = "/sse"
	// PathMetadata is the RFC 9728 §3 well-known prefix of the protected
	// resource metadata; the document of the resource at path P is served
	// at PathMetadata + P (§3.1).
	PathMetadata = "/.well-known/oauth-protected-resource"
)
