package tokens

import (
	"encoding/base64"
	"strings"
)

// sessionPurpose keys the seal of gateway session IDs: the wrap key is
// HMAC-SHA256(wrap key of the secret, sessionPurpose), so no access token
// (whose wrap keys use the token itself as the HMAC message) can collide
// with it.
const sessionPurpose = "mcpgate/v1/gateway-session"

// SealSessionID binds a backend's Mcp-Session-Id to the backend and the
// person it was issued to: the result, base64url without padding, is what
// the MCP client sees. It is sealed with a key derived from the server
// secret, so every replica opens it, and authenticated with backend and
// userID, so another person's (or another backend's) copy does not open.
func (k *Keyring) SealSessionID(backend, userID, sessionID string) (string, error) {
	sealed, err := k.sealWithToken(sessionPurpose, sessionAAD(backend, userID), []byte(sessionID))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// OpenSessionID returns the backend session ID that SealSessionID sealed
// for the same backend and userID. Anything else (a foreign, forged or
// truncated ID, or one sealed under a secret no longer accepted) is
// ErrSealBroken.
func (k *Keyring) OpenSessionID(backend, userID, sealed string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return "", ErrSealBroken
	}
	plain, err := k.openWithToken(sessionPurpose, sessionAAD(backend, userID), raw)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// sessionAAD joins the binding with a separator that cannot occur in a
// backend name, so ("a", "b\x00c") and ("a\x00b", "c") differ.
func sessionAAD(backend, userID string) string {
	return "session\x00" + strings.ReplaceAll(backend, "\x00", "") + "\x00" + userID
}
