package upstream

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// ErrRevoked means the upstream provider no longer honours the token or the
// refresh token (revoked, expired refresh token, app uninstalled). The grant
// that holds it is dead and the user must sign in again.
var ErrRevoked = errors.New("upstream: token revoked or expired")

// ErrDenied means the user (or the provider) refused the login.
var ErrDenied = errors.New("upstream: access denied")

// Identity is who signed in. Subject is the provider's stable identifier
// (GitHub's numeric user ID, OIDC "sub"); Login, Email and Name are display
// data and may change.
type Identity struct {
	Subject       string
	Login         string
	Email         string
	EmailVerified bool
	Name          string
	// HostedDomain is Google's "hd" ID token claim: the Google Workspace
	// domain the provider asserts for the whole account (unlike the
	// e-mail's domain). Empty for consumer accounts and for providers
	// that have no such claim.
	HostedDomain string
}

// Token is an upstream token. It is sealed before it reaches any store and
// never leaves the server.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// Expiry is zero for tokens that do not expire (GitHub OAuth App tokens).
	Expiry time.Time `json:"expiry,omitzero"`
	// RefreshExpiry is zero when unknown or unlimited.
	RefreshExpiry time.Time `json:"refresh_expiry,omitzero"`
	Scopes        []string  `json:"scopes,omitempty"`
	// IDToken is the OpenID Connect ID token of the latest token response
	// (oidc, google), for backends that take it (credential id_token).
	// Empty for providers without ID tokens (GitHub). It is sealed with
	// the rest of the token; omitted from the JSON when empty, so tokens
	// without one keep their stored bytes.
	IDToken string `json:"id_token,omitempty"`
}

// String never shows the token values: an upstream token must not reach a
// log line or an error message by accident.
func (t Token) String() string { return "upstream.Token(redacted)" }

// GoString is String for %#v.
func (t Token) GoString() string { return t.String() }

// LogValue keeps the values out of slog output; only expiry is shown.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token", "redacted"), slog.Time("expiry", t.Expiry))
}

// Expired reports whether the token should be refreshed before use at now
// (with a small safety margin).
func (t Token) Expired(now time.Time) bool {
	return !t.Expiry.IsZero() && !now.Add(30*time.Second).Before(t.Expiry)
}

// AuthRequest is what the authorization redirect to the provider carries.
type AuthRequest struct {
	State         string // our random, single-use state
	CodeChallenge string // PKCE S256 challenge of the upstream leg
	Nonce         string // OIDC nonce; ignored by providers without ID tokens
	// ReadOnly says the authorization grants only tools that read: a
	// provider whose scopes tell reading from writing asks for its
	// read-only subset (GitHub); others ignore it.
	ReadOnly bool
}

// Provider is an upstream identity provider that mcpgate federates login to.
// It is bound to its credentials and callback URL when it is built.
type Provider interface {
	// Name is the provider's path segment: "github", "google", "oidc".
	Name() string
	// DisplayName is shown to people: "GitHub", "Google".
	DisplayName() string
	// AuthCodeURL is where the browser goes to sign in.
	AuthCodeURL(r AuthRequest) string
	// Exchange redeems the code from the callback and identifies the user.
	// nonce is the AuthRequest.Nonce that started the login.
	Exchange(ctx context.Context, code, codeVerifier, nonce string) (Identity, Token, error)
}

// Refresher is the optional capability of providers whose tokens expire.
type Refresher interface {
	// Refresh returns a new token; ErrRevoked when the refresh token is dead.
	Refresh(ctx context.Context, t Token) (Token, error)
}
