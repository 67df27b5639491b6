package redis

import (
	"context"
	"errors"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/tokens"
)

var _ tokens.ConditionalCache = (*Store)(nil)

// The conditional cache (tokens.ConditionalCache) keeps one hash per user,
//
//	<prefix>:etag:{<user>}  entry → sealed value, "#bytes" → total size,
//	                        "#exp" → lapse time (store clock, Unix ms)
//
// which lives ttl after the user's last Put (PEXPIRE, and "#exp" for the
// store's clock). Entry names are hex, so they never collide with the
// "#" fields. One key per user keeps every operation on one slot of a
// Cluster.

// etagPutScript stores one entry and bounds the user's total: when it
// exceeds the bound, other entries are dropped in the hash's own order
// (Redis does not keep insertion order) until it does not.
//
// KEYS the user's hash; ARGV entry, value, now ms, lapse ms, ttl ms, max
// bytes.
var etagPutScript = goredis.NewScript(`
local k = KEYS[1]
local entry = ARGV[1]
local now = tonumber(ARGV[3])
local exp = tonumber(redis.call('HGET', k, '#exp') or '0')
if exp <= now then
  redis.call('DEL', k)
end
local old = redis.call('HSTRLEN', k, entry)
local add = string.len(ARGV[2]) + string.len(entry)
if old > 0 then
  add = string.len(ARGV[2]) - old
end
redis.call('HSET', k, entry, ARGV[2])
local size = redis.call('HINCRBY', k, '#bytes', add)
local max = tonumber(ARGV[6])
if size > max then
  for _, f in ipairs(redis.call('HKEYS', k)) do
    if size <= max then break end
    if f ~= entry and string.sub(f, 1, 1) ~= '#' then
      size = size - redis.call('HSTRLEN', k, f) - string.len(f)
      redis.call('HDEL', k, f)
    end
  end
  redis.call('HSET', k, '#bytes', size)
end
redis.call('HSET', k, '#exp', ARGV[4])
redis.call('PEXPIRE', k, ARGV[5])
return size
`)

func (s *Store) etagKey(user string) string { return s.prefix + ":etag:{" + user + "}" }

// GetETag implements tokens.ConditionalCache.
func (s *Store) GetETag(ctx context.Context, user, entry string) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := tokens.CheckCacheNames(user, entry); err != nil {
		return nil, err
	}
	vals, err := s.rdb.HMGet(ctx, s.etagKey(user), entry, "#exp").Result()
	if err != nil {
		return nil, wrap("conditional cache get", err)
	}
	value, ok1 := vals[0].(string)
	expRaw, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return nil, nil
	}
	exp, err := strconv.ParseInt(expRaw, 10, 64)
	if err != nil || !s.now().Before(time.UnixMilli(exp)) {
		return nil, nil
	}
	return []byte(value), nil
}

// PutETag implements tokens.ConditionalCache.
func (s *Store) PutETag(ctx context.Context, user, entry string, value []byte, ttl time.Duration, maxBytes int) error {
	if s.err != nil {
		return s.err
	}
	if err := tokens.CheckCacheEntry(user, entry, value, ttl, maxBytes); err != nil {
		return err
	}
	now := s.now()
	exp := now.Add(ttl)
	err := etagPutScript.Run(ctx, s.rdb, []string{s.etagKey(user)},
		entry, value, now.UnixMilli(), exp.UnixMilli(), ttlMillis(exp, now), maxBytes).Err()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return wrap("conditional cache put", err)
	}
	return nil
}
