// Identity credentials: for in-house backends that trust mcpgate's sign-in
// rather than an identity provider's tokens, a short-lived JWT (RFC 7519)
// signed by mcpgate, verifiable with the keys at /.well-known/jwks.json
// (RFC 7517).

package protected

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

// PathJWKS is where the identity JWTs' public keys are published.
const PathJWKS = "/.well-known/jwks.json"

// DefaultIdentityTTL is the lifetime of an identity JWT: one request's
// worth, so a backend that logs it leaks little.
const DefaultIdentityTTL = 5 * time.Minute

// Credentials a backend may receive (Backend.Credential).
const (
	CredentialAccessToken = "access_token"
	CredentialIdentity    = "identity"
	// CredentialIDToken is the person's OpenID Connect ID token, for
	// backends behind an OIDC provider (oidc, google) that accept it.
	CredentialIDToken = "id_token"
)

// IdentityIssuer mints identity JWTs (EdDSA, Ed25519 keys derived from the
// server secret by tokens.Keyring.IdentityKeys, so every replica signs
// with the same key) naming the person: iss the issuer, aud the backend's
// resource, sub the user ID, and login, email, provider, client_id.
type IdentityIssuer struct {
	Issuer string
	Keys   *tokens.Keyring
	// Grants gives the person's login and e-mail.
	Grants interface {
		GetGrant(ctx context.Context, id string) (tokens.Grant, error)
	}
	// TTL is the JWT lifetime; zero means DefaultIdentityTTL.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// identityClaims are the claims beside the registered ones.
type identityClaims struct {
	Login    string `json:"login,omitempty"`
	Email    string `json:"email,omitempty"`
	Provider string `json:"provider"`
	ClientID string `json:"client_id"`
}

// Mint returns a JWT for c's person with audience aud. A grant that is
// gone is ErrGrantGone.
func (i *IdentityIssuer) Mint(ctx context.Context, c *tokens.Caller, aud string) (string, error) {
	g, err := i.Grants.GetGrant(ctx, c.GrantID)
	if errors.Is(err, tokens.ErrNotFound) {
		return "", ErrGrantGone
	}
	if err != nil {
		return "", fmt.Errorf("protected: loading grant %s: %w", c.GrantID, err)
	}
	key := i.Keys.IdentityKeys()[0]
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key.Private},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), key.ID))
	if err != nil {
		return "", fmt.Errorf("protected: identity signer: %w", err)
	}
	now := time.Now
	if i.Now != nil {
		now = i.Now
	}
	ttl := i.TTL
	if ttl <= 0 {
		ttl = DefaultIdentityTTL
	}
	t := now()
	return jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: i.Issuer, Subject: g.UserID, Audience: jwt.Audience{aud}, ID: tokens.NewID(),
		IssuedAt: jwt.NewNumericDate(t), NotBefore: jwt.NewNumericDate(t), Expiry: jwt.NewNumericDate(t.Add(ttl)),
	}).Claims(identityClaims{Login: g.Login, Email: g.Email, Provider: g.Provider, ClientID: g.ClientID}).Serialize()
}

// JWKS is the public key set, the current key first.
func (i *IdentityIssuer) JWKS() jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, k := range i.Keys.IdentityKeys() {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Private.Public(), KeyID: k.ID, Algorithm: string(jose.EdDSA), Use: "sig"})
	}
	return set
}

// Mount serves the key set at PathJWKS.
func (i *IdentityIssuer) Mount(mux *http.ServeMux) {
	mux.Handle(PathJWKS, wire.ServeDocument(wire.MarshalDocument(i.JWKS())))
}
