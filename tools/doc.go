// Package tools holds the MCP tools mcpgate serves at /mcp: each one calls
// the GitHub REST API on behalf of the person who signed in, with that
// person's upstream token, which never leaves the server.
//
// The tools follow the MCP tools specification
// (https://modelcontextprotocol.io/specification/2025-11-25/server/tools)
// and take their names, descriptions and paging arguments (page, perPage)
// from github/github-mcp-server, so that prompts written for one work with
// the other:
//
//	get_me                                   context.go
//	search_repositories, get_file_contents   repositories.go
//	list_issues, get_issue, create_issue,
//	add_issue_comment                        issues.go
//	list_pull_requests, get_pull_request     pullrequests.go
//	whoami                                   whoami.go
//
// Register adds them all to an *mcp.Server; Names lists them in the same
// order. The list lives in one place (toolset.all in tools.go).
//
// # Tools per identity provider
//
// mcpgate signs people in with GitHub, Google or any OpenID Connect
// issuer, but only a GitHub sign-in gives the GitHub tools an account to
// act on. whoami works for every sign-in: it describes the connection's
// identity (provider, subject, login, e-mail, scopes, client) from the
// grant, through Deps.Whoami. The server for GitHub sign-ins gets every
// tool (Register); the server for the others gets whoami only
// (RegisterIdentity), so tools/list shows each person what works for
// them. A GitHub tool called by name on the second server anyway gets a
// tool error that says to sign in with GitHub, and so does a ClientFunc
// that returns ErrNotGitHub (the check behind the check).
//
// # Typed tools
//
// Every tool is registered with mcp.AddTool[In, Out]. In and Out are Go
// structs; their `jsonschema` tags are the property descriptions, and a
// field without omitempty is required. The SDK infers inputSchema and
// outputSchema from them, and schema.go adds what tags cannot say: enums
// (state open/closed/all), bounds and defaults (page ≥ 1; perPage 1..100,
// default 30), non-empty strings, and a pattern for owner and repo that
// keeps "/" out, so an argument cannot reach another API path. The SDK
// validates each call against the input schema before the handler runs and
// applies the defaults; the handlers check again what a schema cannot
// (blank titles, "." and ".." path segments, RFC 3339 times). Because an
// output schema is declared, results carry structuredContent, with the same
// JSON as text content for older clients (spec: "Structured Content",
// "Output Schema").
//
// Outputs are small structs (Issue, PullRequest, Repository, FileContents,
// User, Comment) rather than GitHub's objects: a model reads every byte of
// a result, and GitHub's JSON is mostly URLs it does not need. Slices are
// never nil, so lists marshal as [] and the output schemas declare plain
// arrays. Lists report next_page, taken from GitHub's Link header (0 when
// there is no further page), so a model can page without guessing.
// get_file_contents returns text up to 1 MiB (cut on a character boundary
// and marked truncated), says when a file is binary instead of returning
// it, lists directories, and reads files GitHub does not inline (over 1 MB)
// through the raw media type without downloading more than the cap.
//
// Every tool carries annotations (spec: "Tool Annotations"): a title,
// openWorldHint (they all reach GitHub), readOnlyHint for the seven that
// only read, and for create_issue and add_issue_comment readOnlyHint false,
// destructiveHint false (they add, never change or delete) and
// idempotentHint false (calling twice creates two). Annotations are hints
// for clients deciding what to confirm with the person, not a security
// boundary; the boundary is the person's own GitHub permissions.
//
// Golden files in testdata/toolsnaps hold what a client sees in tools/list
// for each tool; TestToolSnapshots fails on any difference, so a change to
// what models see is always a reviewed diff. UPDATE_TOOLSNAPS=true go test
// ./tools/ rewrites them.
//
// # One GitHub client per request
//
// Deps.GitHub is a ClientFunc: each call asks it for a client authenticated
// as the caller of that very request. The caller comes from
// req.Extra.TokenInfo, which the bearer middleware sets for every HTTP
// request, and not from ctx: on a stateful streamable session the SDK runs
// handlers under the session's context, which keeps the token info of the
// request that opened the session and is stale once the client has
// refreshed its token. The ClientFunc loads that grant's sealed upstream
// token and refreshes it when it has expired. This package never handles
// token strings, stores nothing and keeps no client between calls, so
// go-github's per-client rate-limit bookkeeping stays with one person.
//
// # Errors a person can act on
//
// A failed call is a tool result with isError set, not a JSON-RPC error, as
// the specification asks ("Error Handling": tool execution errors are
// reported in the result so that the model can see them and adjust).
// errors.go turns GitHub's answers into sentences that say what happened
// and what to do, and never include tokens or GitHub's raw request URLs:
//
//   - primary rate limit (*github.RateLimitError): when it resets, in UTC
//     and from now ("it resets at 15:04 UTC (in 12m)"), using Deps.Now;
//   - secondary rate limit (*github.AbuseRateLimitError): how long to wait;
//   - 404: not found, or no access for your account, naming owner/repo
//     (GitHub answers 404 for private repositories a user cannot see);
//   - 401, or a ClientFunc error wrapping upstream.ErrRevoked: GitHub no
//     longer accepts mcpgate's access, reconnect (sign in again);
//   - 403: missing permission or an organization policy, with GitHub's
//     message; 422: GitHub's validation message and field errors;
//   - anything else: the status and GitHub's message, or for failures
//     before any answer, what went wrong on the way.
//
// Invalid arguments get "invalid arguments: ..." from the handlers or the
// SDK's schema validation message; neither reaches GitHub.
package tools
