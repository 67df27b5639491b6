package tokens

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
)

// ErrSealBroken reports sealed data that cannot be opened: wrong key, wrong
// token, wrong associated data, unknown secret, or tampering.
var ErrSealBroken = errors.New("tokens: sealed data cannot be opened")

// Format bytes that start every sealed value. The two formats differ so one
// can never be taken for the other.
const (
	formatTokenWrapV1 byte = 0x01 // format | key ID (8) | nonce (12) | ciphertext+tag
	formatDataKeyV1   byte = 0x02 // format | nonce (12) | ciphertext+tag
)

const nonceLen = 12

// DataKey is a per-grant AES-256 key that seals the grant's upstream token.
// It is stored only wrapped (Keyring.WrapGrantKey) and never prints.
type DataKey [32]byte

// NewDataKey returns a fresh random data key.
func NewDataKey() DataKey {
	var dk DataKey
	rand.Read(dk[:]) // never returns an error
	return dk
}

// String never shows the key.
func (DataKey) String() string { return "DataKey(redacted)" }

// GoString never shows the key.
func (DataKey) GoString() string { return "DataKey(redacted)" }

// LogValue never shows the key.
func (DataKey) LogValue() slog.Value { return slog.StringValue("DataKey(redacted)") }

// sealWithKey seals plaintext with AES-256-GCM under dk and a random nonce;
// aad (associated data) must be presented again to open it.
func sealWithKey(dk DataKey, aad string, plaintext []byte) ([]byte, error) {
	header := []byte{formatDataKeyV1}
	return seal(dk[:], header, aad, plaintext)
}

// openWithKey opens what sealWithKey sealed with the same key and aad. Any
// failure is ErrSealBroken.
func openWithKey(dk DataKey, aad string, sealed []byte) ([]byte, error) {
	if len(sealed) < 1 || sealed[0] != formatDataKeyV1 {
		return nil, ErrSealBroken
	}
	return open(dk[:], sealed[:1], aad, sealed[1:])
}

// sealWithToken seals plaintext (a DataKey, or a grace response) with
// AES-256-GCM under a key that depends on both the current server secret
// and token: HMAC-SHA256(wrap key derived from the secret, token). Neither
// the secret alone nor the token alone opens it. The output names the
// secret (by a key ID derived from it), so openWithToken still works after
// a rotation.
func (k *Keyring) sealWithToken(token, aad string, plaintext []byte) ([]byte, error) {
	dk := &k.keys[0]
	header := make([]byte, 0, 1+keyIDLen)
	header = append(header, formatTokenWrapV1)
	header = append(header, dk.id[:]...)
	return seal(tokenKey(dk.wrap, token), header, aad, plaintext)
}

// openWithToken opens what sealWithToken sealed, under the secret named in
// it (the current one or a previous one), with the same token and aad. Any
// failure is ErrSealBroken.
func (k *Keyring) openWithToken(token, aad string, sealed []byte) ([]byte, error) {
	if len(sealed) < 1+keyIDLen || sealed[0] != formatTokenWrapV1 {
		return nil, ErrSealBroken
	}
	var id [keyIDLen]byte
	copy(id[:], sealed[1:1+keyIDLen])
	dk := k.byID(id)
	if dk == nil {
		return nil, ErrSealBroken
	}
	return open(tokenKey(dk.wrap, token), sealed[:1+keyIDLen], aad, sealed[1+keyIDLen:])
}

func tokenKey(wrap []byte, token string) []byte {
	m := hmac.New(sha256.New, wrap)
	m.Write([]byte(token))
	return m.Sum(nil)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal returns header | nonce | ciphertext. The header is authenticated
// together with aad.
func seal(key, header []byte, aad string, plaintext []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("tokens: seal: %w", err)
	}
	out := make([]byte, len(header)+nonceLen, len(header)+nonceLen+len(plaintext)+aead.Overhead())
	copy(out, header)
	rand.Read(out[len(header):]) // never returns an error
	nonce := out[len(header):]
	return aead.Seal(out, nonce, plaintext, additional(header, aad)), nil
}

func open(key, header []byte, aad string, body []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil || len(body) < nonceLen+aead.Overhead() {
		return nil, ErrSealBroken
	}
	plain, err := aead.Open(nil, body[:nonceLen], body[nonceLen:], additional(header, aad))
	if err != nil {
		return nil, ErrSealBroken
	}
	return plain, nil
}

func additional(header []byte, aad string) []byte {
	b := make([]byte, 0, len(header)+len(aad))
	b = append(b, header...)
	return append(b, aad...)
}
