// Package redis is the Redis tokens.Store, shared by every replica of
// mcpgate (standalone Redis, Sentinel or Cluster).
//
// Every record of one grant (the grant, its codes, access and refresh
// tokens, and the index of their keys) carries the grant's hash tag
// {g:<grant ID>}, so each multi-key script touches one hash slot and works
// on Redis Cluster; the key layout is in keys.go. Grant, code, token and
// grace records are MessagePack behind a MAC bound to their key (storage
// format v3, tokens/records.go; format v2, JSON, is still read), and a
// record that fails it is treated as absent and logged, so a Redis writer
// cannot extend or widen a token. Registrations are JSON. Pending sign-ins are sealed. Stores key tokens and codes by their
// keyed hash only (see tokens.Keyring), so the database holds no usable
// credential. A rotated refresh token keeps only a tombstone, for the
// grace window and a second when the token has a generation
// (tokens/generation.go; until its expiry otherwise); its grace response
// is a separate key whose TTL is the grace window, deleted when the
// successor rotates; the access token issued with it is retired then. Registrations are walked in batches with SSCAN
// (ScanClients) for pruning.
//
// Atomicity comes from Lua scripts. Records are never edited in Lua;
// instead Go reads the records, computes the new values, and a script
// writes them only if what was read is still there, or reports a conflict
// so Go reads again (compare-and-set, bounded retries).
// That makes refresh rotation exactly-once under concurrency (OAuth 2.1
// §4.3.1, RFC 9700 §4.14): of several replicas rotating one refresh token,
// one wins and the rest see ErrRotated. The refresh grant takes two round
// trips (issue 11): ReadRefresh pipelines a GET of the client (another
// slot) with the MGET of the grant, the token and its grace response, and
// RotateRefresh is one script run against what that read. Codes are
// consumed by one script that deletes the code and leaves its name in the
// grant's index until the code's expiry, so reuse is reported (RFC 6749
// §4.1.2, §10.5). Revocation is one script that deletes the grant and
// every key in its index (a sorted set of names after the hash tag, short
// enough for Redis's compact listpack, scored by expiry, from which every
// write drops the lapsed names); fixed access tokens, not indexed, and
// what lives only for a rotation's grace window lapse by their TTL,
// unreadable without the grant. Access-token reads
// (GetAccessGrant) are a single MGET of the grant, the token and its
// "seen" key; the bearer check (UseAccess) is a single script call that
// reads the same three keys and, for a sliding token still live by its
// idle window whose last recorded use is a bucket old
// (Options.SlidingBucket, one hour), rewrites "seen" keeping its TTL: one
// round trip per request, at most one write per token per bucket
// (access.go). Liveness is decided in Go from the MACed record and the
// seen time read, on the store's clock.
//
// Every key except registrations has a TTL derived from its record's
// ExpiresAt, and reads also compare ExpiresAt with the injected clock, so a
// lapsed record is gone even before Redis evicts it. Registrations are
// durable. The listing sets of clients and grants (all grants, and the
// grants of each user and of each client, so that listing one user's
// grants reads only those) live outside the hash tags and are maintained
// best effort; IDs whose records are gone are pruned when listed.
//
// Locks (the upstream refresh of one grant) are SET NX PX with a random
// value: they lapse by their Redis TTL alone, never by a replica's clock,
// and unlock deletes only the holder's own value.
//
// Errors: a missing key is tokens.ErrNotFound (and the other sentinels as
// documented); anything else is a wrapped Redis error, which handlers turn
// into 503.
package redis
