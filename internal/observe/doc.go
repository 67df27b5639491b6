// Package observe is mcpgate's operational telemetry: the audit log, the
// Prometheus metrics, the access log with request IDs and OpenTelemetry
// tracing.
//
// The handlers know one type, *Observer, and call it at outcome points
// ("a client registered", "a grant was revoked by its person") with an
// Event. A nil *Observer is a valid no-op, so handlers built without
// telemetry (most unit tests) need no setup. The Observer fans each event
// out to the audit stream (one JSON line, stable field names, never a
// token, code, secret, cookie, tool argument or result) and to the
// metrics, where every label is bounded: routes are ServeMux patterns,
// never raw paths; tools, providers, grant types and methods come from
// known sets and anything else collapses to "other".
//
// HTTP requests pass through Observer.Middleware: a request ID (an
// incoming X-Request-Id when it is short and made of safe characters,
// else a fresh one; echoed in the response), one access-log line, the
// HTTP metrics and, when tracing is on, a server span that continues the
// W3C trace context of the request (https://www.w3.org/TR/trace-context/).
// Tool calls pass through MCPMiddleware, which also continues a trace
// context sent in the request's _meta.traceparent (MCP clients that trace
// put it there because one HTTP request may carry several messages).
package observe
