// Package google is the Google upstream: a configuration of package oidc
// for https://accounts.google.com. It asks for openid, email and profile
// with the authorization code flow, an S256 PKCE challenge (RFC 7636) and
// a nonce (OpenID Connect Core 1.0 §3.1.2.1), and validates the ID token
// as Core §3.1.3.7 requires (see package oidc). It is named "google" and
// shown as "Google" unless Config.Name and Config.DisplayName say
// otherwise (a second Google client, a label of the operator's choice).
//
// # Refresh tokens
//
// mcpgate keeps users signed in past the one-hour life of Google access
// tokens with refresh tokens (RFC 6749 §6). Google issues one only when
// the authorization request has access_type=offline, and only when the
// user goes through the consent screen: a user who has approved the
// client before is signed in silently and gets no refresh token. So the
// default request also has prompt=consent, which shows the consent
// screen every time and guarantees the refresh token. Config.Online
// drops both (access_type=online, no prompt): no consent screen on
// return visits, but the grant ends when the access token expires.
// Google does not rotate refresh tokens: refresh responses omit
// refresh_token and the old one stays valid, which package oidc handles.
// Revoked refresh tokens answer invalid_grant, reported as
// upstream.ErrRevoked.
//
// # Identity
//
// The subject is Google's "sub", the stable account ID; addresses can
// change. Google always puts email and email_verified in the ID token
// when the email scope is granted. Google asserts ownership of an
// address only when email_verified is true; Identity.EmailVerified
// reflects it, and email-domain allowlists must require it. To restrict
// logins to a Google Workspace organisation set Config.HostedDomain: it is
// sent as the hd= hint and enforced on the "hd" claim, which Google sets
// only for Workspace accounts and which, unlike the email's domain, names
// the organisation that manages the account. A login from another
// domain, or from a consumer account (no "hd"), fails with
// upstream.ErrDenied. Provider.ExchangeClaims returns "hd" for
// allowlists that need it.
package google
