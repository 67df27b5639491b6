// Package fakegithub is a fake GitHub for tests and for `mcpgate demo`: the
// OAuth web flow (RFC 6749 §4.1 with PKCE, RFC 7636) and a small slice of
// the REST API over seeded demo data, in one http.Handler.
//
// # Shape
//
// OAuth lives at /login/oauth/authorize and /login/oauth/access_token, as on
// github.com and GitHub Enterprise Server. The REST API lives at the root
// (the api.github.com shape) or, with Options.Enterprise, under /api/v3/
// only (the GHES shape), so a client that builds the wrong base URL gets
// 404s instead of passing by accident. APIBaseURL reports the base for the
// chosen shape. upstream/github pointed at the fake's URL treats it as
// GitHub Enterprise Server, so the demo runs the fake in Enterprise mode.
//
// # OAuth
//
// One OAuth client (Options.ClientID/ClientSecret) is known. The authorize
// endpoint checks client_id and an absolute redirect_uri before it
// redirects anywhere, and accepts only S256 PKCE challenges. It then either
// approves at once for Options.DefaultLogin (AutoApprove) or shows a
// sign-in page where a person picks a user and presses Authorize or Cancel
// (Cancel redirects with error=access_denied). The page posts only an
// opaque ID of the request it was rendered for, so the parameters cannot be
// changed in between. The token endpoint behaves like GitHub's: client
// credentials in the body or Basic; JSON when Accept asks for it,
// form-encoded otherwise; errors (bad_verification_code,
// incorrect_client_credentials, redirect_uri_mismatch, bad_refresh_token)
// with HTTP 200. Codes are single use and live ten minutes; a code with a
// challenge needs the matching code_verifier.
//
// Tokens are OAuth App tokens (gho_, no expiry, scopes as requested) or,
// with Options.AppTokens, GitHub App user tokens (ghu_, expires_in, and a
// ghr_ refresh token that works once: every refresh rotates it).
// RevokeAll and ExpireAccessTokens simulate revocation and expiry.
//
// # REST
//
// Every REST request needs "Authorization: Bearer T" (or "token T"); a
// missing, unknown, expired or revoked token gets 401 {"message":"Bad
// credentials"}. Responses carry GitHub's field names and headers:
// X-RateLimit-*, X-OAuth-Scopes, GitHub-Authentication-Token-Expiration,
// and RFC 8288 Link headers for page/per_page pagination. Private
// repositories are visible to their owner only (404 for others, as
// GitHub). SetRateLimited makes every call answer GitHub's primary rate
// limit error. Endpoints: /user, /user/emails, /user/repos,
// /search/repositories, /search/issues, /search/code, /repos/{o}/{r},
// /repos/{o}/{r}/contents/{path} (GET at any branch, tag, SHA or
// refs/pull/N/head; PUT to commit a file, 409 on a stale sha),
// /repos/{o}/{r}/issues (list, get, create, update), issue comments (list,
// create), issue labels and sub_issues, /repos/{o}/{r}/pulls (list, get,
// create; files, reviews, review comments; the diff media type on the pull
// request, a commit and a comparison), branches, commits (list, get),
// compare/{base}...{head}, git/ref and git/refs, commits/{ref}/status and
// check-runs, and Actions workflows, runs and jobs, whose logs endpoint
// answers, as GitHub does, 302 to a signed URL outside the API that serves
// the log as text without a token. The memberships that
// allowlists check: /user/memberships/orgs/{org} and
// /orgs/{org}/teams/{team_slug}/memberships/{username}. Those need the
// read:org scope on OAuth App tokens (403 without it), answer 404 for a
// non-member, and 403 to OAuth App tokens when the organisation has
// Org.RestrictOAuthApps. AddOrg, RemoveOrgMember and RemoveTeamMember
// change the organisations while the fake runs.
//
// # Demo data
//
// Users mona (ID 1001, public email) and hubot (ID 1002, private email that
// only /user/emails shows); repositories mona/hello-world (README, Go code
// and a docs/ tree, labelled issues open and closed, comments, an open and
// a merged pull request), mona/spoon-knife (an issue and a draft pull
// request), mona/secret-plans (private) and hubot/chatops-scripts; the
// organisation octo-org, with mona an active member (and in its team
// maintainers) and hubot invited (pending).
// mona/hello-world also has a git history (commits, tag v1.0, branches
// fix-blank-name and api-docs behind pull requests #3 and #5), a review
// asking for changes with a review thread on #3, a CI workflow with a
// passing run on main and a failing one (job "test") on #3, a commit
// status, and issue #2 as sub-issue of #4. AddLargeRepo adds a repository
// with more of everything than a tool result can hold.
// Timestamps are fixed so that output is stable.
//
// # Wiring
//
// For a demo or an end-to-end test, serve the fake in Enterprise mode and
// point upstream/github at it:
//
//	fake := fakegithub.New(fakegithub.Options{Enterprise: true, ClientID: id, ClientSecret: secret})
//	// serve fake on a loopback listener, then:
//	fake.SetURL("http://127.0.0.1:PORT")
//	p, err := github.New(github.Config{ClientID: id, ClientSecret: secret,
//		BaseURL: fake.URL, RedirectURL: public + "/oauth/callback/github"})
//
// Tool tests can skip the login: token := fake.IssueToken("mona"), then a
// go-github client on fake.APIBaseURL() (or p.NewClient(token)).
//
// The fake keeps everything in memory behind one mutex; it is safe for
// concurrent use. New builds it and SetURL records where it is served:
// that is all `mcpgate demo` uses, so this package imports neither testing
// nor httptest and the binary links neither. Tests call
// fakegithubtest.NewServer(t, opts), which serves it on an httptest server
// that closes when the test ends.
package fakegithub
