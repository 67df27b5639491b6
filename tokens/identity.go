package tokens

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// identityPurpose derives the Ed25519 seed of the identity-JWT signing key
// (gateway backends with credential identity) from a secret's wrap key:
// HMAC-SHA256(wrap key, identityPurpose). Every replica with the same
// secret derives the same key, so any of them signs and all publish the
// same JWKS; no access token's wrap key (HMAC of the token) can equal it.
const identityPurpose = "mcpgate/v1/identity-signing"

// IdentityKey is one Ed25519 signing key and its key ID (the secret's key
// ID, which reveals nothing of the secret).
type IdentityKey struct {
	ID      string
	Private ed25519.PrivateKey
}

// IdentityKeys returns the identity signing keys, the current secret's
// first: sign with the first, publish all of them (previous secrets' keys
// keep tokens signed before a rotation verifiable while they live).
func (k *Keyring) IdentityKeys() []IdentityKey {
	out := make([]IdentityKey, 0, len(k.keys))
	for i := range k.keys {
		dk := &k.keys[i]
		m := hmac.New(sha256.New, dk.wrap)
		m.Write([]byte(identityPurpose))
		out = append(out, IdentityKey{
			ID:      base64.RawURLEncoding.EncodeToString(dk.id[:]),
			Private: ed25519.NewKeyFromSeed(m.Sum(nil)),
		})
	}
	return out
}
