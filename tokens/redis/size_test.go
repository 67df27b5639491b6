package redis_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/tokens/storetest"
)

// TestBytesPerGrant guards issue 11's storage goal: what a fresh grant
// (its record, its consumed code, its first token pair and its entries in
// the listing sets) takes of Redis memory, measured as scripts/bench
// measures it (INFO used_memory less the clients' buffers) over 1,000
// grants of one client and 64 users, with records the size mcpgate
// writes: a GitHub App user token sealed in the grant, data keys wrapped
// by real tokens. The goal is 2 KB; today's figure is about 2.1 KB (format
// v2 took 4.3 KB; README "Speed" says where the rest goes), and the
// budget, a little above it, fails on any record or key that comes back.
// The figure moves by ±64 bytes as Redis's key tables double.
func TestBytesPerGrant(t *testing.T) {
	const (
		grants = 1000
		budget = 2240
	)
	rdb, s, kr, clock, client := sizeStore(t)
	ctx := t.Context()
	signIn := func(i int) { sizeSignIn(t, s, kr, clock, client, i) }
	// A first batch, not counted, creates the users' and the client's
	// listing sets, as in scripts/bench.
	for i := range 64 {
		signIn(i)
	}
	before := dataMemory(ctx, t, rdb)
	for i := range grants {
		clock.Advance(time.Millisecond)
		signIn(i)
	}
	perGrant := (dataMemory(ctx, t, rdb) - before) / grants
	t.Logf("%d bytes per fresh grant", perGrant)
	if perGrant > budget {
		t.Errorf("a fresh grant takes %d bytes of Redis memory, want at most %d", perGrant, budget)
	}
}

// sizeStore starts a Redis store with one public client for the size
// tests.
func sizeStore(t *testing.T) (goredis.UniversalClient, *redis.Store, *tokens.Keyring, *storetest.Clock, tokens.Client) {
	t.Helper()
	rdb := redistest.Start(t).Client(t)
	clock := storetest.NewClock()
	kr := mustKeyring([]byte("size test secret, 32 bytes or more"))
	s := redis.New(rdb, redis.Options{Now: clock.Now, Keys: kr})
	client := tokens.Client{ID: tokens.NewID(), RedirectURIs: []string{"http://127.0.0.1:53682/callback"}, TokenEndpointAuthMethod: "none", CreatedAt: clock.Now()}
	if err := s.CreateClient(t.Context(), client); err != nil {
		t.Fatal(err)
	}
	return rdb, s, kr, clock, client
}

