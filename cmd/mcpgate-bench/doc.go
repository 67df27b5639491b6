// Command mcpgate-bench is mcpgate's comparative benchmark: it measures
// mcpgate's throughput next to its floors and a peer, all in one run on
// one machine, so that the numbers that matter are ratios with both sides
// measured in the same conditions.
//
// It starts, on loopback only:
//
//   - the floor: a bare go-sdk server (the SDK version of go.mod, so the
//     same MCP machinery as mcpgate) with one `echo` tool and no auth,
//     stateless like mcpgate's /mcp; the same server behind a bearer check
//     that is one Redis GET (the "one round trip" floor); and a /token
//     that does a refresh in exactly two Redis round trips (an MGET of
//     client, grant and token, then one script that checks and rotates);
//   - mcpgate, the real binary (`mcpgate serve`), on a private
//     redis-server and on the memory store, with a fake GitHub Enterprise
//     Server (upstream/fakegithub) in a child process of its own, so that
//     its CPU is counted apart;
//   - the TypeScript SDK's reference authorization server
//     (e2e/bench-ts-server.mjs: mcpAuthRouter + requireBearerAuth over a
//     refresh-capable subclass of the SDK's demo in-memory provider, rate
//     limits off) with an `echo` tool, from e2e/node_modules.
//
// The floor and the fake GitHub are this same binary run again with
// MCPGATE_BENCH_ROLE set (see roles.go), so that each is a process whose
// CPU time can be read from /proc.
//
// Tokens are obtained as a client would, without a person: mcpgate's
// grants by dynamic registration (RFC 7591), the authorization request
// with PKCE S256 (RFC 7636) through internal/testbrowser (which approves
// mcpgate's consent page and signs in at the fake GitHub) and the code
// exchange (RFC 6749 §4.1.3); the TypeScript server's demo provider
// approves /authorize at once. Each connection owns its own clients and
// grants (one public client for the MCP paths, one public and one
// confidential client for the refresh paths), so no two connections
// contend on one grant. The client's requests are internal/loadclient's,
// shared with cmd/mcpgate-load.
//
// Each path is a stateless JSON-RPC POST as a client sends it (Accept:
// application/json, text/event-stream; Mcp-Protocol-Version), or a
// refresh_token grant (RFC 6749 §6) whose rotated refresh token is used
// by the next request. Every answer is checked (a result, not a JSON-RPC
// or tool error; new tokens on a refresh); a failed request counts as an
// error, never as throughput.
//
// Rounds are interleaved: round 1 runs every server's every path at every
// connection count, then round 2 does it all again, so that a slow minute
// of a shared machine hits every server alike. The report gives per row
// the median requests/s over the rounds with the min–max, the median
// latency, and the CPU time per request of the server, Redis, the
// generator and the fake GitHub (utime+stime from /proc/PID/stat before
// and after each window), then the ratios that issue 11 sets goals for.
//
// -store-cost measures what mcpgate does to Redis instead: the commands
// per operation from INFO commandstats over a counted run, the round trips
// per operation through a counting TCP proxy between mcpgate and Redis
// (one round trip is one turn of a connection: the client writes, Redis
// answers), and the bytes per grant from INFO memory over -grants fresh
// grants and after -refreshes refreshes of one grant: right after them,
// within the grace window of the last rotations, and once it has passed.
// That mcpgate runs with a short tokens.refresh_grace (5s, storecost.go),
// since a rotation's leftovers (the old refresh token's tombstone, the
// access token issued with it) may lapse when the window ends; the second
// reading waits the window out and runs a full SCAN, which makes Redis
// delete the lapsed keys it visits, so that it does not depend on when
// Redis's expiry cycle would have found them. Every memory reading waits
// until INFO stands still (two readings a second apart agree): Redis
// updates its count of the connections' buffers, which is subtracted,
// on rounds of its own, and was seen to lag by tens of KB after a pause.
//
// There are no timed assertions anywhere: the benchmark reports, it does
// not judge. It exits non-zero only when something failed (a server that
// did not start, a request that errored, a panic in mcpgate's log).
//
// scripts/bench builds the binaries and runs it.
package main
