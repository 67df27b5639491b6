package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
)

// Issue 10 item 1, end to end on Redis: once a refresh token is rotated,
// its record in Redis holds no wrapped data key (so the server secret, a
// copy of Redis and the old token open nothing), its grace response lives
// no longer than the grace window, and it goes as soon as the successor is
// used.
func TestRotatedRefreshOnRedisOpensNothing(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client(t)
	const grace = 30 * time.Second
	s := newTestServer(t, func(c *Config) {
		c.RefreshGrace = grace
		c.Store = tokensredis.New(rs.Client(t), tokensredis.Options{Prefix: "rot", Now: c.Now, Keys: c.Keys})
	})
	c := s.register(authMethodNone, "http://localhost:9999/cb")
	first := s.tokenPair(c)
	_, grantID, err := tokens.Parse(first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	var second tokenResponse
	decodeJSON(t, s.refresh(c, first.RefreshToken), &second)
	if second.RefreshToken == "" {
		t.Fatal("the first refresh returned no refresh token")
	}
	ctx := context.Background()
	tag := "rot:{g:" + grantID + "}"
	oldKey := tag + ":rt:" + s.keys.Hash(first.RefreshToken)
	graceKey := tag + ":grace:" + s.keys.Hash(first.RefreshToken)

	// The tombstone opens nothing, whatever the clock says.
	rt, err := storedRefresh(rdb, s.keys, "rot", oldKey)
	if err != nil {
		t.Fatalf("rotated record %s: %v", oldKey, err)
	}
	if len(rt.WrappedKey) != 0 || len(rt.GraceResponse) != 0 || len(rt.Scopes) != 0 || rt.Resource != "" {
		t.Errorf("rotated record keeps more than a tombstone: %+v", rt)
	}
	if _, err := s.keys.UnwrapGrantKey(first.RefreshToken, grantID, rt.WrappedKey); !errors.Is(err, tokens.ErrSealBroken) {
		t.Errorf("the old refresh token unwraps a data key from its rotated record: %v", err)
	}
	// The grace response expires with the grace window.
	if ttl := rdb.PTTL(ctx, graceKey).Val(); ttl <= 0 || ttl > grace {
		t.Errorf("grace response %s has TTL %v, want at most the grace window %v", graceKey, ttl, grace)
	}
	// Using the successor withdraws the old token's grace response.
	s.clock.Advance(time.Second)
	if resp := s.refresh(c, second.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("refreshing the successor: %d %s", resp.StatusCode, readBody(t, resp))
	}
	if n := rdb.Exists(ctx, graceKey).Val(); n != 0 {
		t.Errorf("the old token's grace response %s survives the successor's rotation", graceKey)
	}
	s.clock.Advance(grace)
	for _, key := range redisKeys(t, rdb, tag+":*") {
		if strings.Contains(key, ":rt:") {
			r, err := storedRefresh(rdb, s.keys, "rot", key)
			if err != nil {
				continue
			}
			if _, err := s.keys.UnwrapGrantKey(first.RefreshToken, grantID, r.WrappedKey); err == nil {
				t.Errorf("the old refresh token opens the data key in %s", key)
			}
		}
	}
}

// storedRefresh reads the refresh token record under key as the Redis
// store (key prefix prefix) keeps it: MACed under its name, in the format
// it was written in.
func storedRefresh(rdb goredis.UniversalClient, keys *tokens.Keyring, prefix, key string) (tokens.RefreshToken, error) {
	var r tokens.RefreshToken
	v, err := rdb.Get(context.Background(), key).Result()
	if err != nil {
		return r, err
	}
	body, format, err := keys.VerifyRecord(strings.TrimPrefix(key, prefix+":"), []byte(v))
	if err != nil {
		return r, err
	}
	err = tokens.DecodeRecord(format, body, &r)
	return r, err
}

func redisKeys(t *testing.T, rdb goredis.UniversalClient, pattern string) []string {
	t.Helper()
	keys, err := rdb.Keys(context.Background(), pattern).Result()
	if err != nil {
		t.Fatalf("KEYS %s: %v", pattern, err)
	}
	return keys
}

// Issue 10 item 2: inside the grace window, an old refresh token whose
// successor has itself been used no longer gets the successor pair; that
// use is reuse and revokes the grant.
func TestRefreshGraceEndsOnceSuccessorIsUsed(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.RefreshGrace = 30 * time.Second })
	c := s.register(authMethodNone, "http://localhost:9999/cb")
	first := s.tokenPair(c)
	var second, third tokenResponse
	decodeJSON(t, s.refresh(c, first.RefreshToken), &second)
	s.clock.Advance(time.Second)
	decodeJSON(t, s.refresh(c, second.RefreshToken), &third)
	if third.AccessToken == "" {
		t.Fatal("refreshing the successor returned no tokens")
	}
	s.clock.Advance(time.Second) // still inside the first token's grace window
	e := wantOAuthError(t, s.refresh(c, first.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
	if !strings.Contains(e.ErrorDescription, "reuse") {
		t.Errorf("description %q, want reuse detection", e.ErrorDescription)
	}
	if _, err := s.accessRecord(third.AccessToken); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("the latest access token is alive after reuse: %v", err)
	}
}

// Issue 10 item 5: with NoRefreshGrace (what tokens.refresh_grace: 0
// becomes) a rotated refresh token presented again is reuse at once.
func TestRefreshWithoutGraceIsReuseAtOnce(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.RefreshGrace = NoRefreshGrace })
	c := s.register(authMethodNone, "http://localhost:9999/cb")
	first := s.tokenPair(c)
	var second tokenResponse
	decodeJSON(t, s.refresh(c, first.RefreshToken), &second)
	if second.RefreshToken == "" {
		t.Fatal("refresh returned no refresh token")
	}
	e := wantOAuthError(t, s.refresh(c, first.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
	if !strings.Contains(e.ErrorDescription, "reuse") {
		t.Errorf("description %q, want reuse detection", e.ErrorDescription)
	}
}
