// Package e2e runs real MCP clients against the built mcpgate binary.
//
// Each test starts its own mcpgate on a free loopback port, either as
// `mcpgate demo` (an in-memory store and the built-in demo GitHub) or as
// `mcpgate serve`, the production command, configured through the
// environment with a private redis-server, a server secret and a fake
// GitHub Enterprise Server served by the test process (and, for some
// tests, a YAML file or an OpenID Connect issuer). It then drives one real
// client through the full story: the 401 with WWW-Authenticate (RFC 6750
// §3, RFC 9728 §5.1), protected resource and authorization server
// discovery (RFC 9728, RFC 8414), dynamic client registration (RFC 7591),
// the authorization code flow with PKCE (RFC 7636) through mcpgate's
// consent page and the identity provider's sign-in page, the RFC 9207 iss
// parameter at the client's loopback callback (RFC 8252 §7.3), the token
// request with a resource indicator (RFC 8707), and MCP calls with the
// bearer token.
//
// The clients are the published npm packages, pinned in package-lock.json:
// mcp-remote (over stdio, streamable HTTP and legacy SSE), the TypeScript
// SDK client with its OAuthClientProvider (refresh-token rotation,
// re-registration after 401 invalid_client, step-up after 403
// insufficient_scope with both SDK lines), the MCP Inspector CLI (across a
// restart of mcpgate), the MCP conformance suite, and headless Chromium
// driven by playwright-core. Federation is tested against oidc-provider, an
// independent, OpenID Certified OpenID Provider (oidc-op.mjs). The browser
// a person would use is played by browser.mjs, reached through $BROWSER the
// way the clients open URLs.
//
// When a test ends, mcpgate's log is checked for data races (under -race),
// for its configured secrets and for every code and token its clients
// received: logs carry IDs, never credentials.
//
// The package holds only tests. They need node and npm (the harness runs
// `npm ci` in this folder when node_modules is missing, stale or
// incomplete, and always when CI=true), redis-server, and /usr/bin/chromium.
// The tests install no system package: scripts/test installs Chromium
// (and the rest) with apt-get. Missing tools fail the tests; only a
// missing Chromium outside CI (CI unset) skips the browser tests, with
// what to install. See README.md.
package e2e
