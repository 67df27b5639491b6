// Package fakeoidc is a fake OpenID Provider for tests and demos: the
// authorization code flow with PKCE (OpenID Connect Core 1.0 §3.1, RFC
// 7636), discovery, a JWKS, userinfo and refresh tokens, in one
// http.Handler, with knobs to forge every kind of bad ID token a client
// must reject (OpenID Connect Core 1.0 §3.1.3.7).
//
// # Endpoints
//
//	GET  /.well-known/openid-configuration  discovery (OpenID Connect Discovery 1.0 §3)
//	GET  /authorize                          sign-in page, or AutoApprove
//	POST /authorize                          the sign-in page's form
//	POST /token                              authorization_code and refresh_token grants
//	GET|POST /userinfo                       claims for a bearer access token
//	GET  /jwks                               RS256 public keys with key IDs
//
// The issuer is the fake's URL; with Options.TrailingSlashIssuer the URL
// with a trailing slash (Auth0's shape); with Options.MultiTenant the
// template "{URL}/{tenantid}" while each ID token carries "{URL}/{tid}"
// (Entra ID's multi-tenant shape); Options.Issuer overrides all three.
//
// # Authorization
//
// One client (Options.ClientID/ClientSecret) is known. /authorize checks
// client_id and an absolute redirect_uri before it redirects anywhere,
// then requires response_type=code, the openid scope and an S256
// code_challenge; the nonce (Core §3.1.2.1) is kept with the code and
// put in the ID token. It either approves at once for
// Options.DefaultSubject (AutoApprove; a login_hint naming a user's
// subject or email wins) or shows a sign-in page where a person picks a
// user and presses Authorize or Cancel (Cancel redirects with
// error=access_denied). The page posts only an opaque ID of the request
// it was rendered for.
//
// The token endpoint authenticates the client with client_secret_basic
// (credentials form-urlencoded, RFC 6749 §2.3.1) or client_secret_post.
// Codes are single use, live ten minutes, and need the same redirect_uri
// and the matching code_verifier. Errors are RFC 6749 §5.2 JSON: 401
// invalid_client, 400 invalid_grant and others. Every grant returns an
// access token, an ID token and, unless Options.NoRefreshTokens, a refresh
// token. Refresh tokens (RFC 6749 §6) rotate on every use (the old one
// is dead), or, with Options.NoRefreshRotation, stay valid and are left
// out of refresh responses as Google does. A refresh cannot widen the
// scope.
//
// # ID tokens
//
// RS256 JWTs with iss, sub, aud (the client ID), iat, exp, auth_time and
// the nonce, plus the claims the scopes release (email, email_verified;
// name, preferred_username) and hd, tid and groups when the user has
// them. Options.OmitEmailFromIDToken keeps the email out of ID tokens so
// that clients must use /userinfo.
//
// Tests forge tokens with SetIDTokenMutator (edit the claims before
// signing: wrong aud, nonce, iss or exp, unverified email, an azp),
// SignWithUnknownKey (a signature by a key the JWKS does not hold, under
// the current key ID) and SetOmitIDToken; SetUserInfoMutator edits
// /userinfo answers. RotateKey starts signing with a new key, keeping the
// old one published until DropOldKeys. RevokeAll and ExpireAccessTokens
// simulate revocation and expiry; Counts and IssuedTokens let tests check
// what happened and that no token leaked.
//
// Everything is kept in memory behind one mutex; the fake is safe for
// concurrent use. New builds it and SetURL records where it is served:
// that is all `mcpgate demo` uses, so this package imports neither testing
// nor httptest and the binary links neither. Tests call
// fakeoidctest.NewServer(t, opts), which serves it on an httptest server
// that closes when the test ends.
package fakeoidc
