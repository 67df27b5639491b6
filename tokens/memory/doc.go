// Package memory is the in-memory tokens.Store: one process, nothing
// survives a restart. It is what mcpgate uses when no Redis URL is
// configured (a laptop, `mcpgate demo`, tests).
//
// All records sit in maps behind one mutex. Every record of a grant lives
// inside that grant's entry, so RevokeGrant (and the grant's expiry) removes
// its codes and tokens with it, as the hash-tagged Redis layout does. Grants
// are also indexed by user and by client ID, so that ListGrants with a
// filter reads only the matching grants, not all of them. Expiry
// follows the injected clock: every read checks ExpiresAt, and a sweep at
// most once a minute drops what has lapsed. Values are copied on the way in
// and out, so callers never share memory with stored records.
//
// Semantics (single-use codes with tombstones, refresh rotation as
// compare-and-set, locks that lapse) are those documented on the
// interfaces in package tokens; storetest checks them for this store and for
// the Redis one.
package memory
