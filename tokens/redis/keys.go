package redis

import "strings"

// Key layout. Every record of one grant carries the grant's hash tag
// {g:<grantID>}, so scripts that touch a grant and its codes and tokens
// address one slot, as Redis Cluster requires:
//
//	<prefix>:{g:<id>}:grant        the grant (JSON), TTL = grant expiry
//	<prefix>:{g:<id>}:code:<hash>  authorization code ("0"/"1" + JSON: live/consumed)
//	<prefix>:{g:<id>}:at:<hash>    access token (JSON)
//	<prefix>:{g:<id>}:rt:<hash>    refresh token (JSON)
//	<prefix>:{g:<id>}:keys         sorted set of the grant's code and token
//	                               keys, scored by expiry (Unix ms)
//	<prefix>:grants                set of grant IDs, for listing (best effort)
//	<prefix>:client:<id>           registration (JSON), no TTL
//	<prefix>:clients               set of client IDs, for listing
//	<prefix>:pending:<hash>        pending authorization (JSON), TTL
//	<prefix>:lock:<key>            lock: "<expiry ms>:<random>", TTL
//	<prefix>:rl:{<key>/<window ms>}:<window index>
//	                               rate limit counter, TTL (ratelimit.go)

func (s *Store) tag(grantID string) string { return s.prefix + ":{g:" + grantID + "}" }

func (s *Store) grantKey(grantID string) string { return s.tag(grantID) + ":grant" }

func (s *Store) grantSetKey(grantID string) string { return s.tag(grantID) + ":keys" }

func (s *Store) codeKey(grantID, hash string) string { return s.tag(grantID) + ":code:" + hash }

func (s *Store) accessKey(grantID, hash string) string { return s.tag(grantID) + ":at:" + hash }

func (s *Store) refreshKey(grantID, hash string) string { return s.tag(grantID) + ":rt:" + hash }

func (s *Store) grantsKey() string { return s.prefix + ":grants" }

func (s *Store) clientKey(id string) string { return s.prefix + ":client:" + id }

func (s *Store) clientsKey() string { return s.prefix + ":clients" }

func (s *Store) pendingKey(hash string) string { return s.prefix + ":pending:" + hash }

func (s *Store) lockKey(key string) string { return s.prefix + ":lock:" + key }

// validGrantID reports whether id can sit inside a hash tag: non-empty and
// without braces (which would end or restart the tag).
func validGrantID(id string) bool {
	return id != "" && !strings.ContainsAny(id, "{}")
}
