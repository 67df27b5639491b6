package tokens

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strings"
)

// Kind is the type of a token, visible in its prefix.
type Kind string

// Token kinds. Each kind has its own prefix, so one kind can never be
// presented as another and a leaked token says what it is.
const (
	// KindCode is an authorization code (OAuth 2.1 §4.1.2).
	KindCode Kind = "ac"
	// KindAccess is an access token.
	KindAccess Kind = "at"
	// KindRefresh is a refresh token.
	KindRefresh Kind = "rt"
	// KindClientSecret is a client secret issued at registration (RFC 7591).
	KindClientSecret Kind = "cs"
)

// ErrMalformed reports a string that does not have the shape of a token.
var ErrMalformed = errors.New("tokens: malformed token")

const (
	// Prefix starts every token mcpgate issues, so that leaked tokens are
	// recognisable (by people and by secret scanners).
	Prefix = "mcpgate_"

	idBytes     = 16
	idChars     = 26 // base32 of 16 bytes, unpadded
	secretBytes = 32
	secretChars = 52 // base32 of 32 bytes, unpadded
)

// b32 is lowercase base32 (RFC 4648 alphabet) without padding.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a new random identifier: 16 bytes from crypto/rand as 26
// lowercase base32 characters. Grant IDs and client IDs are made with it.
func NewID() string {
	return randomB32(idBytes)
}

// Mint returns a new token of the given kind. Grant-bound kinds (code,
// access, refresh) have the form
//
//	mcpgate_<kind>_<grantID>_<secret>
//
// and a client secret is mcpgate_cs_<secret>. The secret is 32 random bytes
// (256 bits) as 52 lowercase base32 characters. grantID must come from
// NewID; Mint does not check it, Parse does.
func Mint(kind Kind, grantID string) string {
	if kind == KindClientSecret {
		return Prefix + string(kind) + "_" + randomB32(secretBytes)
	}
	return Prefix + string(kind) + "_" + grantID + "_" + randomB32(secretBytes)
}

// fixedMarker starts the secret of an access token with a fixed lifetime
// (Keyring.pairedAccess): a hint, not a secret, that lets the bearer check
// read the token with a plain read instead of the script that records a
// sliding token's use (FixedAccess). 16 bits of the 256 are given to it; a
// random secret (a token minted before the hint) starts with it once in
// 65,536, and is then only read the slower way.
var fixedMarker = [2]byte{0xf1, 0xed}

// FixedAccess reports whether access token token was minted with a fixed
// lifetime, so that the bearer check can read it with one plain read
// (TokenStore.GetAccessGrant) rather than UseAccess, which runs a script to
// record a sliding token's use. It is only a hint about how to read: the
// hint is inside the token, so a token cannot be made to carry another
// without changing its hash, and a record that turns out to be sliding
// is read again with UseAccess.
func FixedAccess(token string) bool {
	kind, _, err := Parse(token)
	if err != nil || kind != KindAccess {
		return false
	}
	b, err := b32.DecodeString(token[len(token)-secretChars:])
	return err == nil && len(b) == secretBytes && [2]byte(b[:2]) == fixedMarker
}

// Parse checks the shape of token strictly (prefix, known kind, a grant ID of
// exactly 26 base32 characters for grant-bound kinds, a secret of exactly 52
// base32 characters, canonical encodings) and returns its kind and grant ID
// (empty for a client secret). Anything else is ErrMalformed. Parse says
// nothing about whether the token is valid: only a store lookup of its hash
// does.
func Parse(token string) (Kind, string, error) {
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok || len(rest) < 3 || rest[2] != '_' {
		return "", "", ErrMalformed
	}
	kind := Kind(rest[:2])
	rest = rest[3:]
	switch kind {
	case KindClientSecret:
		if !isB32(rest, secretChars, secretBytes) {
			return "", "", ErrMalformed
		}
		return kind, "", nil
	case KindCode, KindAccess, KindRefresh:
		if len(rest) != idChars+1+secretChars || rest[idChars] != '_' {
			return "", "", ErrMalformed
		}
		grantID, secret := rest[:idChars], rest[idChars+1:]
		if !ValidID(grantID) || !isB32(secret, secretChars, secretBytes) {
			return "", "", ErrMalformed
		}
		return kind, grantID, nil
	default:
		return "", "", ErrMalformed
	}
}

// ValidID reports whether id has the shape of an identifier from NewID.
func ValidID(id string) bool {
	return isB32(id, idChars, idBytes)
}

func randomB32(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never returns an error; aborts the program if the OS has no randomness
	return b32.EncodeToString(b)
}

// isB32 reports whether s is exactly the canonical unpadded lowercase base32
// encoding of n bytes (wantChars characters, unused trailing bits zero).
func isB32(s string, wantChars, n int) bool {
	if len(s) != wantChars {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	b, err := b32.DecodeString(s)
	if err != nil || len(b) != n {
		return false
	}
	return b32.EncodeToString(b) == s
}
