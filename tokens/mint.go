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
	// A refresh token with a generation (generation.go) has 32 random
	// bytes, the generation and its MAC; an access token with a fixed
	// lifetime has the two bytes of fixedMarker before its 32.
	refreshGenBytes  = secretBytes + 4 + genTagBytes
	fixedAccessBytes = len(fixedMarker) + secretBytes
)

// secretSizes are the sizes, in bytes, that Parse accepts for the secret
// of each kind of token.
var secretSizes = map[Kind][]int{
	KindCode:         {secretBytes},
	KindAccess:       {secretBytes, fixedAccessBytes},
	KindRefresh:      {secretBytes, refreshGenBytes},
	KindClientSecret: {secretBytes},
}

// b32Len is the length of the unpadded base32 encoding of n bytes.
func b32Len(n int) int { return b32.EncodedLen(n) }

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
// (Keyring.pairedAccess), before its 32 bytes: a hint, not a secret, that
// lets the bearer check read the token with a plain read instead of the
// script that records a sliding token's use (FixedAccess). Such a token is
// recognised by its length, which no token minted before the hint has.
var fixedMarker = [2]byte{0xf1, 0xed}

// FixedAccess reports whether access token token was minted with a fixed
// lifetime, so that the bearer check can read it with one plain read
// (TokenStore.GetAccessGrant) rather than UseAccess, which runs a script to
// record a sliding token's use. It is only a hint about how to read: the
// hint is inside the token, so a token cannot be made to carry another
// without changing its hash, and a record that turns out to be sliding
// is read again with UseAccess.
func FixedAccess(token string) bool {
	b, ok := secretOf(token, KindAccess)
	return ok && len(b) == fixedAccessBytes && [2]byte(b[:2]) == fixedMarker
}

// secretOf returns the decoded secret of a well-formed token of kind.
func secretOf(token string, kind Kind) ([]byte, bool) {
	k, _, err := Parse(token)
	if err != nil || k != kind {
		return nil, false
	}
	b, err := b32.DecodeString(token[strings.LastIndexByte(token, '_')+1:])
	return b, err == nil
}

// Parse checks the shape of token strictly (prefix, known kind, a grant ID of
// exactly 26 base32 characters for grant-bound kinds, a secret of one of
// the kind's sizes (secretSizes: 52 base32 characters, or 71 for a refresh
// token with a generation, 55 for an access token with a fixed lifetime),
// canonical encodings) and returns its kind and grant ID (empty for a
// client secret). Anything else is ErrMalformed. Parse says nothing about
// whether the token is valid: only a store lookup of its hash does.
func Parse(token string) (Kind, string, error) {
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok || len(rest) < 3 || rest[2] != '_' {
		return "", "", ErrMalformed
	}
	kind := Kind(rest[:2])
	rest = rest[3:]
	sizes, known := secretSizes[kind]
	if !known {
		return "", "", ErrMalformed
	}
	grantID, secret := "", rest
	if kind != KindClientSecret {
		if len(rest) < idChars+1 || rest[idChars] != '_' || !ValidID(rest[:idChars]) {
			return "", "", ErrMalformed
		}
		grantID, secret = rest[:idChars], rest[idChars+1:]
	}
	for _, n := range sizes {
		if isB32(secret, b32Len(n), n) {
			return kind, grantID, nil
		}
	}
	return "", "", ErrMalformed
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
