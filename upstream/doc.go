// Package upstream is the OAuth-client side of mcpgate: the identity
// providers it federates login to (GitHub, Google, any OpenID Connect
// issuer), behind one narrow interface.
//
// # What it owns
//
// This package owns the vocabulary every provider shares: Provider and its
// optional capabilities, Identity, Token, the ErrRevoked and ErrDenied
// outcomes, and the rules for the names providers are known by
// (ValidName) and the domains they assert (ValidDomain). Its subpackages
// own one provider each (github, google, oidc), the allowlists (allow),
// and the fakes that tests and `mcpgate demo` sign in against (fakegithub,
// fakeoidc, each with a …test package of testing.TB helpers). Nothing
// here imports tokens or handlers: where a provider needs something kept
// elsewhere, it declares a narrow interface for it (github.TokenSource
// for the upstream token of a tool call's user).
//
// # Design
//
// The shape follows Dex's connectors. Provider has the four things every
// login needs and nothing else: a name, a display name, the authorization
// URL for a request (RFC 6749 §4.1.1, always with an S256 PKCE challenge,
// RFC 7636 §4.3), and Exchange, which redeems the code with its verifier
// (RFC 6749 §4.1.3, RFC 7636 §4.5) and says who signed in. Capabilities
// that only some providers have are separate interfaces that callers
// discover with a type assertion: Refresher for providers whose tokens
// expire (RFC 6749 §6). A provider is bound to its credentials and
// callback URL when it is built, so no call carries secrets, and the
// interface carries no library types (x/oauth2, go-github, go-oidc stay in
// the provider packages).
//
// # Identity
//
// Identity.Subject is the provider's stable identifier, the only field
// suitable as a key: for GitHub the numeric user ID (logins can be renamed
// and re-registered), for OIDC the "sub" claim. Login, Name and Email are
// display data. EmailVerified is true only when the provider vouches for
// the address, which is what email-domain allowlists must rely on.
// HostedDomain is Google's "hd" claim, the Workspace domain the provider
// asserts for the whole account; providers without such a claim leave it
// empty.
//
// # Names
//
// Every provider is built with a name (its configuration's Name, else its
// kind: "github", "google", "oidc") and a display name, so two providers of
// one kind can sit side by side under names chosen by configuration. The
// name is the callback path segment /oauth/callback/{name} and the prefix
// of its users' IDs, so one rule, ValidName, decides what a name may be,
// wherever a name is checked (configuration, allowlist entries, the
// providers themselves, the authorization server).
//
// # Upstream tokens never leave the server
//
// Token is the user's credential at the provider. mcpgate uses it to call
// the provider's API on the user's behalf and never gives it to an MCP
// client: clients hold only mcpgate's own opaque tokens. A Token is sealed
// (AEAD, see package tokens) before it reaches any store. Handing it out
// would turn mcpgate into a token-passthrough proxy, which the MCP
// authorization spec forbids: the client would hold a credential issued
// for a different audience, and revoking the client's grant would not
// revoke what it holds. Errors and logs never include tokens or codes.
//
// # Errors
//
// ErrRevoked means the provider no longer honours the token or refresh
// token (revoked, expired, app uninstalled): the grant is dead and the user
// must sign in again. ErrDenied means the user or the provider refused the
// login. Any other error is transient or a configuration problem.
package upstream
