// Package loadclient is a small HTTP client for driving mcpgate's OAuth
// and MCP endpoints from load tools: cmd/mcpgate-load (many concurrent
// clients against replicas) and cmd/mcpgate-bench (the comparative
// benchmark) share it. The server never uses it.
//
// It holds what a client does, one request at a time, and nothing of a
// tool's bookkeeping (statistics, rounds, replicas):
//
//   - transport.go: an HTTP transport that can dial loopback addresses
//     only, whatever URL a document or a redirect names, and a client on
//     it that never follows redirects (API answers are read as they come);
//   - loopback.go: the loopback checks of the URLs the tools are given;
//   - oauth.go: dynamic client registration (RFC 7591), PKCE S256 (RFC
//     7636), the authorization request (OAuth 2.1 §4.1.1) and token
//     requests (RFC 6749 §4.1.3, §6), answers decoded by answer.go;
//   - browser.go: the person at the browser, through internal/testbrowser,
//     who approves mcpgate's consent page and signs in at a fake identity
//     provider (upstream/fakegithub) as a chosen login;
//   - mcp.go: one JSON-RPC request to MCP's streamable HTTP endpoint, its
//     answer read from JSON or from an event stream (sse.go).
//
// Every answer that is not the one expected is an *HTTPFailure naming the
// status and a short detail (an OAuth error code, the first line of the
// body, a JSON-RPC error); the tools count them by status. Every read is
// bounded by MaxAnswerBytes.
package loadclient
