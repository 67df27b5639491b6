package tokens

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
)

// Refresh token generations (issue 11 item 3), and the access token of a
// pair derived from its refresh token (below). A grant's refresh tokens
// form one chain: the code exchange issues generation 1, each rotation the
// next. A refresh token carries its generation inside its secret, with a
// MAC that only the server can make:
//
//	secret = 32 random bytes | generation (uint32, big-endian) |
//	         first 8 bytes of HMAC-SHA256(refresh-generation key,
//	                                      grant ID | the 36 bytes before)
//
// (71 base32 characters instead of 52: the 256 random bits of every
// token stay whole), and the grant keeps only the generation of its
// active token (Grant.RefreshGen). A presented refresh token that the store no
// longer has, whose MAC verifies and whose generation is older than the
// grant's, was issued and rotated: its reuse is detected (RFC 9700 §4.14)
// with no record of it left, so a rotated token's tombstone needs to live
// only for the rotation's grace window, and a grant refreshed every hour
// for a month keeps one token, not 720 tombstones. The MAC is what keeps
// a stranger who learns a grant ID (logs and the connections page show
// them) from revoking the grant with a made-up token: a token without a
// valid MAC is unknown, never reuse. Refresh tokens minted before
// generations (random secrets, generation 0) keep full-lifetime
// tombstones (RefreshToken.Tombstone).

const (
	infoRefreshGen = "mcpgate/v3/refresh-generation"
	infoPairAccess = "mcpgate/v3/pair-access"
)

const (
	genTagBytes  = 8
	genOffset    = secretBytes
	genTagOffset = secretBytes + 4
)

// MintRefresh mints the refresh token of generation gen (≥ 1) of grant
// grantID, with the form of Mint(KindRefresh, grantID).
func (k *Keyring) MintRefresh(grantID string, gen uint32) string {
	secret := make([]byte, refreshGenBytes)
	rand.Read(secret[:secretBytes]) // never returns an error
	binary.BigEndian.PutUint32(secret[genOffset:], gen)
	copy(secret[genTagOffset:], genTag(k.keys[0].refreshGen, grantID, secret[:genTagOffset]))
	return Prefix + string(KindRefresh) + "_" + grantID + "_" + b32.EncodeToString(secret)
}

// RefreshGeneration returns the generation inside a refresh token that
// MintRefresh made under the current or a previous secret; false for any
// other string, including a refresh token minted before generations.
func (k *Keyring) RefreshGeneration(token string) (uint32, bool) {
	secret, ok := secretOf(token, KindRefresh)
	if !ok || len(secret) != refreshGenBytes {
		return 0, false
	}
	_, grantID, _ := Parse(token)
	for i := range k.keys {
		if hmac.Equal(secret[genTagOffset:], genTag(k.keys[i].refreshGen, grantID, secret[:genTagOffset])) {
			gen := binary.BigEndian.Uint32(secret[genOffset:])
			return gen, gen > 0
		}
	}
	return 0, false
}

// genTag is the MAC of a refresh token's generation.
func genTag(key []byte, grantID string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(grantID))
	m.Write(body)
	return m.Sum(nil)[:genTagBytes]
}

// The access token of a pair is derived from its refresh token:
//
//	secret = HMAC-SHA256(pair-access key, refresh token), after
//	         fixedMarker for a fixed lifetime
//
// so that rotating a refresh token can name the access token issued with
// it, to retire it (Rotation.Retire), with nothing stored for that. Its 256
// bits are as unpredictable as the refresh token's random ones to anyone
// without the server secret. The refresh token is the stronger credential
// (it gets new access tokens), so deriving one from it under a server key
// gives its holder nothing new.

// pairedAccess is the access token of the pair whose refresh token is rt,
// under secret i of the keyring.
func (k *Keyring) pairedAccess(i int, rt string, fixed bool) string {
	_, grantID, _ := Parse(rt)
	m := hmac.New(sha256.New, k.keys[i].pairAccess)
	m.Write([]byte(rt))
	secret := m.Sum(nil)
	if fixed {
		secret = append(fixedMarker[:], secret...)
	}
	return Prefix + string(KindAccess) + "_" + grantID + "_" + b32.EncodeToString(secret)
}

// PairedAccessHashes returns the keyed hashes of the access tokens that a
// pair with refresh token rt, stored under rtHash, may hold (fixed or
// sliding: both forms are named, the store retires the one that exists),
// under the secret that rtHash was made with; none if it was made with
// none of them, or rt is not a refresh token.
func (k *Keyring) PairedAccessHashes(rt, rtHash string) []string {
	if kind, _, err := Parse(rt); err != nil || kind != KindRefresh {
		return nil
	}
	for i := range k.keys {
		if HashEqual(hashWith(k.keys[i].hash, rt), rtHash) {
			return []string{
				hashWith(k.keys[i].hash, k.pairedAccess(i, rt, true)),
				hashWith(k.keys[i].hash, k.pairedAccess(i, rt, false)),
			}
		}
	}
	return nil
}