// sizeSignIn stores what the i-th sign-in of client leaves, with records
// the size mcpgate writes: a grant holding a sealed GitHub App user token,
// its consumed code and its first token pair. It returns the grant, its
// data key and the pair.
func sizeSignIn(t *testing.T, s *redis.Store, kr *tokens.Keyring, clock *storetest.Clock, client tokens.Client, i int) (tokens.Grant, tokens.DataKey, tokens.Pair) {
	t.Helper()
	ctx := t.Context()
	now := clock.Now()
	dk := tokens.NewDataKey()
	id := tokens.NewID()
	upstream := fmt.Sprintf(`{"access_token":"ghu_%036d","token_type":"bearer","refresh_token":"ghr_%076d","expiry":%q}`, i, i, now.Add(8*time.Hour).Format(time.RFC3339Nano))
	sealed, err := tokens.SealUpstream(dk, id, []byte(upstream))
	if err != nil {
		t.Fatal(err)
	}
	user := strconv.Itoa(100000 + i%64)
	g := tokens.Grant{ID: id, ClientID: client.ID, UserID: tokens.UserID("github", user), Provider: "github", Subject: user,
		Login: "bench-user-" + strconv.Itoa(i%64), Email: "bench" + strconv.Itoa(i%64) + "@example.com", EmailVerified: true, Name: "Bench User",
		Scopes: []string{"mcp:read", "mcp:write"}, Resource: "http://127.0.0.1:8080/mcp", Upstream: sealed,
		CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	if err := s.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	code := tokens.Mint(tokens.KindCode, id)
	wrapped, err := kr.WrapGrantKey(code, id, dk)
	if err != nil {
		t.Fatal(err)
	}
	ac := tokens.AuthCode{GrantID: id, ClientID: client.ID, RedirectURI: client.RedirectURIs[0], CodeChallenge: strings.Repeat("c", 43),
		Resource: g.Resource, Scopes: g.Scopes, WrappedKey: wrapped, ExpiresAt: now.Add(10 * time.Minute)}
	if err := s.PutCode(ctx, kr.Hash(code), ac); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeCode(ctx, id, kr.Hash(code)); err != nil {
		t.Fatal(err)
	}
	pair, err := kr.MintPair(sizePairSpec(g, dk, now))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.IssueTokens(ctx, id, pair.Issue); err != nil {
		t.Fatal(err)
	}
	return g, dk, pair
}

func sizePairSpec(g tokens.Grant, dk tokens.DataKey, now time.Time) tokens.PairSpec {
	return tokens.PairSpec{Grant: g, ClientID: g.ClientID, AccessScopes: g.Scopes, RefreshScopes: g.Scopes,
		Resource: g.Resource, Key: dk, Now: now, AccessTTL: time.Hour, RefreshTTL: 30 * 24 * time.Hour}
}

// TestBytesAfterRefreshes guards the other half of issue 11's storage
// goal: a grant refreshed 1,000 times takes at most 3 KB once the last
// grace window has passed, since a rotated token's tombstone and the
// access token issued with it lapse with the grace window (reuse is then
// recognised by generation, tokens/generation.go) and leave the grant's
// key index. The rotations use no grace window, so their leftovers lapse
// within a second of real time (Redis TTLs); the sealed grace answer of
// each rotation is stored and withdrawn as mcpgate does. One grant's
// bytes are too few for INFO's used_memory, which moves by kilobytes with
// the connections' buffers and the Lua heap, so they are the sum of
// MEMORY USAGE over its keys, and DBSIZE shows that nothing else stayed.
func TestBytesAfterRefreshes(t *testing.T) {
	const (
		refreshes = 1000
		budget    = 3072
	)
	rdb, s, kr, clock, client := sizeStore(t) // TTLs are relative: Redis expires by its own clock
	ctx := t.Context()
	g, dk, pair := sizeSignIn(t, s, kr, clock, client, 0)
	fresh, freshKeys := grantMemory(ctx, t, rdb, g.ID)
	dbsize := rdb.DBSize(ctx).Val()
	for i := range refreshes {
		read, err := s.ReadRefresh(ctx, "", g.ID, pair.Issue.RefreshHash)
		if err != nil || read.Err != nil {
			t.Fatalf("refresh %d: ReadRefresh: %v, %v", i, err, read.Err)
		}
		next, err := kr.MintPair(sizePairSpec(read.Grant, dk, clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		grace, err := kr.SealGrace(pair.Refresh, g.ID, []byte(`{"access_token":"`+next.Access+`","refresh_token":"`+next.Refresh+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		rot := tokens.Rotation{At: clock.Now(), GraceResponse: grace, Retire: kr.PairedAccessHashes(pair.Refresh, pair.Issue.RefreshHash)}
		if err := s.RotateRefresh(ctx, read, rot, next.Issue); err != nil {
			t.Fatalf("refresh %d: RotateRefresh: %v", i, err)
		}
		pair = next
	}
	time.Sleep(1100 * time.Millisecond) // the tombstones' second past the (empty) grace window
	expireLapsed(ctx, t, rdb)
	after, afterKeys := grantMemory(ctx, t, rdb, g.ID)
	t.Logf("one grant: %d bytes in %d keys fresh, %d bytes in %d keys after %d refreshes", fresh, freshKeys, after, afterKeys, refreshes)
	if after > budget {
		t.Errorf("a grant refreshed %d times takes %d bytes of Redis memory, want at most %d", refreshes, after, budget)
	}
	if n := rdb.DBSize(ctx).Val(); n != dbsize {
		t.Errorf("Redis holds %d keys after the refreshes, %d before", n, dbsize)
	}
	if _, err := s.GetRefresh(ctx, g.ID, pair.Issue.RefreshHash); err != nil {
		t.Fatalf("the latest refresh token: %v", err)
	}
}

// grantMemory sums MEMORY USAGE over the keys of one grant (its hash tag).
func grantMemory(ctx context.Context, t *testing.T, rdb goredis.UniversalClient, grantID string) (bytes int64, keys int) {
	t.Helper()
	iter := rdb.Scan(ctx, 0, "*{g:"+grantID+"}*", 1000).Iterator()
	for iter.Next(ctx) {
		n, err := rdb.MemoryUsage(ctx, iter.Val(), 0).Result()
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %v", iter.Val(), err)
		}
		bytes += n
		keys++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return bytes, keys
}

// expireLapsed makes Redis drop every key whose TTL has passed: a SCAN
// visits each key, and a visited lapsed key is deleted.
func expireLapsed(ctx context.Context, t *testing.T, rdb goredis.UniversalClient) {
	t.Helper()
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, "*", 1000).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			rdb.Exists(ctx, k) // a read expires a lapsed key
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}

// dataMemory is Redis's used_memory less its clients' buffers.
func dataMemory(ctx context.Context, t *testing.T, rdb goredis.UniversalClient) int64 {
	t.Helper()
	info, err := rdb.InfoMap(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	used, err1 := strconv.ParseInt(info["Memory"]["used_memory"], 10, 64)
	clients, err2 := strconv.ParseInt(info["Memory"]["mem_clients_normal"], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("INFO memory: %v", info)
	}
	return used - clients
}
