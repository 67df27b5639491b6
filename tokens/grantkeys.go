package tokens

// The seals of one grant. Each purpose has its own associated data, made of
// a purpose label and the grant ID, so that a ciphertext is bound to its
// grant and to its purpose: none can be copied onto another grant or be
// opened as another kind of value. The labels are part of the storage
// format (every stored grant, code and token record depends on them):
// changing one makes every record in the store unreadable, which
// golden_test.go pins.
const (
	// aadUpstream + grant ID: the upstream token sealed with the data key.
	aadUpstream = "upstream:"
	// aadDataKey + grant ID: the data key wrapped under a code, access or
	// refresh token.
	aadDataKey = "datakey:"
	// aadGrace + grant ID: a refresh response sealed under the refresh
	// token it answered, for an idempotent retry.
	aadGrace = "grace:"
)

// WrapGrantKey wraps grant grantID's data key under token (its
// authorization code, access token or refresh token) for the record of
// that token (AuthCode.WrappedKey, AccessToken.WrappedKey,
// RefreshToken.WrappedKey). Only the holder of token, together with the
// server secret, can unwrap it.
func (k *Keyring) WrapGrantKey(token, grantID string, dk DataKey) ([]byte, error) {
	return k.sealWithToken(token, aadDataKey+grantID, dk[:])
}

// UnwrapGrantKey opens what WrapGrantKey wrapped with the same token and
// grant ID, under the current or a previous server secret. Any failure,
// including a plaintext that is not a data key, is ErrSealBroken.
func (k *Keyring) UnwrapGrantKey(token, grantID string, wrapped []byte) (DataKey, error) {
	var dk DataKey
	raw, err := k.openWithToken(token, aadDataKey+grantID, wrapped)
	if err != nil {
		return dk, err
	}
	defer clear(raw)
	if len(raw) != len(dk) {
		return dk, ErrSealBroken
	}
	copy(dk[:], raw)
	return dk, nil
}

// SealUpstream seals grant grantID's upstream token (its JSON encoding,
// which this package does not interpret) with the grant's data key, for
// Grant.Upstream.
func SealUpstream(dk DataKey, grantID string, token []byte) ([]byte, error) {
	return sealWithKey(dk, aadUpstream+grantID, token)
}

// OpenUpstream opens what SealUpstream sealed with the same data key and
// grant ID. Any failure is ErrSealBroken.
func OpenUpstream(dk DataKey, grantID string, sealed []byte) ([]byte, error) {
	return openWithKey(dk, aadUpstream+grantID, sealed)
}

// SealGrace seals the response of a refresh under the refresh token it
// answered (RefreshToken.GraceResponse), so that a retry with the same
// token within the grace period gets the same response and nobody else
// can read it from the store.
func (k *Keyring) SealGrace(refreshToken, grantID string, response []byte) ([]byte, error) {
	return k.sealWithToken(refreshToken, aadGrace+grantID, response)
}

// OpenGrace opens what SealGrace sealed with the same refresh token and
// grant ID, under the current or a previous server secret. Any failure is
// ErrSealBroken.
func (k *Keyring) OpenGrace(refreshToken, grantID string, sealed []byte) ([]byte, error) {
	return k.openWithToken(refreshToken, aadGrace+grantID, sealed)
}
