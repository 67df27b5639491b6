// Package tokens holds mcpgate's own credentials: how tokens are minted and
// hashed, how upstream tokens are sealed, the narrow store interfaces, and
// their sentinel errors. Stores live in the subpackages memory and redis;
// storetest is the conformance suite both pass.
//
// # Token format
//
// Every token is opaque and starts with a type prefix, so that a leaked one
// is recognisable (as GitHub's gho_ tokens are) and one kind can never be
// presented as another:
//
//	mcpgate_ac_<grant ID>_<secret>   authorization code
//	mcpgate_at_<grant ID>_<secret>   access token
//	mcpgate_rt_<grant ID>_<secret>   refresh token
//	mcpgate_cs_<secret>              client secret
//
// The grant ID (NewID: 16 random bytes) and the secret (32 random bytes, 256
// bits) are lowercase unpadded base32. The grant ID inside a token lets a
// store key every record under its grant (one Redis hash tag), so a lookup
// and a revocation touch one slot. Parse checks the shape strictly before any
// store is asked.
//
// # What is stored where
//
// Stores never see a token or a client secret, only Keyring.Hash of it
// (HMAC-SHA256 under a key derived from the server secret), and records are
// keyed by that hash (RFC 6749 §10.4, §10.5: tokens and codes must not be
// readable from storage). Handlers compare hashes with HashEqual. A grant
// holds the user's upstream token sealed with the grant's data key; the data
// key itself is stored only wrapped, inside each code and token record.
//
// # Key hierarchy
//
//	server secret (MCPGATE_SECRET, ≥32 bytes)
//	 └─ HKDF-SHA256 subkeys, one per purpose: token hashes, cookie HMAC,
//	    cookie AES, token-wrap, key ID
//	     └─ per-token wrap key = HMAC-SHA256(token-wrap subkey, token):
//	        a key only the holder of that token can recreate
//	         └─ per-grant DataKey (random, AES-256), wrapped by SealWithToken
//	             └─ upstream token, sealed by SealWithKey (AES-256-GCM)
//
// At the upstream callback a grant gets a fresh DataKey. The upstream token
// is sealed with SealWithKey(dk, "upstream:"+grantID, json) into
// Grant.Upstream, and the data key is wrapped with SealWithToken(code,
// "datakey:"+grantID, dk[:]) into AuthCode.WrappedKey. At the token exchange
// it is unwrapped with the code and re-wrapped under the new access and
// refresh tokens (AccessToken.WrappedKey, RefreshToken.WrappedKey); each
// refresh does the same from the refresh token. The associated data binds
// every ciphertext to its grant, so ciphertexts cannot be swapped between
// grants.
//
// # Rotation
//
// NewKeyring takes the current secret and the previous ones. New hashes,
// seals and cookies use the current secret; Hashes returns the hash under
// every secret for lookups, each sealed value names (by key ID) the secret
// it was made with so OpenWithToken still opens it, and CookieKeyPairs lists
// all pairs for securecookie. Refresh tokens rotate on every use (OAuth 2.1
// §4.3.1); a rotated token keeps its record, with RotatedAt and a grace
// response, until it expires, so reuse is detected and revokes the grant
// (RFC 9700 §4.14).
//
// # Threat model
//
// An attacker with a copy of Redis gets keyed hashes and ciphertext only:
// no token to present, no way to check guesses without the server secret,
// and no upstream token, because opening one needs the server secret and a
// live token of that grant. An attacker with the server secret but no Redis
// has nothing to open. One with both still needs a client's token to unwrap
// that grant's data key. Rotating the secret (moving the old one to the
// previous list, then dropping it) bounds how long a leaked secret is useful.
// The Keyring and DataKey never print their keys, and logs carry grant,
// client and user IDs only.
//
// # Abuse limits
//
// Both stores are also a RateLimiter: sliding window counters on the
// store's clock, so the limits of the HTTP endpoints hold across replicas
// and the conformance suite checks them to the millisecond. Registrations
// are durable, but a client that never completed an authorization
// (Client.LastUsedAt zero, set by TouchClient at the code exchange) and has
// no live grant can be deleted once it is old (PruneUnusedClients): Claude
// registers a new client on every fresh connection, and most are abandoned.
package tokens
