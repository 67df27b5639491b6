// Package wire is the vocabulary both HTTP roles of mcpgate speak on the
// wire: the authorization server (package handlers) and the protected MCP
// resource (package handlers/protected).
//
// It owns, once each:
//
//   - the error codes, as values: OAuth 2.0 (RFC 6749 §4.1.2.1 and §5.2),
//     dynamic registration (RFC 7591 §3.2.2), resource indicators
//     (RFC 8707 §2), bearer tokens (RFC 6750 §3.1), and the few plain codes
//     (not_found, forbidden, too_many_requests, unauthorized) that mcpgate
//     answers outside those RFCs;
//   - the one JSON error writer (WriteError): the RFC 6749 §5.2 body
//     {"error", "error_description"}, which RFC 6750 §3 reuses for the
//     protected resource, so that every refusal of either role has the same
//     shape;
//   - JSON answers that no cache may keep (WriteJSON: Cache-Control:
//     no-store and Pragma: no-cache, RFC 6749 §5.1);
//   - CORS (WithCORS) for the endpoints that browser clients call, and the
//     405 answer with an Allow header (AllowMethods).
//
// It imports nothing of the project: both roles import it, and neither
// role's policy belongs here.
package wire
