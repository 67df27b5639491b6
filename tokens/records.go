package tokens

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Storage format v2 protects what a store keeps from a writer of the store
// (issue 10 items 7 and 8): every grant, code and token record carries a
// MAC under a key derived from the server secret and bound to the record's
// name (its key in the store), so that a Redis writer can delete records
// but not extend a token's expiry, widen its scopes or move a record to
// another name; and a pending sign-in (upstream PKCE verifier, OIDC nonce,
// the client's state) is sealed, not stored in clear.

// Storage format v3 (issue 11 item 3) keeps the MAC of v2, bound to the
// same name, and makes records small: a format byte, the key ID and the
// MAC (truncated to 128 bits) in binary, then the record in MessagePack
// (fields under their short msgpack names, or their json names for a
// field without one; byte slices raw; times as MessagePack timestamps)
// instead of "r2." + base64 + JSON. Writes produce v3; reads accept v2
// and v3, so an upgrade signs nobody out. The format byte is MACed with
// the record, so a v2 body cannot be passed off as a v3 one.

// ErrRecordForged reports a stored record whose MAC is missing or does not
// verify under any known server secret: it was written by someone without
// the secret (or by mcpgate before format v2). Stores treat it as absent.
var ErrRecordForged = errors.New("tokens: stored record fails its MAC")

// recordPrefix starts every MACed record of format v2: "r2." +
// base64url(key ID | MAC) + "." + the JSON record. A record without it or
// the v3 format byte (format v1) never verifies.
const recordPrefix = "r2."

// formatRecordV3 starts every record of format v3: format | the first 4
// bytes of the key ID | HMAC-SHA256 truncated to 16 bytes | the
// MessagePack record. Four bytes tell the few secrets of a keyring apart
// (should two share them, each is tried); 128 bits of tag are what
// AES-GCM gives too, and a forger gets one try per read of the record.
const formatRecordV3 byte = 0x03

// keyIDLenV3 and macLenV3 are the lengths of a v3 record's key ID and
// MAC.
const (
	keyIDLenV3 = 4
	macLenV3   = 16
)

// RecordFormat is the storage format of a MACed record, which says how
// its body is encoded (DecodeRecord).
type RecordFormat byte

// The formats VerifyRecord accepts.
const (
	RecordV2 RecordFormat = 2 // JSON
	RecordV3 RecordFormat = 3 // MessagePack
)

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
	// MACRecord returns body (encoded by EncodeRecord) prefixed with its
	// MAC under the current secret, bound to name: format v3.
	MACRecord(name string, body []byte) []byte
	// VerifyRecord checks what MACRecord returned (or a record of format
	// v2), under any known secret, and returns the body and its format;
	// ErrRecordForged otherwise.
	VerifyRecord(name string, stored []byte) ([]byte, RecordFormat, error)
	// SealPending seals a pending sign-in stored under stateHash.
	SealPending(stateHash string, body []byte) ([]byte, error)
	// OpenPending opens it, under any known secret; ErrSealBroken otherwise.
	OpenPending(stateHash string, sealed []byte) ([]byte, error)
}

var _ RecordKeys = (*Keyring)(nil)

// MACRecord returns format v3: 0x03 | key ID (4 bytes) | the first 16
// bytes of HMAC-SHA256(record-MAC key, len(name) | name | 0x03 | body) |
// body.
func (k *Keyring) MACRecord(name string, body []byte) []byte {
	d := &k.keys[0]
	out := make([]byte, 0, 1+keyIDLenV3+macLenV3+len(body))
	out = append(out, formatRecordV3)
	out = append(out, d.id[:keyIDLenV3]...)
	out = append(out, recordMAC(d.recordMAC, name, out[:1], body)[:macLenV3]...)
	return append(out, body...)
}

// VerifyRecord returns the body of a record MACRecord made for name (or
// of a format v2 record) under the current or a previous secret, with its
// format, or ErrRecordForged.
func (k *Keyring) VerifyRecord(name string, stored []byte) ([]byte, RecordFormat, error) {
	if len(stored) > 0 && stored[0] == formatRecordV3 {
		const n = 1 + keyIDLenV3 + macLenV3
		if len(stored) < n {
			return nil, 0, ErrRecordForged
		}
		for i := range k.keys {
			d := &k.keys[i]
			if subtle.ConstantTimeCompare(d.id[:keyIDLenV3], stored[1:1+keyIDLenV3]) == 1 &&
				hmac.Equal(stored[1+keyIDLenV3:n], recordMAC(d.recordMAC, name, stored[:1], stored[n:])[:macLenV3]) {
				return stored[n:], RecordV3, nil
			}
		}
		return nil, 0, ErrRecordForged
	}
	n := len(recordPrefix) + macLen
	if len(stored) < n+1 || string(stored[:len(recordPrefix)]) != recordPrefix || stored[n] != '.' {
		return nil, 0, ErrRecordForged
	}
	tag, err := macB64.DecodeString(string(stored[len(recordPrefix):n]))
	if err != nil || len(tag) != keyIDLen+sha256.Size {
		return nil, 0, ErrRecordForged
	}
	d := k.byID([keyIDLen]byte(tag[:keyIDLen]))
	if d == nil {
		return nil, 0, ErrRecordForged
	}
	body := stored[n+1:]
	if !hmac.Equal(tag[keyIDLen:], recordMAC(d.recordMAC, name, nil, body)) {
		return nil, 0, ErrRecordForged
	}
	return body, RecordV2, nil
}

// EncodeRecord encodes a record for format v3: MessagePack of its fields
// under their msgpack names (their json names when they have none), empty
// ones (zero, "", nil or empty slices, zero times) left out, so that a
// field added to a record type is stored with no change here. An empty
// slice decodes as nil.
func EncodeRecord(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := msgpack.NewEncoder(&b)
	enc.SetCustomStructTag("json")
	enc.SetOmitEmpty(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeRecord decodes a body VerifyRecord returned, in the encoding of its
// format, into the record v points to. Times come back in UTC, as from
// JSON.
func DecodeRecord(f RecordFormat, body []byte, v any) error {
	if f == RecordV2 {
		return json.Unmarshal(body, v)
	}
	dec := msgpack.NewDecoder(bytes.NewReader(body))
	dec.SetCustomStructTag("json")
	if err := dec.Decode(v); err != nil {
		return err
	}
	utcTimes(reflect.ValueOf(v))
	return nil
}

// SetGrantID sets the grant ID of a decoded grant, code or token record,
// which format v3 does not store: it is in the record's name (a grant's
// hash tag), which the MAC binds.
func SetGrantID(v any, grantID string) {
	switch r := v.(type) {
	case *Grant:
		r.ID = grantID
	case *AuthCode:
		r.GrantID = grantID
	case *AccessToken:
		r.GrantID = grantID
	case *RefreshToken:
		r.GrantID = grantID
	}
}

// utcTimes sets every time.Time field of the struct v points to to UTC
// (MessagePack timestamps decode in the local zone).
func utcTimes(v reflect.Value) {
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.CanSet() && f.Type() == reflect.TypeFor[time.Time]() {
			f.Set(reflect.ValueOf(f.Interface().(time.Time).UTC()))
		}
	}
}

// recordMAC is HMAC-SHA256(key, len(name) | name | format | body), format
// being empty for v2 and the format byte for v3.
func recordMAC(key []byte, name string, format, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	var l [8]byte
	for i, n := 0, len(name); i < 8; i++ {
		l[7-i] = byte(n >> (8 * i))
	}
	m.Write(l[:])
	m.Write([]byte(name))
	m.Write(format)
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
