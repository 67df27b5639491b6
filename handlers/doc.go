// Package handlers is mcpgate's HTTP surface: an OAuth 2.1 authorization
// server for MCP clients that federates sign-in to upstream identity
// providers, which mounts the protected MCP endpoint of package
// handlers/protected. New builds all of it from a Config; routes.go is the
// only place routes are mounted.
//
// # Routes
//
//	GET  /.well-known/oauth-protected-resource/mcp  RFC 9728 metadata of R (also at the root path)
//	GET  /.well-known/oauth-authorization-server    RFC 8414 metadata (also at …/mcp)
//	GET  /.well-known/openid-configuration          404: not an OpenID Provider
//	POST /register                                  RFC 7591 dynamic client registration
//	GET  /authorize                                 RFC 6749 §4.1.1 / OAuth 2.1 §4.1.1, consent page
//	POST /authorize                                 the consent form (approve with a provider, or deny)
//	GET  /oauth/callback/{provider}                 the upstream identity provider's redirect
//	POST /token                                     authorization_code (RFC 7636 PKCE) and refresh_token
//	POST /revoke                                    RFC 7009
//	GET  /connections                               connected apps: sign-in, or the person's grants (connections.go)
//	POST /connections/{login,revoke,logout}         its forms: CSRF-protected, 30-minute session cookie (session.go)
//	*    /mcp                                       the MCP endpoint behind bearer tokens (package protected)
//	GET  /sse, POST /sse?sessionid=…                legacy HTTP+SSE (2024-11-05), same checks (package protected)
//	GET  /.well-known/oauth-protected-resource/sse  RFC 9728 metadata naming I + "/sse" (maps to R)
//	GET  /healthz, /readyz                          probes (health.go)
//
// The issuer I is the configured public origin and R = I + "/mcp" is the
// one protected resource (RFC 8707); I + "/sse", the legacy transport, is
// a second address of it. Every absolute URL is built from I,
// never from the request's Host. Discovery, /register, /token and /revoke
// answer CORS (wire.WithCORS); OAuth errors are RFC 6749 §5.2 JSON with
// Cache-Control: no-store, written by one function (wire.WriteError,
// package handlers/internal/wire, which the protected resource shares).
//
// # The flow as a state machine
//
// One authorization moves through these states; each arrow is one request,
// and every record is single use and expires.
//
//	(client)  --GET /authorize-->  VALIDATED
//	    client_id resolved and redirect_uri matched (exact; any port on
//	    loopback; Claude's claude.ai/claude.com twins). A failure here is an
//	    error page, never a redirect (RFC 6749 §4.1.2.1: no open redirector).
//	    Then response_type=code, PKCE S256 (RFC 7636 §4.3; plain and a
//	    missing challenge are refused), resource (RFC 8707; R, the bare
//	    origin or I + "/sse", normalised, all recorded as R), scope (unsupported values dropped, empty →
//	    defaults); a failure here is redirected to the client with error,
//	    state and iss (RFC 9207).
//
//	VALIDATED --consent page--> CONSENTED
//	    The person approves this client for this redirect URI on our own
//	    page, before the browser ever sees the identity provider: mcpgate
//	    signs everyone in upstream with one static client ID per provider,
//	    so without it any registered client could ride on an earlier
//	    upstream approval (MCP security best practices, "Confused Deputy
//	    Problem"). The page names the client and the redirect host, lists
//	    the scopes and the provider; its form is CSRF-protected (signed
//	    double submit) and the page cannot be framed. Approval is
//	    remembered per browser, client and redirect URI in an encrypted
//	    cookie for 30 days; with a single provider a remembered approval
//	    skips the page, and so does one remembered for an earlier
//	    registration with the same client_name, https non-loopback
//	    redirect URI, scopes and provider (a re-registration: the code can
//	    only reach that URI's owner; consent.go). "Deny" sends the browser
//	    back with access_denied.
//
//	CONSENTED --302 to the provider--> PENDING
//	    Only now is the upstream state created: 256 random bits, stored as
//	    a keyed hash with the pending request (client, redirect URI, PKCE
//	    challenge, resource, scopes, client state), PKCE and nonce for the
//	    upstream leg, and a random browser binding in a state cookie.
//
//	PENDING --GET /oauth/callback/{provider}--> CODE_ISSUED
//	    The pending request is taken (atomically, once) by the state; the
//	    state cookie must carry the binding of the browser that approved,
//	    and the provider must be the one chosen. The provider's code is
//	    exchanged and the user identified (with the ID token's claims, for
//	    providers that have allow.ClaimsExchanger); an upstream refusal
//	    becomes access_denied at the client. The allowlist (Config.Allow,
//	    package upstream/allow) decides next: a refused person gets a 403
//	    page that says why, with a link back to the client carrying
//	    access_denied. Then the tool group (Config.ToolGroups, rules of
//	    the same kind evaluated the same way): the first group whose
//	    rules admit the person is recorded on the grant
//	    (tokens.Grant.ToolGroup) for Config.MCPServerFor to serve its
//	    tools; none means the default tools. The group cannot be known
//	    earlier (its GitHub rules need the new token), so the consent page
//	    lists every group's tools and the upstream scopes follow the
//	    union (Config.ToolsReadOnly). The grant is created with the upstream
//	    token sealed under a fresh data key (tokens.SealUpstream, bound to
//	    the grant); our authorization code (OAuth 2.1 §4.1.2: single use,
//	    CodeTTL ≤ 10 min, bound to client, redirect URI, challenge,
//	    resource and scopes) holds the data key wrapped under the code
//	    itself (Keyring.WrapGrantKey). The browser goes back to the
//	    client with code, state and iss.
//
//	CODE_ISSUED --POST /token authorization_code--> ACTIVE
//	    The client authenticates (client_secret_basic, client_secret_post,
//	    or none for public clients; unknown client or wrong secret → 401
//	    invalid_client). The code is consumed, then checked: client,
//	    redirect_uri, S256(code_verifier) = challenge, resource. A second
//	    use of a code revokes the grant and every token the first use
//	    issued (OAuth 2.1 §4.1.3). The data key is unwrapped with the code
//	    (Keyring.UnwrapGrantKey); an access token (bound to R) and a
//	    refresh token are minted, each wrapping the data key under itself
//	    (Keyring.WrapGrantKey), so a copy of the store alone opens no
//	    upstream token. The access token lives as the client's policy says
//	    (Config.TokenPolicies, tokens.Policies): a fixed AccessTTL, or
//	    sliding (the built-in rule for Claude's connectors: valid while
//	    used at least once a day, never past the grant); expires_in is the
//	    current window, here and at refresh. A sliding token's use is
//	    recorded at most once an hour by the bearer check, which then
//	    re-checks the allowlist (slidingcheck.go, the same check as at
//	    refresh): a client that never refreshes still meets it.
//
//	ACTIVE --POST /token refresh_token--> ACTIVE (rotated)
//	    Every refresh rotates the refresh token (OAuth 2.1 §4.3.1), in
//	    two store round trips: the client, the grant and the token are
//	    read together while the client authenticates
//	    (TokenStore.ReadRefresh, tokenHandler.clientLookup; nothing read
//	    is used before it has), and one compare-and-set rotates
//	    (RotateRefresh). The rotated record shrinks to a tombstone (no wrapped data key); the
//	    response it produced, sealed under the old token
//	    (Keyring.SealGrace), is kept for RefreshGrace only: a retry within
//	    it gets the same response (Keyring.OpenGrace; lost responses,
//	    concurrent replicas) until the successor is itself used; any other
//	    reuse revokes the grant (reuse detection, RFC 9700 §4.14.2). A narrower scope may be asked for the access token
//	    (RFC 6749 §6). Before rotating, the allowlist is checked again
//	    (GitHub organisation and team rules with the grant's upstream
//	    token, refreshed through Config.UpstreamTokens, a
//	    protected.UpstreamTokens): a refusal revokes the grant
//	    (invalid_grant "access revoked: …"); an unanswerable check is 503
//	    and revokes nothing. The tool group is decided again at the same
//	    point: a person now in another group (left the organisation, or
//	    the groups changed) has the grant revoked the same way, so that
//	    write tools a group lost go within one access token lifetime, and
//	    signing in again records the current group.
//
//	ACTIVE --POST /revoke (either token)--> REVOKED
//	    Revoking the access or the refresh token ends the whole grant
//	    (RFC 7009 §2.1), and with it the sealed upstream token.
//
//	ACTIVE --POST /connections/revoke (the person)--> REVOKED
//	    The person, signed in to the connected-apps page through an
//	    upstream provider (the same upstream leg, with a Pending whose
//	    Purpose is "connections": the callback starts a session cookie and
//	    creates no grant or code), revokes one of their own grants; any
//	    other grant ID is 404. The browser also forgets its consent
//	    approvals, so the client must ask on the consent page again.
//
// # Decisions worth knowing
//
//   - Registration (RFC 7591) is open and durable. token_endpoint_auth_method
//     defaults to client_secret_basic (RFC 7591 §2) and is echoed; "none"
//     never gets a secret. Secrets are 256-bit random values stored as keyed
//     hashes. Redirect URIs are https, http on a loopback host (RFC 8252
//     §7.3), or a private-use scheme containing a dot (reverse DNS, RFC 8252
//     §7.1); no fragment, no user info. Registered grant_types are recorded,
//     but every client receives refresh tokens (Claude and others never ask
//     for offline_access).
//   - The consent page's Content-Security-Policy allows form submissions
//     to this server and, because browsers apply form-action to the
//     redirects that follow a form POST, to the providers' authorization
//     origins and the client's redirect origin.
//   - Store failures (anything but the store's sentinel errors) answer 503
//     temporarily_unavailable with Retry-After, or an error page in the
//     browser; the cause goes to the log only.
//   - Config.MCPServerFor picks the MCP server of each /mcp request (and
//     /sse stream) by its caller, whose Provider the bearer check takes from
//     the user ID: cmd/mcpgate serves every tool to GitHub sign-ins and
//     whoami alone to the others, so tools/list shows what works.
//   - Logs carry client_id, grant_id and user_id, never tokens, codes,
//     secrets, state values or cookies.
//   - Abuse limits (ratelimit.go, clientcap.go): sliding window counters
//     in the store (tokens.RateLimiter), shared by replicas, keyed so that
//     the many users behind Claude's few addresses are not locked out:
//     /token and /revoke per authenticated client (per grant for a CIMD
//     client) under a loose per-address ceiling, /authorize per client
//     and browser address, /register per address and globally. Over a
//     limit: 429 with Retry-After (RFC 9110 §10.2.3), JSON
//     temporarily_unavailable or a page. A failing limiter admits (fail
//     open). X-Forwarded-For counts only from Limits.TrustedProxies,
//     rightmost untrusted hop first. Registrations are capped; at the cap
//     never-used clients are pruned first (tokens.PruneUnusedClients).
//
// References: RFC 6749 §3.1, §4.1, §5, §6 (OAuth 2.0); OAuth 2.1
// (draft-ietf-oauth-v2-1) §4.1, §4.3; RFC 7636 (PKCE); RFC 7591 (dynamic
// registration); RFC 7009 (revocation); RFC 8414 (authorization server
// metadata); RFC 9728 (protected resource metadata); RFC 8707 (resource
// indicators); RFC 9207 (issuer identification); RFC 8252 (native apps);
// RFC 9700 (OAuth security BCP); the MCP authorization specification and its
// security best practices (confused deputy, token passthrough, session
// hijacking).
package handlers
