// Package protected is mcpgate's protected resource: the MCP endpoint that
// clients call with the access tokens the authorization server (package
// handlers) issued. It is the resource server of RFC 9728 and the MCP
// authorization specification; the authorization server only mounts it
// (handlers.New, routes.go) and shares with it the wire vocabulary of
// handlers/internal/wire.
//
// # What it owns
//
//   - /mcp                                     streamable HTTP (mcp.go): stateless by default,
//     stateful sessions on request (sessions.go, shutdown.go)
//     GET  /sse, POST /sse?sessionid=…              the legacy HTTP+SSE transport of 2024-11-05
//     (sse.go, ssehub.go, ssestream.go)
//     GET  /.well-known/oauth-protected-resource…   the RFC 9728 documents of both (metadata.go)
//   - gateway mode (gateway.go, gateway_policy.go, gateway_stream.go,
//     gateway_audit.go): /mcp,
//     or /mcp/{name} as a resource of its own, forwarded to a backend MCP
//     server with the person's upstream access token from the broker in
//     place of the client's token (no token passthrough either way), only
//     the MCP headers, the answers streamed back event by event; the same
//     Origin, bearer and scope checks (readOnlyHint tools need the read
//     scope, others the write scope; tools/list filtered, tools/call 403
//     insufficient_scope); a backend's Mcp-Session-Id sealed to the person
//     (tokens.Keyring.SealSessionID); backend 401 → broker refresh or
//     revocation → mcpgate's own 401 challenge; each tools/call audited as
//     tool.called with the backend's name and the outcome of mcpgate's
//     answer, never its arguments or result (gateway_audit.go)
//
// Both transports are one resource, R = issuer + "/mcp" (RFC 8707), and put
// the same checks, in the same order, in front of the go-sdk
// (ResourceServer):
//
//  1. CORS (wire.WithCORS), on every answer, so a browser client can read
//     the challenge; a preflight needs no token.
//  2. Origin (origin.go): a browser Origin not allowed, compared whole and
//     never as a prefix, gets 403 (MCP transports, "Security Warning":
//     DNS rebinding).
//  3. The bearer check (bearer.go): only "Authorization: Bearer" (RFC 6750
//     §2.1; never the query, §2.3), only this server's access tokens (no
//     token passthrough: a GitHub token, a refresh token or a code is
//     invalid_token), bound to R (RFC 8707 §2), unexpired, found by keyed
//     hash in the store, and able to unwrap its grant's data key. A refusal
//     is 401 with one challenge naming the resource metadata (RFC 9728
//     §5.1) and the default scopes (RFC 6750 §3); a failing store is 503.
//  4. Tool scopes (toolscope.go): a tools/call whose tool needs a scope the
//     token lacks gets 403 insufficient_scope with the scopes the operation
//     needs (RFC 6750 §3.1; MCP authorization, "Runtime Insufficient Scope
//     Errors"), the challenge that makes clients step up.
//  5. The go-sdk, which receives the verified auth.TokenInfo; tools read
//     the verified caller of each request with CallerFromRequest
//     (caller.go), never from the session, whose context may hold a token
//     the client has since rotated.
//
// # One store round trip
//
// The bearer check's one read (TokenStore.UseAccess: the access token and
// its grant, one script call on Redis that also records, at most once an
// hour, the use of a sliding access token) is the only store call of an MCP
// request: the grant travels to the tools on tokens.Caller.Grant, and the
// upstream-token broker opens the sealed upstream token from it, reading
// the grant again only under the refresh lock. tools/list is answered with
// schemas encoded once per tool (CacheToolList), and one-message POSTs are
// answered as application/json.
//
// # Dependencies
//
// It imports tokens (the token store, the keyring and tokens.Caller, which
// stays there because the tools and cmd/mcpgate name it without needing
// this package), the go-sdk, and wire. It knows nothing of consent pages,
// cookies, client registration or CIMD: everything it needs comes through
// ResourceServer's fields (a tokens.TokenStore, a *tokens.Keyring, the MCP
// server or a function choosing one per caller, a ToolScopes policy, the
// allowed origins, a clock and a logger), so it can be served, and tested,
// without the authorization server.
//
// # Lifetime
//
// Stateful /mcp sessions and /sse streams live in this process: several
// replicas need sticky routing. Each user holds a bounded number of them
// (429 beyond). On http.Server.Shutdown the open streams end by themselves
// (RegisterOnShutdown), and a write blocked on a client that stopped reading
// is aborted, so a graceful shutdown never waits out its deadline.
//
// References: RFC 9728 (OAuth 2.0 Protected Resource Metadata); RFC 6750
// (bearer token usage); RFC 8707 (resource indicators); the MCP
// authorization specification (2025-11-25: token handling, token audience
// validation, insufficient scope) and its transports (streamable HTTP,
// HTTP+SSE of 2024-11-05, Origin validation); the MCP security best
// practices (token passthrough, session hijacking).
package protected
