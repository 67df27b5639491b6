// Command mcpgate-load puts several mcpgate replicas that share one Redis
// under the load of many concurrent MCP clients, and reports what the
// replicas did with it.
//
// By default it starts everything itself, on loopback only: a fake GitHub
// Enterprise Server in-process (upstream/fakegithub, issuing expiring GitHub
// App user tokens, one user per client so that GitHub's per-user rate limit
// is not what gets measured) and -replicas mcpgate processes (the binary
// named by -mcpgate) that share the Redis of -redis, one secret and one
// public URL, as behind a load balancer. With -target it drives replicas
// that are already running instead; the first target is the public URL.
//
// Each of -clients clients does what a real MCP client does:
//
//  1. discovery (RFC 8414 metadata at the public URL), dynamic client
//     registration (RFC 7591), the authorization request with PKCE S256
//     (RFC 7636) through a browser that approves mcpgate's consent page and
//     signs in at the fake GitHub, and the code exchange (RFC 6749 §4.1.3);
//  2. initialize, then for -duration a loop of tools/call (get_me and
//     list_issues, alternately), and a refresh of its tokens (RFC 6749 §6)
//     every -refresh-every, each request on the next replica in turn.
//
// The client's requests are internal/loadclient's, shared with
// cmd/mcpgate-bench; this command adds the replicas, the schedule and the
// statistics.
//
// At the end it prints requests per second, the p50 and p99 latency of each
// operation, the HTTP statuses, the 5xx count and the lost grants: clients
// whose refresh failed or whose access token stopped working. It exits 1
// when anything went wrong: a 5xx, a lost grant, a client that could not
// sign in, a request without an answer, a tool error, or a tool answering
// for the wrong user.
//
// Safety: every URL it is given must be on a loopback address, its HTTP
// client cannot dial anything else, each client's loop is bounded in time
// (-duration) and in count (-max-calls), the whole run has a hard deadline,
// and the replicas it started are stopped before it exits.
//
// scripts/load runs it with a private Redis in a temporary directory.
package main
