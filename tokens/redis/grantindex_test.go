package redis_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/tokens/storetest"
)

// newStoreFunc makes a store with its own key prefix on the test server.
type newStoreFunc func(t *testing.T) (*redis.Store, *storetest.Clock, string)

// grantReads is a go-redis hook that records the grant keys read with GET,
// alone or in pipelines.
type grantReads struct {
	mu   sync.Mutex
	keys []string
}

func (h *grantReads) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *grantReads) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.record(cmd)
		return next(ctx, cmd)
	}
}

func (h *grantReads) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, cmd := range cmds {
			h.record(cmd)
		}
		return next(ctx, cmds)
	}
}

func (h *grantReads) record(cmd goredis.Cmder) {
	args := cmd.Args()
	if strings.EqualFold(cmd.Name(), "get") && len(args) == 2 {
		if k, ok := args[1].(string); ok && strings.HasSuffix(k, ":grant") {
			h.mu.Lock()
			h.keys = append(h.keys, k)
			h.mu.Unlock()
		}
	}
}

// take returns the keys read since the last call, sorted.
func (h *grantReads) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	keys := h.keys
	h.keys = nil
	slices.Sort(keys)
	return keys
}

func sha(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// testListGrantsReadsOnlyMatching checks that listing one user's (or one
// client's) grants reads only those grant records: the GETs it sends name
// only them, and a corrupt record of another user's grant does not affect
// it (while the unfiltered listing, which must read it, fails).
func testListGrantsReadsOnlyMatching(t *testing.T, srv *redistest.Server, newStore newStoreFunc) {
	s, clock, prefix := newStore(t)
	ctx := t.Context()
	reads := &grantReads{}
	hooked := srv.Client(t)
	hooked.AddHook(reads)
	hs := redis.New(hooked, redis.Options{Prefix: prefix, Now: clock.Now, Keys: testKeys})
	// A fresh deployment: the first filtered listing finds no earlier
	// grants to index.
	if _, err := hs.ListGrants(ctx, "github:nobody", ""); err != nil {
		t.Fatal(err)
	}

	mk := func(user, client string) tokens.Grant {
		t.Helper()
		clock.Advance(time.Second)
		g := grant(clock)
		g.UserID, g.ClientID = user, client
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	mine := []tokens.Grant{mk("github:me", "client-a"), mk("github:me", "client-b")}
	other := mk("github:other", "client-c")
	for range 20 {
		mk("github:someone", "client-d")
	}
	grantKey := func(g tokens.Grant) string { return prefix + ":{g:" + g.ID + "}:grant" }
	// Corrupt but correctly MACed (a record that fails its MAC is skipped
	// as forged, see records_test.go): decoding it fails.
	corrupt := testKeys.MACRecord(strings.TrimPrefix(grantKey(other), prefix+":"), []byte("not json"))
	if err := rdb(t, srv).Set(ctx, grantKey(other), corrupt, goredis.KeepTTL).Err(); err != nil {
		t.Fatal(err)
	}

	// read: the grants of the user, else of the client, filtered after.
	tests := []struct {
		user, client string
		want, read   []tokens.Grant
	}{
		{"github:me", "", mine, mine},
		{"github:me", "client-b", mine[1:], mine},
		{"", "client-a", mine[:1], mine[:1]},
		{"github:nobody", "", nil, nil},
	}
	for _, tc := range tests {
		list, err := hs.ListGrants(ctx, tc.user, tc.client)
		if err != nil {
			t.Fatalf("ListGrants(%q, %q): %v", tc.user, tc.client, err)
		}
		var wantIDs, wantKeys []string
		for _, g := range tc.want {
			wantIDs = append(wantIDs, g.ID)
		}
		for _, g := range tc.read {
			wantKeys = append(wantKeys, grantKey(g))
		}
		slices.Sort(wantKeys)
		if got := grantIDsOf(list); !slices.Equal(got, wantIDs) {
			t.Errorf("ListGrants(%q, %q) = %v, want %v", tc.user, tc.client, got, wantIDs)
		}
		if got := reads.take(); !slices.Equal(got, wantKeys) {
			t.Errorf("ListGrants(%q, %q) read grant records %v, want only %v", tc.user, tc.client, got, wantKeys)
		}
	}
	if _, err := hs.ListGrants(ctx, "", ""); err == nil {
		t.Error("ListGrants of all grants ignored a corrupt grant record; the test above proves nothing")
	}
	if got := reads.take(); len(got) != 23 {
		t.Errorf("ListGrants of all grants read %d grant records, want all 23", len(got))
	}
}

// testGrantIndexesFollowRevocation checks that RevokeGrant removes the
// grant from its user's and client's sets at once (not only when listed),
// and that a listing prunes IDs whose grant vanished without a revocation.
func testGrantIndexesFollowRevocation(t *testing.T, srv *redistest.Server, newStore newStoreFunc) {
	s, clock, prefix := newStore(t)
	ctx := t.Context()
	c := rdb(t, srv)
	g := grant(clock)
	if err := s.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	sets := []string{prefix + ":grants", prefix + ":grants:user:" + sha(g.UserID), prefix + ":grants:client:" + sha(g.ClientID)}
	for _, k := range sets {
		if !c.SIsMember(ctx, k, g.ID).Val() {
			t.Errorf("created grant is not in %s", k)
		}
	}
	if err := s.RevokeGrant(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	for _, k := range sets {
		if c.SIsMember(ctx, k, g.ID).Val() {
			t.Errorf("revoked grant is still in %s", k)
		}
	}

	// A grant whose record lapsed (here: deleted behind the store's back)
	// is pruned from the set a listing reads.
	vanished := grant(clock)
	if err := s.CreateGrant(ctx, vanished); err != nil {
		t.Fatal(err)
	}
	if err := c.Del(ctx, prefix+":{g:"+vanished.ID+"}:grant").Err(); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListGrants(ctx, vanished.UserID, "")
	if err != nil || len(list) != 0 {
		t.Fatalf("ListGrants of a vanished grant's user = %v, %v; want none", grantIDsOf(list), err)
	}
	if c.SIsMember(ctx, sets[1], vanished.ID).Val() {
		t.Error("listing did not prune a vanished grant from the user's set")
	}
}

// rdb is a plain client of srv for inspecting and altering keys.
func rdb(t *testing.T, srv *redistest.Server) goredis.UniversalClient {
	t.Helper()
	return srv.Client(t)
}
