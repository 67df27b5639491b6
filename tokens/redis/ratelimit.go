package redis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/tokens"
)

var _ tokens.RateLimiter = (*Store)(nil)

// rateScript is tokens.RateDecision in Lua, applied atomically to the
// counters of the current and the previous fixed window. An admitted
// request increments the current counter, which then lives until the end of
// the next window (where it is the previous one). Both keys share a hash
// tag, so the script works on Redis Cluster.
//
// KEYS current, previous; ARGV limit, window ms, elapsed ms. Returns
// {1, 0} when admitted, {0, retry ms} when not. Lua numbers are doubles:
// exact for these integers (counts times window ms stay far below 2^53).
var rateScript = goredis.NewScript(`
local limit = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local e = tonumber(ARGV[3])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
if cur < limit and prev * (w - e) <= (limit - cur - 1) * w then
  redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], 2 * w - e)
  return {1, 0}
end
if cur >= limit then
  return {0, (w - e) + math.floor((w * (cur - limit + 1) + cur - 1) / cur)}
end
return {0, w - math.floor((limit - cur - 1) * w / prev) - e}
`)

// maxReadableRateKey bounds the rate keys kept readable in Redis key names;
// longer ones, and any with braces (which would break the hash tag), are
// replaced by their SHA-256.
const maxReadableRateKey = 128

// rateKeys are the Redis keys of key's counters for the windows index and
// index−1 of length windowMS:
//
//	<prefix>:rl:{<key>/<window ms>}:<window index>
func (s *Store) rateKeys(key string, windowMS, index int64) (cur, prev string) {
	if len(key) > maxReadableRateKey || strings.ContainsAny(key, "{}") {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:16])
	}
	base := s.prefix + ":rl:{" + key + "/" + strconv.FormatInt(windowMS, 10) + "}:"
	return base + strconv.FormatInt(index, 10), base + strconv.FormatInt(index-1, 10)
}

// Allow implements tokens.RateLimiter with the sliding window counter on
// the store's clock, shared by every replica using this Redis.
func (s *Store) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	if s.err != nil {
		return false, 0, s.err
	}
	index, elapsed, windowMS, err := tokens.RateWindow(s.now(), limit, window)
	if err != nil {
		return false, 0, err
	}
	cur, prev := s.rateKeys(key, windowMS, index)
	res, err := rateScript.Run(ctx, s.rdb, []string{cur, prev}, limit, windowMS, elapsed).Int64Slice()
	if err != nil {
		return false, 0, wrap("rate limit", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("redis store: rate limit: script returned %d values", len(res))
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Millisecond, nil
}
