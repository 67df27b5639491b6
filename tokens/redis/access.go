package redis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/tokens"
)

// The access token read path, and the sliding expiry of issue 14.
//
// A sliding access token (AccessToken.IdleTimeout > 0) has a companion key
//
//	<prefix>:{g:<id>}:seen:<hash>  "<last use, Unix ms> <idle timeout, ms>",
//	                               TTL = the token's ExpiresAt, in the
//	                               grant's key index
//
// written with the token (by issueScript or rotateScript, scripts.go),
// retired by the rotation of the refresh token issued with it (a third
// field "r<end>": it dies when the grace window ends, tokens.Seen.Retired,
// and is never extended again; a fixed token gets a seen key only then),
// and rewritten, at most once per bucket,
// by the bearer check (useAccessScript). It is not MACed: the liveness
// decision takes the idle timeout from the MACed record and only the last
// use from this key, so a Redis writer can keep a token alive up to its
// MACed ExpiresAt, never past it (tokens/doc.go, threat notes).

func (s *Store) seenKey(grantID, hash string) string { return s.tag(grantID) + ":seen:" + hash }

// useAccessScript: KEYS grant, access token, seen; ARGV now (Unix ms),
// bucket (ms). Returns {grant, access token, seen, written}: the three
// values as they were (false for a missing key) and 1 if it rewrote
// "seen". It rewrites "seen" (keeping its TTL) only when the token is
// still live by the idle window recorded there and the last write is at
// least a bucket old: one write per token per bucket, and a token that
// died of idleness is never revived. The Go side decides liveness (from
// the MACed record and the seen value read).
var useAccessScript = goredis.NewScript(`
local g = redis.call('GET', KEYS[1])
local a = redis.call('GET', KEYS[2])
local seen = redis.call('GET', KEYS[3])
if not g or not a or not seen then return {g, a, seen, 0} end
local last, idle = string.match(seen, '^(%d+) (%d+)$')
if not last then return {g, a, seen, 0} end
local now, l = tonumber(ARGV[1]), tonumber(last)
if now < l + tonumber(idle) and now - l >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[3], ARGV[1] .. ' ' .. idle, 'KEEPTTL')
  return {g, a, seen, 1}
end
return {g, a, seen, 0}
`)

// firstSeen is the "seen" value the issue and rotate scripts write with a
// sliding access token (its use starts at issue), "" for a fixed one.
func firstSeen(a tokens.AccessToken, now time.Time) string {
	if a.IdleTimeout <= 0 {
		return ""
	}
	return seenValue(now, a.IdleTimeout)
}

func seenValue(at time.Time, idle time.Duration) string {
	return strconv.FormatInt(at.UnixMilli(), 10) + " " + strconv.FormatInt(idle.Milliseconds(), 10)
}

// parseSeen reads a "seen" value: "<last> <idle>", then " r<end>" once
// retired (" r" alone, from before retirements named their end, keeps
// last moved back so that last + idle is the end). A missing or malformed
// one is the zero Seen (a sliding token without it is dead).
func parseSeen(v any) tokens.Seen {
	str, ok := v.(string)
	if !ok {
		return tokens.Seen{}
	}
	f := strings.Fields(str)
	if len(f) < 2 {
		return tokens.Seen{}
	}
	last, err1 := strconv.ParseInt(f[0], 10, 64)
	idle, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || last < 0 || idle < 0 {
		return tokens.Seen{}
	}
	var seen tokens.Seen
	if last > 0 {
		seen.Last = time.UnixMilli(last)
	}
	if len(f) < 3 {
		return seen
	}
	end, err := strconv.ParseInt(strings.TrimPrefix(f[2], "r"), 10, 64)
	switch {
	case f[2] == "r":
		seen.Retired = time.UnixMilli(last + idle)
	case !strings.HasPrefix(f[2], "r") || err != nil || end <= 0:
		return tokens.Seen{} // malformed: dead, never revived
	default:
		seen.Retired = time.UnixMilli(end)
	}
	return seen
}

// GetAccess returns a live access token of a live grant: one MGET of the
// grant, the token and its "seen" (same slot).
func (s *Store) GetAccess(ctx context.Context, grantID, accessHash string) (tokens.AccessToken, error) {
	a, _, err := s.GetAccessGrant(ctx, grantID, accessHash)
	return a, err
}

// GetAccessGrant returns a live access token and its live grant, both from
// the one MGET that GetAccess does. It records no use.
func (s *Store) GetAccessGrant(ctx context.Context, grantID, accessHash string) (tokens.AccessToken, tokens.Grant, error) {
	if s.err != nil {
		return tokens.AccessToken{}, tokens.Grant{}, s.err
	}
	if !validGrantID(grantID) {
		return tokens.AccessToken{}, tokens.Grant{}, tokens.ErrNotFound
	}
	now := s.now()
	vals, err := mget(ctx, s.rdb, "get access token", s.grantKey(grantID), s.accessKey(grantID, accessHash), s.seenKey(grantID, accessHash))
	if err != nil {
		return tokens.AccessToken{}, tokens.Grant{}, err
	}
	return s.decodeAccess(grantID, accessHash, vals, now)
}

// UseAccess is GetAccessGrant that also records the use of a sliding
// token, at most once per bucket: one script call (useAccessScript).
func (s *Store) UseAccess(ctx context.Context, grantID, accessHash string) (tokens.AccessUse, error) {
	if s.err != nil {
		return tokens.AccessUse{}, s.err
	}
	if !validGrantID(grantID) {
		return tokens.AccessUse{}, tokens.ErrNotFound
	}
	now := s.now()
	keys := []string{s.grantKey(grantID), s.accessKey(grantID, accessHash), s.seenKey(grantID, accessHash)}
	vals, err := useAccessScript.Run(ctx, s.rdb, keys, now.UnixMilli(), s.bucket.Milliseconds()).Slice()
	if err != nil {
		return tokens.AccessUse{}, wrap("use access token", err)
	}
	if len(vals) != 4 {
		return tokens.AccessUse{}, fmt.Errorf("redis store: use access token: script returned %d values", len(vals))
	}
	a, g, err := s.decodeAccess(grantID, accessHash, vals[:3], now)
	if err != nil {
		return tokens.AccessUse{}, err
	}
	written, _ := vals[3].(int64)
	return tokens.AccessUse{Access: a, Grant: g, Extended: written == 1 && a.IdleTimeout > 0}, nil
}

// decodeAccess decodes the grant, access token and "seen" values read
// together and applies AccessToken.LiveAt.
func (s *Store) decodeAccess(grantID, accessHash string, vals []any, now time.Time) (tokens.AccessToken, tokens.Grant, error) {
	graw, gok := vals[0].(string)
	araw, aok := vals[1].(string)
	if !gok || !aok {
		return tokens.AccessToken{}, tokens.Grant{}, tokens.ErrNotFound
	}
	g, err := s.decodeGrant(grantID, graw, now)
	if err != nil {
		return tokens.AccessToken{}, tokens.Grant{}, err
	}
	var a tokens.AccessToken
	if err := s.decodeRecord(s.accessKey(grantID, accessHash), "access token", araw, &a); err != nil {
		return tokens.AccessToken{}, tokens.Grant{}, err
	}
	a.ClientID, a.UserID = g.ClientID, g.UserID // not stored (format v3): the grant's
	if !a.LiveAt(parseSeen(vals[2]), now) {
		return tokens.AccessToken{}, tokens.Grant{}, tokens.ErrNotFound
	}
	return a, g, nil
}
