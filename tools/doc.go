// Package tools holds the MCP tools mcpgate serves at /mcp: each one calls
// the GitHub REST API on behalf of the person who signed in, with that
// person's upstream token, which never leaves the server.
//
// The tools follow the MCP tools specification
// (https://modelcontextprotocol.io/specification/2025-11-25/server/tools)
// and take their names, descriptions and parameter spellings (owner, repo,
// issue_number, pullNumber, method, page, perPage) from
// github/github-mcp-server, so that prompts written for one work with the
// other. One file per GitHub area:
//
//	get_me                                            context.go
//	search_repositories, get_file_contents            repositories.go
//	list_commits, get_commit                          commits.go
//	list_branches, compare_refs, create_branch,
//	create_or_update_file                             branches.go
//	list_issues, add_issue_comment                    issues.go
//	issue_read / issue_write                          issue_read.go, issue_write.go
//	list_pull_requests                                pullrequests.go
//	pull_request_read, create_pull_request            pull_request_read.go, create_pull_request.go
//	actions_list, actions_get, get_job_logs           actions.go
//	search_issues, search_pull_requests, search_code  search.go
//	whoami                                            whoami.go
//
// RegisterWith adds the tools that Options select (toolsets, read-only,
// allow and deny lists) to an *mcp.Server, with the repository resources
// (resources.go) and prompts (prompts.go); Register does the same with the
// default Options; CompletionHandler (completions.go) is the server's
// completion handler. Names lists every tool. The list lives in one place
// (toolset.githubTools in tools.go).
//
// # Retired names
//
// GitHub folded single-purpose tools into method-dispatch ones (get_issue
// became issue_read with method get). aliases.go maps each retired name to
// its tool and method; a receiving middleware rewrites such a call before
// the SDK dispatches it, so the old names keep working without appearing in
// tools/list, and RequiredScope gives them the scope of their tool.
//
// # Results that fit the client
//
// Claude.ai accepts about 150,000 characters per tool result and Claude
// Code 25,000 tokens; a model reads every byte. Options.MaxResultChars
// (default 100,000) bounds the text of every result (budget.go): lists keep
// the items that fit and set truncated and note; list bodies are cut to
// 2,000 characters and minimal_output drops them; files, diffs and logs are
// windows of whole lines (start_line, end_line, tail_lines) whose header
// says where the next window starts. Those texts are sent once, as a plain
// text block after the JSON header, instead of inside the structured output
// and again JSON-escaped in the text copy; structuredContent then holds the
// header only. A file longer than one result, or binary, is also linked as
// a repo:// resource (spec: "Resource Links"). newTool checks every result
// against the budget last and turns anything still over it into a tool
// error that says how to ask for less.
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
// Every tool is registered with mcp.AddTool[In, Out] (through newTool). In and Out are Go
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
// get_file_contents reads at most the first 1 MiB of a file (files GitHub
// does not inline, over 1 MB, through the raw media type without
// downloading more), says when a file is binary instead of returning it,
// and lists directories. get_job_logs follows GitHub's redirect to the log
// storage with Deps.LogClient, never sending the GitHub token there.
//
// Every tool carries annotations (spec: "Tool Annotations"): a title,
// openWorldHint (all but whoami reach GitHub), readOnlyHint and
// idempotentHint for the tools that only read, and for the five that write
// (issue_write, add_issue_comment, create_branch, create_or_update_file,
// create_pull_request) readOnlyHint false, destructiveHint false (they
// create, or change what GitHub keeps the history of) and idempotentHint
// false (calling twice writes twice). Annotations are hints for clients
// deciding what to confirm with the person, not a security boundary; the
// boundary is the person's own GitHub permissions and the token's scope.
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
// # Per-person call limit
//
// CallLimit (YAML tools.rate_limit) is a receiving middleware that counts
// each person's tools/call requests per minute in the store's rate limiter
// (tokens.RateLimiter, the sliding window counter), so the bound holds
// across replicas. A call over it never reaches GitHub and is a tool error
// with the limit and when to retry ("Retry in 25s (after 15:04:05 UTC)");
// a store that cannot count admits the call and logs it (IDs only).
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
