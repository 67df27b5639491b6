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
//	mcpgate check [-config FILE]     validate, reach the store and every provider, print what would be served
//	mcpgate version                  version, commit and Go version (also --version)
//	mcpgate help                     the commands (also -h, --help); COMMAND -h lists a command's flags
//
// Flags may follow positional arguments (parseArgs in main.go re-parses
// after each one, since the flag package stops at the first).
//
// # What it owns
//
// The commands (serve, demo, check, version, clients, grants), direct TLS
// with certificate reloading (tls.go: GetCertificate serves a cached pair
// and re-reads the files when their modification time or size changes,
// checked at most every few seconds; TLS 1.2 minimum), the background
// pruning of client registrations while serving (prune.go: one batch every
// ten minutes, by handlers.PruneRuleOf) and the wiring: app.go builds
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
