// Command mcpgate is an OAuth 2.1 authorization server for MCP clients that
// federates login to GitHub, Google and OpenID Connect issuers and serves
// MCP tools that call GitHub on the signed-in user's behalf.
//
// Usage:
//
//	mcpgate [serve] [-config FILE]   serve with configuration from the environment, .env and FILE
//	mcpgate demo [-addr ADDR]        the whole product on loopback, no credentials, no network
//	mcpgate clients list|delete ID|prune [--older-than 24h]
//	                                 operator commands against the configured store
//	mcpgate grants list [--user U]|revoke ID
//
// # What it owns
//
// The commands (serve, demo, clients, grants) and the wiring: app.go builds
// one server from a validated configuration (the keyring, the store, the
// providers, the two MCP servers and the handlers) and is the only place
// where every other package meets. It holds no rule of its own: the
// configuration and its validation are cmd/mcpgate/internal/config, the
// GitHub token transport is upstream/github (github.TokenSource, which
// callerTokens adapts the upstream-token broker to), and the providers'
// names and capabilities come from upstream. `mcpgate demo` serves
// upstream/fakegithub with fakegithub.New, so the binary links neither
// testing nor httptest (TestBinaryLinksNoTestPackages keeps it so).
package main
