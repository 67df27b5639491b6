package redis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/tokens/storetest"
)

// TestRateLimitKeys: counters expire by themselves (within two windows),
// keep readable keys readable, hash the rest, and the two windows of one
// key share a hash tag that no key's braces can break.
func TestRateLimitKeys(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	clock := storetest.NewClock()
	s := redis.New(rdb, redis.Options{Prefix: "rltest", Now: clock.Now, Keys: testKeys})
	for _, key := range []string{"token:client:abc", "{evil}" + strings.Repeat("x", 300)} {
		if ok, _, err := s.Allow(t.Context(), key, 5, time.Minute); err != nil || !ok {
			t.Fatalf("Allow(%q) = %v, %v", key, ok, err)
		}
	}
	clock.Advance(time.Minute) // the next window: its counter shares the tag
	if ok, _, err := s.Allow(t.Context(), "token:client:abc", 5, time.Minute); err != nil || !ok {
		t.Fatalf("Allow in the next window = %v, %v", ok, err)
	}
	keys := scanKeys(t, rdb, "rltest:rl:*")
	if len(keys) != 3 {
		t.Fatalf("rate limit keys %q, want 3", keys)
	}
	tags := map[string]int{}
	for _, k := range keys {
		tag := hashTag(k)
		tags[tag]++
		switch {
		case strings.HasPrefix(tag, "token:client:abc/60000"):
		case strings.HasPrefix(tag, "sha256:") && strings.HasSuffix(tag, "/60000"):
		default:
			t.Errorf("key %q has hash tag %q", k, tag)
		}
		ttl, err := rdb.PTTL(t.Context(), k).Result()
		if err != nil || ttl <= 0 || ttl > 2*time.Minute {
			t.Errorf("key %q PTTL %s (%v), want at most two windows", k, ttl, err)
		}
	}
	if tags["token:client:abc/60000"] != 2 {
		t.Errorf("the two windows of one key do not share a hash tag: %v", tags)
	}
}
