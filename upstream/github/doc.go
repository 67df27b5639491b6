// Package github is the GitHub upstream: login with GitHub's OAuth web
// flow (RFC 6749 §4.1 with PKCE, RFC 7636) on github.com or GitHub
// Enterprise Server, identification of the user through the REST API, the
// refresh of GitHub App user tokens, and go-github clients for the tools.
//
// # Endpoints
//
// For github.com, OAuth is at https://github.com/login/oauth/{authorize,
// access_token} and the REST API at https://api.github.com/. Any other
// Config.BaseURL is a GHES web origin: OAuth at {base}/login/oauth/ and the
// API at {base}/api/v3/ (go-github's WithEnterpriseURLs). Base URLs must be
// https, except on loopback hosts, which is how tests and `mcpgate demo`
// point the provider at upstream/fakegithub.
//
// # Identity
//
// The stable subject is the numeric user ID as a decimal string: logins
// can be renamed and then claimed by someone else, IDs cannot. The email
// is the public one from GET /user or else the primary verified address
// from GET /user/emails; EmailVerified is true only when /user/emails
// confirms it, so allowlists by email domain never trust an unverified
// address. /user/emails answers 404 or 403 without the user:email scope
// (or the GitHub App email permission); that is not an error.
//
// # Tokens
//
// OAuth App tokens never expire and have no refresh token. GitHub App user
// tokens expire (expires_in, usually eight hours) and come with a refresh
// token (refresh_token_expires_in, about six months) that rotates on every
// refresh: the caller must store the new one before using the new access
// token, and coordinate concurrent refreshes, because the old one is dead
// after the first use. GitHub reports dead refresh tokens as
// bad_refresh_token with HTTP 200; Refresh maps that (and invalid_grant)
// to upstream.ErrRevoked so the grant can be ended.
//
// # API clients for a user
//
// NewUserClient builds the go-github client a tool call uses, from a
// TokenSource: the token's keeper (mcpgate's upstream-token broker) stays
// outside this package, which only sends the token and reports GitHub
// refusing it. The client's transport pins the token to the API origin
// (a redirect to another host, scheme or port goes without it) and, on a
// 401, asks the source once for a replaced or refreshed token and retries
// the request with it; when the source says the token is dead
// (upstream.ErrRevoked) the 401 goes back to the caller.
//
// The same transport makes GETs conditional (etagcache.go): an answer
// that carried an ETag is remembered, per token, in a per-process LRU
// (Config.ConditionalCacheBytes), and the next identical GET sends
// If-None-Match; GitHub's 304 does not count against the person's rate
// limit, and the client gets the remembered answer. With
// Config.SharedCache (mcpgate passes its Redis store) the answers are also
// kept in the store, so that every replica revalidates them
// (etagcache_shared.go): sealed with AES-256-GCM under a key derived from
// the person's upstream token with HKDF, and named by HMACs under another
// such key, so the store holds nothing readable without the token; each
// user's entries are bounded (SharedCacheUserBytes) and lapse
// SharedCacheTTL after the last new answer. The process cache stays the
// fast path (BenchmarkConditionalRevalidate: about 15 µs against 110 µs or
// more through the store), consulted first; the store is asked on a miss,
// within sharedCacheTimeout, and any failure there only costs a full
// request.
//
// Token endpoint errors are reported by GitHub's error code and
// description, never with the response body, and configuration errors
// never quote the client secret.
package github
