package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/tokens/storetest"
)

// TestRedis runs everything against one redis-server; each store gets its
// own key prefix so stores never see each other's keys.
func TestRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	var seq atomic.Int64
	newStore := func(t *testing.T) (*redis.Store, *storetest.Clock, string) {
		t.Helper()
		clock := storetest.NewClock()
		prefix := fmt.Sprintf("test%d", seq.Add(1))
		return redis.New(rdb, redis.Options{Prefix: prefix, Now: clock.Now, Keys: testKeys}), clock, prefix
	}

	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) (tokens.Store, *storetest.Clock) {
			s, clock, _ := newStore(t)
			return s, clock
		})
	})
	t.Run("ListGrantsReadsOnlyMatching", func(t *testing.T) { testListGrantsReadsOnlyMatching(t, srv, newStore) })
	t.Run("GrantIndexesFollowRevocation", func(t *testing.T) { testGrantIndexesFollowRevocation(t, srv, newStore) })
	t.Run("GrantKeysShareHashTag", func(t *testing.T) {
		s, clock, prefix := newStore(t)
		g, _ := populate(t, s, clock)
		keys := scanKeys(t, rdb, prefix+":{g:"+g.ID+"}*")
		if len(keys) < 5 {
			t.Fatalf("found %d keys of the grant, want grant, code, access, refresh and set: %v", len(keys), keys)
		}
		for _, k := range keys {
			if tag := hashTag(k); tag != "g:"+g.ID {
				t.Errorf("key %q has hash tag %q, want %q", k, tag, "g:"+g.ID)
			}
		}
		// Keys outside the grant never carry its tag.
		for _, k := range scanKeys(t, rdb, prefix+":*") {
			if strings.Contains(k, g.ID) != strings.Contains(k, "{g:"+g.ID+"}") && !strings.Contains(k, ":client:") {
				t.Errorf("key %q names the grant outside its hash tag", k)
			}
		}
	})
	t.Run("EveryGrantKeyHasTTL", func(t *testing.T) {
		s, clock, prefix := newStore(t)
		populate(t, s, clock)
		keys := scanKeys(t, rdb, prefix+":*")
		for _, k := range keys {
			ttl, err := rdb.PTTL(t.Context(), k).Result()
			if err != nil {
				t.Fatalf("PTTL %s: %v", k, err)
			}
			durable := strings.HasSuffix(k, ":grants") || strings.Contains(k, ":grants:") || strings.HasSuffix(k, ":clients") || strings.Contains(k, ":client:")
			switch {
			case durable && ttl >= 0:
				t.Errorf("key %q has TTL %v, want none (durable)", k, ttl)
			case !durable && ttl < 0:
				t.Errorf("key %q has no TTL", k)
			}
		}
	})
	t.Run("TTLsFollowExpiresAt", func(t *testing.T) {
		s, clock, prefix := newStore(t)
		g, is := populate(t, s, clock)
		tests := []struct {
			key  string
			want time.Duration
		}{
			{prefix + ":{g:" + g.ID + "}:grant", is.GrantExpiresAt.Sub(clock.Now())},
			{prefix + ":{g:" + g.ID + "}:at:" + is.AccessHash, is.Access.ExpiresAt.Sub(clock.Now())},
			{prefix + ":{g:" + g.ID + "}:rt:" + is.RefreshHash, is.Refresh.ExpiresAt.Sub(clock.Now())},
			{prefix + ":{g:" + g.ID + "}:keys", is.Refresh.ExpiresAt.Sub(clock.Now())},
		}
		for _, tc := range tests {
			ttl, err := rdb.PTTL(t.Context(), tc.key).Result()
			if err != nil {
				t.Fatalf("PTTL %s: %v", tc.key, err)
			}
			// Real time passes while the test runs; allow a minute of it.
			if ttl > tc.want || ttl < tc.want-time.Minute {
				t.Errorf("TTL of %s = %v, want about %v", tc.key, ttl, tc.want)
			}
		}
	})
	t.Run("NoTokenStringsStored", func(t *testing.T) {
		s, clock, prefix := newStore(t)
		kr, err := tokens.NewKeyring([]byte("redis test secret of at least 32 bytes"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		g := grant(clock)
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		code := tokens.Mint(tokens.KindCode, g.ID)
		access := tokens.Mint(tokens.KindAccess, g.ID)
		refresh := tokens.Mint(tokens.KindRefresh, g.ID)
		secret := tokens.Mint(tokens.KindClientSecret, "")
		if err := s.CreateClient(ctx, tokens.Client{ID: g.ClientID, SecretHash: kr.Hash(secret), CreatedAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutCode(ctx, kr.Hash(code), tokens.AuthCode{GrantID: g.ID, ExpiresAt: clock.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		is := tokens.Issue{
			AccessHash: kr.Hash(access), Access: tokens.AccessToken{GrantID: g.ID, ExpiresAt: clock.Now().Add(time.Hour)},
			RefreshHash: kr.Hash(refresh), Refresh: tokens.RefreshToken{GrantID: g.ID, ExpiresAt: clock.Now().Add(time.Hour)},
			GrantExpiresAt: clock.Now().Add(time.Hour),
		}
		if err := s.IssueTokens(ctx, g.ID, is); err != nil {
			t.Fatal(err)
		}
		var dump strings.Builder
		for _, k := range scanKeys(t, rdb, prefix+":*") {
			dump.WriteString(k + "\n")
			switch typ := rdb.Type(ctx, k).Val(); typ {
			case "string":
				dump.WriteString(rdb.Get(ctx, k).Val() + "\n")
			case "set":
				dump.WriteString(strings.Join(rdb.SMembers(ctx, k).Val(), "\n") + "\n")
			case "zset":
				dump.WriteString(strings.Join(rdb.ZRange(ctx, k, 0, -1).Val(), "\n") + "\n")
			default:
				t.Fatalf("unexpected key type %s of %s", typ, k)
			}
		}
		for _, tok := range []string{code, access, refresh, secret} {
			secretPart := tok[strings.LastIndex(tok, "_")+1:]
			if strings.Contains(dump.String(), secretPart) {
				t.Errorf("Redis holds the secret part of a token (%s...)", tok[:11])
			}
			if !strings.Contains(dump.String(), kr.Hash(tok)) && !strings.HasPrefix(tok, "mcpgate_cs_") {
				t.Errorf("Redis does not hold the hash of a %s token", tok[8:10])
			}
		}
	})
	t.Run("GrantKeyIndexStaysBounded", func(t *testing.T) {
		// A grant kept alive by refreshes must not accumulate the names of
		// its lapsed codes and tokens in its key index forever.
		s, clock, prefix := newStore(t)
		ctx := t.Context()
		g := grant(clock)
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		pair := func(n int) tokens.Issue {
			return tokens.Issue{
				AccessHash: fmt.Sprintf("at-%d", n), Access: tokens.AccessToken{GrantID: g.ID, ExpiresAt: clock.Now().Add(time.Hour)},
				RefreshHash: fmt.Sprintf("rt-%d", n), Refresh: tokens.RefreshToken{GrantID: g.ID, ExpiresAt: clock.Now().Add(3 * time.Hour)},
				GrantExpiresAt: clock.Now().Add(3 * time.Hour),
			}
		}
		if err := s.PutCode(ctx, "code", tokens.AuthCode{GrantID: g.ID, ExpiresAt: clock.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		prev := pair(0)
		if err := s.IssueTokens(ctx, g.ID, prev); err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 50; n++ {
			clock.Advance(2 * time.Hour)
			next := pair(n)
			if err := rotate(ctx, s, g.ID, prev.RefreshHash, tokens.Rotation{At: clock.Now(), Grace: time.Minute, GraceResponse: []byte("grace")}, next); err != nil {
				t.Fatalf("rotation %d: %v", n, err)
			}
			prev = next
		}
		// Live now: the last access and refresh token and the refresh
		// token they replaced (rotated, kept for reuse detection), and its
		// grace response (in its window).
		k := prefix + ":{g:" + g.ID + "}:keys"
		var members int64
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "set":
			members = rdb.SCard(ctx, k).Val()
		case "zset":
			members = rdb.ZCard(ctx, k).Val()
		default:
			t.Fatalf("key index %s has type %q", k, typ)
		}
		if members > 4 {
			t.Errorf("key index holds %d names after 50 rotations, want at most the 4 live keys", members)
		}
		if enc := rdb.ObjectEncoding(ctx, k).Val(); enc != "listpack" && enc != "ziplist" {
			t.Errorf("key index %s is encoded as %s, want a compact listpack (names of at most 64 bytes)", k, enc)
		}
		if err := s.RevokeGrant(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{prev.AccessHash, prev.RefreshHash} {
			if _, err := s.GetAccess(ctx, g.ID, h); !errors.Is(err, tokens.ErrNotFound) {
				t.Errorf("GetAccess after revoke = %v, want ErrNotFound", err)
			}
		}
		// The index and the live refresh token are gone (access tokens
		// are not indexed: they lapse by their TTL, unreadable without the
		// grant; names pruned from the index had lapsed already).
		if n := len(scanKeys(t, rdb, k)) + len(scanKeys(t, rdb, prefix+":{g:"+g.ID+"}:rt:"+prev.RefreshHash)); n != 0 {
			t.Errorf("%d live keys of the grant remain after revoke", n)
		}
	})
	t.Run("InvalidPrefix", func(t *testing.T) {
		s := redis.New(rdb, redis.Options{Prefix: "bad{prefix}"})
		if err := s.Ping(t.Context()); err == nil || !strings.Contains(err.Error(), "prefix") {
			t.Fatalf("Ping with a brace in the prefix = %v, want an error naming the prefix", err)
		}
		if _, err := redis.NewFromURL(srv.URL, redis.Options{Prefix: "{x}"}); err == nil {
			t.Fatal("NewFromURL accepted a brace in the prefix")
		}
	})
	t.Run("NewFromURL", func(t *testing.T) {
		s, err := redis.NewFromURL(srv.URL, redis.Options{Prefix: "fromurl", Keys: testKeys})
		if err != nil {
			t.Fatalf("NewFromURL: %v", err)
		}
		defer s.Close()
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		_, err = redis.NewFromURL("http://user:hunter2@example.com", redis.Options{})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("NewFromURL with a bad URL = %v, want an error without the URL", err)
		}
	})
	t.Run("StoreDownIsNotASentinel", func(t *testing.T) {
		// A store whose Redis is unreachable must fail with an error that
		// is none of the sentinels (handlers answer 503, not 400/404).
		down := redistest.Start(t)
		c := down.Client(t)
		s := redis.New(c, redis.Options{Keys: testKeys})
		s2 := redis.New(down.Client(t), redis.Options{Keys: testKeys})
		down.Stop(t)
		// Every operation, on its own client (whose pool the dial errors
		// disable for a while) and context (the dial retries take time).
		octx := t.Context()
		id := tokens.NewID()
		is := tokens.Issue{AccessHash: "a", RefreshHash: "r", GrantExpiresAt: time.Now().Add(time.Hour)}
		ops := []struct {
			name string
			call func() error
		}{
			{"CreateClient", func() error { return s2.CreateClient(octx, tokens.Client{ID: id}) }},
			{"GetClient", func() error { _, err := s2.GetClient(octx, id); return err }},
			{"DeleteClient", func() error { return s2.DeleteClient(octx, id) }},
			{"ListClients", func() error { _, err := s2.ListClients(octx); return err }},
			{"TouchClient", func() error { return s2.TouchClient(octx, id, time.Now()) }},
			{"CountClients", func() error { _, err := s2.CountClients(octx); return err }},
			{"PutPending", func() error { return s2.PutPending(octx, "h", tokens.Pending{}, time.Minute) }},
			{"TakePending", func() error { _, err := s2.TakePending(octx, "h"); return err }},
			{"CreateGrant", func() error { return s2.CreateGrant(octx, tokens.Grant{ID: id, ExpiresAt: time.Now().Add(time.Hour)}) }},
			{"GetGrant", func() error { _, err := s2.GetGrant(octx, id); return err }},
			{"SetUpstream", func() error { return s2.SetUpstream(octx, id, []byte("x")) }},
			{"RevokeGrant", func() error { return s2.RevokeGrant(octx, id) }},
			{"ListGrants", func() error { _, err := s2.ListGrants(octx, "", ""); return err }},
			{"PutCode", func() error {
				return s2.PutCode(octx, "h", tokens.AuthCode{GrantID: id, ExpiresAt: time.Now().Add(time.Minute)})
			}},
			{"ConsumeCode", func() error { _, err := s2.ConsumeCode(octx, id, "h"); return err }},
			{"IssueTokens", func() error { return s2.IssueTokens(octx, id, is) }},
			{"GetRefresh", func() error { _, err := s2.GetRefresh(octx, id, "h"); return err }},
			{"ReadRefresh", func() error { _, err := s2.ReadRefresh(octx, "client", id, "h"); return err }},
			{"Allow", func() error { _, _, err := s2.Allow(octx, "k", 1, time.Second); return err }},
		}
		for _, op := range ops {
			err := op.call()
			if err == nil {
				t.Errorf("%s with Redis down succeeded", op.name)
				continue
			}
			for _, sentinel := range []error{tokens.ErrNotFound, tokens.ErrRotated, tokens.ErrCodeReused, tokens.ErrLocked, tokens.ErrAlreadyExists} {
				if errors.Is(err, sentinel) {
					t.Errorf("%s with Redis down = %v, which is %v", op.name, err, sentinel)
				}
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		_, err := s.GetAccess(ctx, tokens.NewID(), "hash")
		if err == nil {
			t.Fatal("GetAccess with Redis down succeeded")
		}
		for _, sentinel := range []error{tokens.ErrNotFound, tokens.ErrRotated, tokens.ErrCodeReused, tokens.ErrLocked, tokens.ErrAlreadyExists} {
			if errors.Is(err, sentinel) {
				t.Fatalf("GetAccess with Redis down = %v, which is %v", err, sentinel)
			}
		}
		if err := s.Ping(ctx); err == nil {
			t.Fatal("Ping with Redis down succeeded")
		}
		down.Restart(t)
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping after Redis came back: %v", err)
		}
	})
}

func grant(clock *storetest.Clock) tokens.Grant {
	return tokens.Grant{
		ID: tokens.NewID(), ClientID: tokens.NewID(), UserID: "github:1", Provider: "github", Subject: "1",
		Scopes: []string{"repo"}, Resource: "https://mcp.example.com/mcp", Upstream: []byte("sealed"),
		CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(24 * time.Hour),
	}
}

// populate stores a client, a grant, a code, a token pair (rotated once) and
// a pending request.
func populate(t *testing.T, s *redis.Store, clock *storetest.Clock) (tokens.Grant, tokens.Issue) {
	t.Helper()
	ctx := t.Context()
	g := grant(clock)
	if err := s.CreateClient(ctx, tokens.Client{ID: g.ClientID, CreatedAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCode(ctx, "code-hash", tokens.AuthCode{GrantID: g.ID, ExpiresAt: clock.Now().Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPending(ctx, "state-hash", tokens.Pending{ClientID: g.ClientID}, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	issue := func(n int) tokens.Issue {
		return tokens.Issue{
			AccessHash: fmt.Sprintf("at-hash-%d", n), Access: tokens.AccessToken{GrantID: g.ID, ExpiresAt: clock.Now().Add(time.Hour)},
			RefreshHash: fmt.Sprintf("rt-hash-%d", n), Refresh: tokens.RefreshToken{GrantID: g.ID, ExpiresAt: clock.Now().Add(30 * 24 * time.Hour)},
			GrantExpiresAt: clock.Now().Add(30 * 24 * time.Hour),
		}
	}
	first := issue(1)
	if err := s.IssueTokens(ctx, g.ID, first); err != nil {
		t.Fatal(err)
	}
	second := issue(2)
	rot := tokens.Rotation{At: clock.Now(), Grace: time.Minute, GraceResponse: []byte("grace"), Retire: []string{first.AccessHash}}
	if err := rotate(ctx, s, g.ID, first.RefreshHash, rot, second); err != nil {
		t.Fatal(err)
	}
	return g, second
}

func scanKeys(t *testing.T, rdb goredis.UniversalClient, pattern string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(t.Context(), 0, pattern, 100).Iterator()
	for iter.Next(t.Context()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN %s: %v", pattern, err)
	}
	return keys
}

// hashTag is the part of key that Redis Cluster hashes: the text between
// the first '{' and the next '}', if non-empty; else the whole key.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

// rotate is ReadRefresh then RotateRefresh of what it read, as the token
// endpoint rotates.
func rotate(ctx context.Context, s *redis.Store, grantID, hash string, rot tokens.Rotation, next tokens.Issue) error {
	read, err := s.ReadRefresh(ctx, "", grantID, hash)
	if err != nil {
		return err
	}
	return s.RotateRefresh(ctx, read, rot, next)
}
