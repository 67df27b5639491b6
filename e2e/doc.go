// Package e2e runs real MCP clients against the built mcpgate binary.
//
// Each test starts its own `mcpgate demo` (the whole product on loopback,
// with an in-memory store and the built-in demo GitHub) on a free port and
// drives one real client through the full story: the 401 with
// WWW-Authenticate (RFC 6750 §3, RFC 9728 §5.1), protected resource and
// authorization server discovery (RFC 9728, RFC 8414), dynamic client
// registration (RFC 7591), the authorization code flow with PKCE
// (RFC 7636) through mcpgate's consent page and the demo GitHub's sign-in
// page, the RFC 9207 iss parameter at the client's loopback callback
// (RFC 8252 §7.3), the token request with a resource indicator (RFC 8707),
// and MCP calls with the bearer token.
//
// The clients are the published npm packages, pinned in package-lock.json:
// mcp-remote (over stdio, streamable HTTP and legacy SSE), the TypeScript
// SDK client with its OAuthClientProvider (including refresh-token
// rotation and re-registration after 401 invalid_client), the MCP
// Inspector CLI, the MCP conformance suite, and headless Chromium driven by
// playwright-core. The browser a person would use is played by
// browser.mjs, reached through $BROWSER the way the clients open URLs.
//
// The package holds only tests. They need node and npm (the harness runs
// `npm ci` in this folder when node_modules is missing or older than the
// lockfile, and always when CI=true) and /usr/bin/chromium (installed with
// apt-get when missing and running as root). Missing tools fail the tests;
// nothing is skipped. See README.md.
package e2e
