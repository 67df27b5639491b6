package redis

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Key layout. Every record of one grant carries the grant's hash tag
// {g:<grantID>}, so scripts that touch a grant and its codes and tokens
// address one slot, as Redis Cluster requires:
//
//	<prefix>:{g:<id>}:grant        the grant (record, tokens/records.go), TTL = grant expiry
//	<prefix>:{g:<id>}:code:<hash>  live authorization code ("0" + record); deleted once consumed
//	<prefix>:{g:<id>}:at:<hash>    access token (record)
//	<prefix>:{g:<id>}:rt:<hash>    refresh token (record); a tombstone once rotated
//	<prefix>:{g:<id>}:grace:<hash> grace response of rotated refresh token
//	                               <hash> (sealed), TTL = the grace window
//	<prefix>:{g:<id>}:seen:<hash>  what is recorded of an access token beside
//	                               its record (access.go)
//	<prefix>:{g:<id>}:keys         sorted set of the grant's code, refresh
//	                               token and sliding access token keys,
//	                               named after the hash tag ("rt:<hash>"),
//	                               scored by expiry (Unix ms): what
//	                               RevokeGrant deletes. A consumed code's
//	                               name stays as its tombstone. Not in it:
//	                               fixed access tokens, which lapse within
//	                               their lifetime (an hour by default), and
//	                               what lives only for a rotation's grace
//	                               window (grace responses, the tombstone
//	                               of a token with a generation, a retired
//	                               access token); no read finds one
//	                               without its grant.
//	<prefix>:grants                set of grant IDs, for listing (best effort)
//	<prefix>:grants:user:<sha256>  set of the IDs of one user's grants (best
//	                               effort); the hex SHA-256 of the user ID
//	<prefix>:grants:client:<sha256>
//	                               set of the IDs of one client's grants
//	                               (best effort); hex SHA-256 of the client ID
//	<prefix>:client:<id>           registration (JSON), no TTL
//	<prefix>:clients               set of client IDs, for listing
//	<prefix>:pending:<hash>        pending authorization (JSON), TTL
//	<prefix>:lock:<key>            lock: the holder's random value, TTL
//	<prefix>:rl:{<key>/<window ms>}:<window index>
//	                               rate limit counter, TTL (ratelimit.go)

func (s *Store) tag(grantID string) string { return s.prefix + ":{g:" + grantID + "}" }

func (s *Store) grantKey(grantID string) string { return s.tag(grantID) + ":grant" }

func (s *Store) grantSetKey(grantID string) string { return s.tag(grantID) + ":keys" }

func (s *Store) codeKey(grantID, hash string) string { return s.tag(grantID) + ":code:" + hash }

func (s *Store) accessKey(grantID, hash string) string { return s.tag(grantID) + ":at:" + hash }

func (s *Store) refreshKey(grantID, hash string) string { return s.tag(grantID) + ":rt:" + hash }

func (s *Store) graceKey(grantID, hash string) string { return s.tag(grantID) + ":grace:" + hash }

func (s *Store) grantsKey() string { return s.prefix + ":grants" }

// userGrantsKey and clientGrantsKey name the per-user and per-client
// listing sets. The IDs are hashed: user IDs come from identity providers
// and may hold any character, braces included, which must not form a hash
// tag; the sets are cross-slot anyway, like the global one.
func (s *Store) userGrantsKey(userID string) string {
	return s.prefix + ":grants:user:" + hashID(userID)
}

func (s *Store) clientGrantsKey(clientID string) string {
	return s.prefix + ":grants:client:" + hashID(clientID)
}

func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

func (s *Store) clientKey(id string) string { return s.prefix + ":client:" + id }

func (s *Store) clientsKey() string { return s.prefix + ":clients" }

func (s *Store) pendingKey(hash string) string { return s.prefix + ":pending:" + hash }

func (s *Store) lockKey(key string) string { return s.prefix + ":lock:" + key }

// validGrantID reports whether id can sit inside a hash tag: non-empty and
// without braces (which would end or restart the tag).
func validGrantID(id string) bool {
	return id != "" && !strings.ContainsAny(id, "{}")
}
