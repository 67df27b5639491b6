package tokens

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// Storage format v2 protects what a store keeps from a writer of the store
// (issue 10 items 7 and 8): every grant, code and token record carries a
// MAC under a key derived from the server secret and bound to the record's
// name (its key in the store), so that a Redis writer can delete records
// but not extend a token's expiry, widen its scopes or move a record to
// another name; and a pending sign-in (upstream PKCE verifier, OIDC nonce,
// the client's state) is sealed, not stored in clear.

// ErrRecordForged reports a stored record whose MAC is missing or does not
// verify under any known server secret: it was written by someone without
// the secret (or by mcpgate before format v2). Stores treat it as absent.
var ErrRecordForged = errors.New("tokens: stored record fails its MAC")

// recordPrefix starts every MACed record: "r2." + base64url(key ID | MAC) +
// "." + the record. A record without it (format v1) never verifies.
const recordPrefix = "r2."

var macB64 = base64.RawURLEncoding

// macLen is the length of the encoded key ID and MAC.
var macLen = macB64.EncodedLen(keyIDLen + sha256.Size)

// formatPendingV2 starts a sealed pending sign-in: format | key ID (8) |
// nonce (12) | ciphertext+tag.
const formatPendingV2 byte = 0x03

// aadPending + state hash: the associated data of a sealed pending sign-in.
const aadPending = "pending:"

// RecordKeys is what a store needs from the keyring to protect what it
// writes. *Keyring implements it.
type RecordKeys interface {
	// MACRecord returns body prefixed with its MAC under the current
	// secret, bound to name.
	MACRecord(name string, body []byte) []byte
	// VerifyRecord checks what MACRecord returned, under any known secret,
	// and returns the body; ErrRecordForged otherwise.
	VerifyRecord(name string, stored []byte) ([]byte, error)
	// SealPending seals a pending sign-in stored under stateHash.
	SealPending(stateHash string, body []byte) ([]byte, error)
	// OpenPending opens it, under any known secret; ErrSealBroken otherwise.
	OpenPending(stateHash string, sealed []byte) ([]byte, error)
}

var _ RecordKeys = (*Keyring)(nil)

// MACRecord returns "r2." + base64url(key ID | HMAC-SHA256(record-MAC
// key, len(name) | name | body)) + "." + body.
func (k *Keyring) MACRecord(name string, body []byte) []byte {
	d := &k.keys[0]
	tag := append(d.id[:len(d.id):len(d.id)], recordMAC(d.recordMAC, name, body)...)
	out := make([]byte, 0, len(recordPrefix)+macLen+1+len(body))
	out = append(out, recordPrefix...)
	out = macB64.AppendEncode(out, tag)
	out = append(out, '.')
	return append(out, body...)
}

// VerifyRecord returns the body of a record MACRecord made for name under
// the current or a previous secret, or ErrRecordForged.
func (k *Keyring) VerifyRecord(name string, stored []byte) ([]byte, error) {
	n := len(recordPrefix) + macLen
	if len(stored) < n+1 || string(stored[:len(recordPrefix)]) != recordPrefix || stored[n] != '.' {
		return nil, ErrRecordForged
	}
	tag, err := macB64.DecodeString(string(stored[len(recordPrefix):n]))
	if err != nil || len(tag) != keyIDLen+sha256.Size {
		return nil, ErrRecordForged
	}
	var id [keyIDLen]byte
	copy(id[:], tag)
	d := k.byID(id)
	if d == nil {
		return nil, ErrRecordForged
	}
	body := stored[n+1:]
	if !hmac.Equal(tag[keyIDLen:], recordMAC(d.recordMAC, name, body)) {
		return nil, ErrRecordForged
	}
	return body, nil
}

func recordMAC(key []byte, name string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	var l [8]byte
	for i, n := 0, len(name); i < 8; i++ {
		l[7-i] = byte(n >> (8 * i))
	}
	m.Write(l[:])
	m.Write([]byte(name))
	m.Write(body)
	return m.Sum(nil)
}

// SealPending seals a pending sign-in (its encoding, which this package
// does not interpret) with AES-256-GCM under a key derived from the current
// secret, bound to the hash of its state.
func (k *Keyring) SealPending(stateHash string, body []byte) ([]byte, error) {
	d := &k.keys[0]
	header := append([]byte{formatPendingV2}, d.id[:]...)
	return seal(d.pending, header, aadPending+stateHash, body)
}

// OpenPending opens what SealPending sealed for stateHash, under the
// secret named in it (current or previous). Any failure is ErrSealBroken.
func (k *Keyring) OpenPending(stateHash string, sealed []byte) ([]byte, error) {
	if len(sealed) < 1+keyIDLen || sealed[0] != formatPendingV2 {
		return nil, ErrSealBroken
	}
	var id [keyIDLen]byte
	copy(id[:], sealed[1:1+keyIDLen])
	d := k.byID(id)
	if d == nil {
		return nil, ErrSealBroken
	}
	return open(d.pending, sealed[:1+keyIDLen], aadPending+stateHash, sealed[1+keyIDLen:])
}
