package tokens

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// MinSecretLen is the least number of bytes a server secret must have.
const MinSecretLen = 32

// HKDF info strings, one per purpose: a key derived for one purpose is
// useless for any other.
const (
	infoKeyID       = "mcpgate/v1/key-id"
	infoTokenHash   = "mcpgate/v1/token-hash"
	infoCookieHash  = "mcpgate/v1/cookie-hash"
	infoCookieBlock = "mcpgate/v1/cookie-block"
	infoWrap        = "mcpgate/v1/token-wrap"
	// Format v2 (records.go): the MAC over stored records and the seal of
	// pending sign-ins.
	infoRecordMAC   = "mcpgate/v2/record-mac"
	infoPendingSeal = "mcpgate/v2/pending-seal"
	// infoRefreshGen and infoPairAccess (generation.go) are in the list
	// below too.
)

const keyIDLen = 8

// Hasher computes the keyed hashes that stores keep instead of tokens and
// client secrets. *Keyring implements it.
type Hasher interface {
	// Hash is the keyed hash of token under the current secret.
	Hash(token string) string
	// Hashes is the hash under the current secret, then under each
	// previous one.
	Hashes(token string) []string
}

var _ Hasher = (*Keyring)(nil)

// ParseSecret decodes a server secret (MCPGATE_SECRET): hex, or base64
// (standard or URL alphabet, padded or not), at least MinSecretLen bytes.
// Surrounding white space is ignored. A string made only of hex digits is
// always read as hex. Errors never contain the value.
func ParseSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("tokens: secret is empty")
	}
	var b []byte
	if isHex(s) {
		var err error
		if b, err = hex.DecodeString(s); err != nil {
			return nil, errors.New("tokens: secret is not valid hex")
		}
	} else {
		var ok bool
		if b, ok = decodeBase64(s); !ok {
			return nil, errors.New("tokens: secret is neither hex nor base64")
		}
	}
	if len(b) < MinSecretLen {
		return nil, fmt.Errorf("tokens: secret has %d bytes, need at least %d random bytes (64 hex characters)", len(b), MinSecretLen)
	}
	return b, nil
}

func isHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// Keyring holds the current server secret and the previous ones still
// accepted, as subkeys derived with HKDF-SHA256 (RFC 5869), one per purpose.
// New hashes, seals and cookies use the current secret; lookups and opens
// also try the previous ones, so a secret can be rotated without logging
// anyone out. A Keyring never exposes its keys except through
// CookieKeyPairs, and prints as redacted. Make one with NewKeyring; the
// zero value has no keys and is not usable.
type Keyring struct {
	keys []derivedKeys // current first
}

type derivedKeys struct {
	id          [keyIDLen]byte
	hash        []byte // HMAC-SHA256 key for token hashes
	cookieHash  []byte // 64 bytes, securecookie hash key
	cookieBlock []byte // 32 bytes, securecookie AES-256 key
	wrap        []byte // HMAC-SHA256 key from which token-wrap keys derive
	recordMAC   []byte // HMAC-SHA256 key of stored records' MACs
	pending     []byte // AES-256 key of pending sign-ins
	refreshGen  []byte // HMAC-SHA256 key of refresh token generations
	pairAccess  []byte // HMAC-SHA256 key deriving a pair's access token
}

// NewKeyring derives a keyring from the current secret and any previous
// ones (newest first). Each secret must have at least MinSecretLen bytes.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	k := &Keyring{}
	for i, secret := range append([][]byte{current}, previous...) {
		if len(secret) < MinSecretLen {
			if i == 0 {
				return nil, fmt.Errorf("tokens: current secret has %d bytes, need at least %d", len(secret), MinSecretLen)
			}
			return nil, fmt.Errorf("tokens: previous secret %d has %d bytes, need at least %d", i, len(secret), MinSecretLen)
		}
		dk, err := derive(secret)
		if err != nil {
			return nil, err
		}
		if k.byID(dk.id) != nil {
			continue // the same secret listed twice
		}
		k.keys = append(k.keys, dk)
	}
	return k, nil
}

func derive(secret []byte) (derivedKeys, error) {
	var dk derivedKeys
	parts := []struct {
		info string
		n    int
		dst  *[]byte
	}{
		{infoTokenHash, 32, &dk.hash},
		{infoCookieHash, 64, &dk.cookieHash},
		{infoCookieBlock, 32, &dk.cookieBlock},
		{infoWrap, 32, &dk.wrap},
		{infoRecordMAC, 32, &dk.recordMAC},
		{infoPendingSeal, 32, &dk.pending},
		{infoRefreshGen, 32, &dk.refreshGen},
		{infoPairAccess, 32, &dk.pairAccess},
	}
	for _, p := range parts {
		b, err := hkdf.Key(sha256.New, secret, nil, p.info, p.n)
		if err != nil {
			return derivedKeys{}, fmt.Errorf("tokens: deriving keys: %w", err)
		}
		*p.dst = b
	}
	id, err := hkdf.Key(sha256.New, secret, nil, infoKeyID, keyIDLen)
	if err != nil {
		return derivedKeys{}, fmt.Errorf("tokens: deriving key ID: %w", err)
	}
	copy(dk.id[:], id)
	return dk, nil
}

func (k *Keyring) byID(id [keyIDLen]byte) *derivedKeys {
	for i := range k.keys {
		if subtle.ConstantTimeCompare(k.keys[i].id[:], id[:]) == 1 {
			return &k.keys[i]
		}
	}
	return nil
}

// Hash is the keyed hash of token under the current secret: HMAC-SHA256
// with a derived key, base64url without padding. Stores keep this, never the
// token.
func (k *Keyring) Hash(token string) string {
	return hashWith(k.keys[0].hash, token)
}

// Hashes returns the hash of token under the current secret first, then
// under each previous secret, for lookups after a secret rotation.
func (k *Keyring) Hashes(token string) []string {
	out := make([]string, len(k.keys))
	for i := range k.keys {
		out[i] = hashWith(k.keys[i].hash, token)
	}
	return out
}

func hashWith(key []byte, token string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// HashEqual compares two hashes in constant time.
func HashEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// CookieKeyPairs returns hash-key, block-key pairs (a 64-byte HMAC key and a
// 32-byte AES-256 key per secret), current first, ready for
// securecookie.CodecsFromPairs. The slices are copies.
func (k *Keyring) CookieKeyPairs() [][]byte {
	out := make([][]byte, 0, 2*len(k.keys))
	for i := range k.keys {
		out = append(out, append([]byte(nil), k.keys[i].cookieHash...), append([]byte(nil), k.keys[i].cookieBlock...))
	}
	return out
}

// String never shows key material.
func (k *Keyring) String() string {
	return fmt.Sprintf("Keyring(redacted, %d secrets)", len(k.keys))
}

// GoString never shows key material.
func (k *Keyring) GoString() string { return k.String() }

// LogValue never shows key material.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }
