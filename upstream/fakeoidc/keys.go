package fakeoidc

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"

	jose "github.com/go-jose/go-jose/v4"
)

// signingKey is an RS256 key and its key ID.
type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

// newKey makes the next signing key; f.mu must be held (or f not yet
// shared).
func (f *Fake) newKey() *signingKey {
	f.keySerial++
	return &signingKey{kid: fmt.Sprintf("fake-key-%d", f.keySerial), priv: mustRSAKey()}
}

// mustRSAKey generates a 2048-bit RSA key. rsa.GenerateKey fails only
// when crypto/rand does, which Go treats as fatal anyway.
func mustRSAKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("fakeoidc: generate RSA key: %v", err))
	}
	return k
}

// RotateKey starts signing with a new key and returns its key ID. The old
// keys stay in the JWKS until DropOldKeys, as a real provider publishes
// the next key before it uses it and keeps the last one for a while.
func (f *Fake) RotateKey() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.newKey()
	f.keys = append([]*signingKey{k}, f.keys...)
	return k.kid
}

// DropOldKeys removes every key but the current one from the JWKS.
func (f *Fake) DropOldKeys() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = f.keys[:1]
}

// CurrentKeyID is the key ID new ID tokens are signed with.
func (f *Fake) CurrentKeyID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[0].kid
}

// SignWithUnknownKey, while on, signs ID tokens with a key that is not in
// the JWKS but carries the current key's ID: a forged signature.
func (f *Fake) SignWithUnknownKey(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forge = on
	if on && f.forger == nil {
		f.forger = &signingKey{priv: mustRSAKey()}
	}
}

// sign signs claims as a compact JWS (RFC 7515) with the current key, or
// the forger's key under the current key ID; f.mu must be held.
func (f *Fake) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	key := f.keys[0].priv
	if f.forge {
		key = f.forger.priv
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: f.keys[0].kid, Algorithm: string(jose.RS256)}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// handleJWKS is the jwks_uri: the public keys (RFC 7517 §5).
func (f *Fake) handleJWKS(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.counts.JWKSCalls++
	set := jose.JSONWebKeySet{}
	for _, k := range f.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: string(jose.RS256), Use: "sig"})
	}
	f.mu.Unlock()
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, set)
}
