// Package tokens holds mcpgate's own credentials: how tokens are minted and
// hashed, the key hierarchy that seals what a grant keeps, the form of user
// IDs, the narrow store interfaces, and their sentinel errors. Stores live
// in the subpackages memory and redis; storetest is the conformance suite
// both pass. It is the storage floor: it imports no other package of
// mcpgate and knows no identity provider (the upstream token is an opaque
// byte string here; refreshing it at the provider is the job of
// handlers/protected).
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
// bits) are lowercase unpadded base32. A refresh token's secret also carries
// its generation and a MAC of it (36 + 8 bytes), and an access token's is
// derived from its pair's refresh token, after a two-byte hint for a fixed
// lifetime (generation.go, FixedAccess): 256 bits that nobody without the
// server secret can predict, in every token. The grant ID inside a token
// lets a store key every record under its grant (one Redis hash tag), so a
// lookup and a revocation touch one slot. Parse checks the shape strictly
// before any store is asked.
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
//	    cookie AES, token-wrap, record MAC, pending seal, refresh
//	    generation MAC, key ID
//	     └─ per-token wrap key = HMAC-SHA256(token-wrap subkey, token):
//	        a key only the holder of that token can recreate
//	         ├─ per-grant DataKey (random, AES-256), wrapped by
//	         │   Keyring.WrapGrantKey
//	         │   └─ upstream token, sealed by SealUpstream (AES-256-GCM)
//	         └─ grace response of a rotated refresh token, sealed by
//	             Keyring.SealGrace
//
// Callers name the purpose, never the associated data: each function binds
// its ciphertext to the grant ID and to its purpose (grantkeys.go), so a
// ciphertext cannot be moved to another grant or opened as another kind of
// value, and no caller can get the binding wrong.
//
// At the upstream callback a grant gets a fresh DataKey. The upstream token
// (its JSON) is sealed with SealUpstream(dk, grantID, json) into
// Grant.Upstream, and the data key is wrapped with WrapGrantKey(code,
// grantID, dk) into AuthCode.WrappedKey. At the token exchange it is
// unwrapped with the code (UnwrapGrantKey) and re-wrapped under the new
// access and refresh tokens (AccessToken.WrappedKey,
// RefreshToken.WrappedKey: Keyring.MintPair mints the pair and makes its
// records); each refresh does the same from the refresh token, and seals
// its response under the old refresh token (SealGrace,
// RefreshToken.GraceResponse) for a retry (OpenGrace). The bearer check
// unwraps the data key with the access token into a Caller, whose Key
// opens the upstream token (OpenUpstream).
//
// # Storage format
//
// The HKDF labels, the associated-data labels, the format bytes of sealed
// values and the form of user IDs (UserID: "provider:subject") are all part
// of what is stored: change one and every record already in Redis stops
// opening or matching. golden_test.go pins them with fixed bytes and with
// records written under a fixed secret by the code as it was before the
// purpose-named functions existed (testdata/stored-v1.json), so such a
// change fails the tests and can only be made as a deliberate, versioned
// migration.
//
// Format v2 (records.go) adds two protections against a writer of the
// store: Keyring.MACRecord puts an HMAC-SHA256, under a key derived for
// that purpose and bound to the record's name, in front of every grant,
// code and token record the Redis store writes (VerifyRecord checks it;
// a record without a valid MAC, including a v1 record, is treated as
// absent), and Keyring.SealPending seals a pending sign-in (the upstream
// PKCE verifier, OIDC nonce and client state) under the hash of its
// state. testdata/stored-v2.json pins both.
//
// Format v3 (records.go; issue 11) is the same protection in less room,
// since Redis memory per grant is what a deployment pays for: a format
// byte, 4 bytes of key ID and the MAC truncated to 128 bits in binary,
// then the record in MessagePack (EncodeRecord: short msgpack field names,
// a field without one under its json name, empty fields left out, byte
// slices raw) instead of "r2." + base64 + JSON. The format byte is MACed
// with the record, which stays bound to its name; the grant ID is not
// stored, as the name holds it (SetGrantID). Writes produce v3; reads
// accept v2 (VerifyRecord reports the format, DecodeRecord decodes
// either), so an upgrade signs nobody out and records move to v3 as they
// are rewritten. testdata/stored-v3.json pins the bytes.
//
// # Rotation
//
// NewKeyring takes the current secret and the previous ones. New hashes,
// seals and cookies use the current secret; Hashes returns the hash under
// every secret for lookups, each value sealed under a token names (by key
// ID) the secret it was made with so UnwrapGrantKey and OpenGrace still
// open it, and CookieKeyPairs lists all pairs for securecookie. Refresh
// tokens rotate on every use (OAuth 2.1 §4.3.1). A rotated token's record
// shrinks to a tombstone (RefreshToken.Tombstone: grant, client, expiry,
// RotatedAt, generation); it holds no wrapped data key, so an old refresh
// token opens nothing even with the store and the server secret. The grace
// response is kept apart, only for the grace window (Rotation.Grace) and
// only until the successor is itself rotated (RefreshToken.Predecessor
// names whose grace response to withdraw).
//
// Reuse of a rotated token revokes the grant (RFC 9700 §4.14). Each
// refresh token carries its generation in the grant's chain, with a MAC
// (generation.go), and the grant keeps the active generation
// (Grant.RefreshGen): a token whose record is gone but whose generation
// verifies and is older than the grant's was rotated, so its tombstone
// needs to live only as long as the grace window (and a second), and a
// grant's storage does not grow with its refreshes (issue 11 item 3).
// Tokens minted before generations keep a tombstone until their own
// expiry. Rotating a refresh token also retires the access token issued
// with it (Rotation.Retire, Seen.Retired): it serves requests in flight
// until the grace window ends, then dies. Nothing records which access
// token that is: a pair's access token is derived from its refresh token
// under a key of the server secret (Keyring.PairedAccessHashes), and an
// access token with a fixed lifetime carries a hint saying so
// (FixedAccess), which lets the bearer check read it without the script
// that records a sliding token's use.
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
// A writer of the store (without the server secret) can delete records but
// not extend or widen them, since they are MACed, with one bounded
// exception: what a store records of an access token beside its record
// (Seen: the Redis "seen" key, policy.go) is not MACed, because the bearer
// check rewrites it from Lua at most once per bucket. Such a writer can
// therefore keep a sliding token alive without using it, or undo the
// retirement of a rotated pair's access token, but only up to its MACed
// absolute end (AccessToken.ExpiresAt, never after its grant's expiry at
// issue), with its MACed scopes and idle timeout. Such a writer can also
// lower a grant's RefreshGen only by replacing the whole MACed grant
// record with an older copy, which at worst makes a rotated token's reuse
// look unknown (invalid_grant) instead of revoking the grant.
//
// # Access token lifetimes
//
// A Policy (policy.go) gives the access tokens of the clients a Rule
// matches either a fixed lifetime or a sliding one: valid while used at
// least once every IdleTimeout, never past MaxLifetime nor the grant's
// expiry. The built-in rule ClaudeRuleDefault covers Claude's connectors,
// whose proxy often never refreshes (issue 14). AccessToken.LiveAt is the
// one definition of liveness; stores record a sliding token's last use
// apart from its record, at most once per bucket (DefaultSlidingBucket),
// inside the one round trip of TokenStore.UseAccess, and decide by
// timestamps on their own clock, never by Redis TTLs. A long-lived access
// token is as revocable as a refresh token: RevokeGrant deletes it with
// its grant. Rotating a refresh token retires the access token issued with
// it, sliding or fixed (see Rotation above): a retired sliding token is
// never extended again.
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
// PruneClients with PruneRule.IdleBefore also deletes clients that did get
// tokens but have no live grant and no use since then.
// The per-person tools/call limit (tools.CallLimit) counts in the same
// RateLimiter.
//
// # Conditional-request cache
//
// Both stores are also a ConditionalCache (etag.go): opaque values under a
// user and an entry name, bounded in bytes per user and lapsing a TTL after
// the user's last Put, on the store's clock. upstream/github keeps GitHub's
// answers there for every replica to revalidate, sealed under keys derived
// from the person's upstream token and named by HMACs of it: the store
// sees neither whose they are nor what they hold. Redis keeps one hash per
// user (one Cluster slot), the memory store a map with insertion order.
package tokens
