// Package oidc is the upstream for any OpenID Connect issuer (Okta,
// Auth0, Keycloak, Entra ID, Google through package google): the
// authorization code flow with PKCE and nonce, ID token validation, the
// userinfo fallback, and refresh. It builds on go-oidc for discovery and
// signature checks and on x/oauth2 for the token endpoint.
//
// # Discovery
//
// New reads {issuer}/.well-known/openid-configuration once (OpenID
// Connect Discovery 1.0 §4). The advertised issuer must equal the
// configured one exactly (§4.3), because every ID token's "iss" is
// compared with it; the only tolerance is a trailing slash, which Auth0
// adds ("https://TENANT.auth0.com/"): the exact value is tried first and
// the advertised one used when the two differ only by that slash. The
// authorization, token and JWKS endpoints must be https (http only on
// loopback). The client secret goes in HTTP Basic unless the issuer
// supports only client_secret_post. Signing keys are fetched on first use
// and again when a token names an unknown key ID, so key rotation needs
// no restart; only asymmetric algorithms are accepted (RS, PS, ES, EdDSA;
// the issuer's advertised list when it has one).
//
// # Login
//
// AuthCodeURL asks for response_type=code with the state, an S256 PKCE
// challenge (RFC 7636 §4.3) and a nonce (OpenID Connect Core 1.0
// §3.1.2.1), plus configured extra parameters (access_type, prompt, hd),
// which may not replace any of those. Exchange redeems the code with the
// verifier (RFC 7636 §4.5) and validates the ID token as §3.1.3.7
// requires. go-oidc checks the signature, "iss", that "aud" contains our
// client ID, and "exp" (with the injected clock). It does not check the
// nonce or "azp", so this package does: the ID token's nonce must equal
// the one the login started with (constant-time; an empty expected nonce
// is refused, so a login without one cannot pass), "azp", when present,
// must be our client ID and is required when "aud" has several values,
// and "sub" must be present. Failures wrap ErrIDToken with the reason
// ("nonce mismatch", "audience does not include this client", "expired
// at ...", "signature does not verify ...") and never contain the token.
//
// # Identity and claims
//
// Identity.Subject is "sub", the only stable key; Login is
// "preferred_username", else the email, else "sub". When the ID token
// lacks the email, or has it without email_verified, and the issuer has
// a userinfo endpoint, the values are read from it (Core §5.3); its
// "sub" must equal the ID token's (§5.3.2), and a verification status is
// taken only for the same address. email_verified is accepted as a
// boolean or as the strings "true"/"false"; anything absent is
// unverified, so email-domain allowlists never trust an address the
// issuer does not vouch for. (Entra ID sends no email_verified: its
// addresses are never verified here.)
//
// ExchangeClaims returns the provider-specific claims beside the identity
// as Claims: the hosted domain (Google's "hd", also set on
// upstream.Identity.HostedDomain), the tenant (Entra's "tid") and
// "groups". Exchange is ExchangeClaims without them. Config.HostedDomain
// and Config.AllowedTenants are enforced inside the exchange and refuse the
// login with upstream.ErrDenied.
//
// # Entra ID multi-tenant
//
// https://login.microsoftonline.com/common/v2.0 advertises the issuer
// "https://login.microsoftonline.com/{tenantid}/v2.0" and signs tokens
// with each tenant's own issuer. Config.SkipIssuerCheck accepts that
// document; the "iss" of each token is then compared with the template
// with the token's "tid" substituted, so a token must still name the
// tenant it claims to come from. Any tenant may sign in unless
// Config.AllowedTenants lists the permitted ones.
//
// # Refresh
//
// Refresh uses the refresh_token grant (RFC 6749 §6). A rotated refresh
// token replaces the old one; a response without one (Google) keeps the
// old one. invalid_grant, a refresh token past its known expiry, and an
// expired token without a refresh token are upstream.ErrRevoked: the
// grant is dead. Other errors (network, invalid_client) are not, so a
// configuration mistake does not end every user's grant.
//
// # ID token kept
//
// upstream.Token.IDToken is the raw ID token of the latest token response,
// for gateway backends with credential id_token: the one validated at
// sign-in, then the one of each refresh response that carries one (Core
// §12.2: a refresh may return a new ID token; it is not re-validated here,
// the backend that takes it verifies it). A refresh response without one
// keeps the previous ID token, even an expired one: the backend checks
// "exp", and its 401 makes mcpgate refresh again.
//
// Token endpoint errors are reported by their RFC 6749 §5.2 code and
// description, never with the response body; configuration errors
// never quote the client secret.
package oidc
