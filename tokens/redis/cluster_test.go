package redis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/tokens/storetest"
)

// TestCluster runs the store on a three-master Redis Cluster: the
// conformance suite, and checks that each grant's keys share one slot
// while grants spread over the nodes, so that every script and multi-key
// read works without CROSSSLOT errors. One cluster serves every subtest;
// each store gets its own key prefix.
func TestCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	rdb := cluster.Client(t)
	cc, ok := rdb.(*goredis.ClusterClient)
	if !ok {
		t.Fatalf("cluster client is %T, want *goredis.ClusterClient", rdb)
	}
	var seq atomic.Int64
	newStore := func(t *testing.T) (*redis.Store, *storetest.Clock, string) {
		t.Helper()
		clock := storetest.NewClock()
		prefix := fmt.Sprintf("cluster%d", seq.Add(1))
		return redis.New(rdb, redis.Options{Prefix: prefix, Now: clock.Now, Keys: testKeys}), clock, prefix
	}

	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) (tokens.Store, *storetest.Clock) {
			s, clock, _ := newStore(t)
			return s, clock
		})
	})

	t.Run("GrantKeysShareOneSlot", func(t *testing.T) {
		s, clock, prefix := newStore(t)
		g, _ := populate(t, s, clock)
		grantSlot := keySlot(t, cc, prefix+":{g:"+g.ID+"}:grant")
		keys := clusterKeys(t, cc, prefix+":{g:"+g.ID+"}*")
		// grant, code, two access and two refresh tokens, the grace
		// response of the rotated one, the retired access token's seen
		// record, key set.
		if len(keys) != 9 {
			t.Fatalf("found %d keys of the grant, want 9: %v", len(keys), keys)
		}
		nodes := map[string]bool{}
		for k, node := range keys {
			if slot := keySlot(t, cc, k); slot != grantSlot {
				t.Errorf("CLUSTER KEYSLOT %s = %d, want the grant's slot %d", k, slot, grantSlot)
			}
			nodes[node] = true
		}
		if len(nodes) != 1 {
			t.Errorf("keys of one grant sit on %d nodes, want one", len(nodes))
		}
	})

	t.Run("GrantsSpreadOverNodes", func(t *testing.T) {
		s, clock, prefix := newStore(t)
		ctx := t.Context()
		owner := slotOwners(t, cc)
		// Fixed IDs make the spread deterministic: the slots of these
		// twelve grant keys fall in all three thirds of the slot range.
		nodes := map[string]int{}
		for i := range 12 {
			g := spreadGrant(clock, i)
			if err := s.CreateGrant(ctx, g); err != nil {
				t.Fatalf("CreateGrant %s: %v", g.ID, err)
			}
			key := prefix + ":{g:" + g.ID + "}:grant"
			node := owner(keySlot(t, cc, key))
			nodes[node]++
			direct := goredis.NewClient(&goredis.Options{Addr: node})
			n, err := direct.Exists(ctx, key).Result()
			direct.Close()
			if err != nil || n != 1 {
				t.Fatalf("EXISTS %s on its slot's master %s = %d, %v; want 1", key, node, n, err)
			}
		}
		if len(nodes) < 2 {
			t.Fatalf("12 grants landed on %d node(s): %v; want them spread over the cluster", len(nodes), nodes)
		}
	})

	t.Run("EveryOperationAcrossNodes", func(t *testing.T) {
		s, clock, prefix := newStore(t)
		ctx := t.Context()
		owner := slotOwners(t, cc)

		const n = 12
		grants := make([]tokens.Grant, n)
		issued := make([]tokens.Issue, n)
		nodes := map[string]bool{}
		for i := range n {
			g := spreadGrant(clock, i)
			grants[i] = g
			nodes[owner(keySlot(t, cc, prefix+":{g:"+g.ID+"}:grant"))] = true
			if err := s.CreateClient(ctx, tokens.Client{ID: g.ClientID, Name: "client " + g.ClientID, CreatedAt: clock.Now().Add(time.Duration(i) * time.Second)}); err != nil {
				t.Fatalf("CreateClient %s: %v", g.ClientID, err)
			}
			if err := s.CreateGrant(ctx, g); err != nil {
				t.Fatalf("CreateGrant %s: %v", g.ID, err)
			}

			// putCodeScript and consumeCodeScript.
			code := tokens.AuthCode{GrantID: g.ID, ClientID: g.ClientID, ExpiresAt: clock.Now().Add(10 * time.Minute)}
			if err := s.PutCode(ctx, "code", code); err != nil {
				t.Fatalf("PutCode %s: %v", g.ID, err)
			}
			if _, err := s.ConsumeCode(ctx, g.ID, "code"); err != nil {
				t.Fatalf("ConsumeCode %s: %v", g.ID, err)
			}
			if _, err := s.ConsumeCode(ctx, g.ID, "code"); !errors.Is(err, tokens.ErrCodeReused) {
				t.Fatalf("second ConsumeCode %s = %v, want ErrCodeReused", g.ID, err)
			}

			// issueScript, then the MGET of grant and token.
			first := pairOf(clock, g.ID, 1)
			if err := s.IssueTokens(ctx, g.ID, first); err != nil {
				t.Fatalf("IssueTokens %s: %v", g.ID, err)
			}
			if _, err := s.GetAccess(ctx, g.ID, first.AccessHash); err != nil {
				t.Fatalf("GetAccess %s: %v", g.ID, err)
			}

			// The refresh grant's pipeline (the client, another slot, and
			// the MGET of the grant's keys), rotateScript, then the
			// refresh reads.
			read, err := s.ReadRefresh(ctx, g.ClientID, g.ID, first.RefreshHash)
			if err != nil || read.ClientErr != nil || read.Err != nil || read.Client.ID != g.ClientID || read.Grant.ID != g.ID {
				t.Fatalf("ReadRefresh %s = client %q (%v), grant %q, token %v, %v; want all found", g.ID, read.Client.ID, read.ClientErr, read.Grant.ID, read.Err, err)
			}
			second := pairOf(clock, g.ID, 2)
			if err := s.RotateRefresh(ctx, read, tokens.Rotation{At: clock.Now(), Grace: time.Minute, GraceResponse: []byte("grace")}, second); err != nil {
				t.Fatalf("RotateRefresh %s: %v", g.ID, err)
			}
			if r, err := s.GetRefresh(ctx, g.ID, first.RefreshHash); !errors.Is(err, tokens.ErrRotated) || !bytes.Equal(r.GraceResponse, []byte("grace")) {
				t.Fatalf("GetRefresh of the rotated token %s = %+v, %v; want ErrRotated with the grace response", g.ID, r, err)
			}
			if _, err := s.GetRefresh(ctx, g.ID, second.RefreshHash); err != nil {
				t.Fatalf("GetRefresh of the new token %s: %v", g.ID, err)
			}
			issued[i] = second

			// casGrantScript.
			sealed := []byte("sealed " + g.ID)
			if err := s.SetUpstream(ctx, g.ID, sealed); err != nil {
				t.Fatalf("SetUpstream %s: %v", g.ID, err)
			}
			got, err := s.GetGrant(ctx, g.ID)
			if err != nil || !bytes.Equal(got.Upstream, sealed) {
				t.Fatalf("GetGrant %s after SetUpstream = %q, %v; want upstream %q", g.ID, got.Upstream, err, sealed)
			}
		}
		if len(nodes) < 2 {
			t.Fatalf("grants landed on %d node(s), want them spread over the cluster", len(nodes))
		}

		// The listing sets are single keys; the records they name sit in
		// many slots.
		clients, err := s.ListClients(ctx)
		if err != nil {
			t.Fatalf("ListClients: %v", err)
		}
		if got, want := clientIDsOf(clients), clientIDsOfGrants(grants); !slices.Equal(got, want) {
			t.Fatalf("ListClients = %v, want %v", got, want)
		}
		all, err := s.ListGrants(ctx, "", "")
		if err != nil {
			t.Fatalf("ListGrants: %v", err)
		}
		if got, want := grantIDsOf(all), grantIDsOf(grants); !slices.Equal(got, want) {
			t.Fatalf("ListGrants = %v, want %v", got, want)
		}
		odd, err := s.ListGrants(ctx, "github:odd", "")
		if err != nil {
			t.Fatalf("ListGrants of one user: %v", err)
		}
		var wantOdd []string
		for i, g := range grants {
			if i%2 == 1 {
				wantOdd = append(wantOdd, g.ID)
			}
		}
		if got := grantIDsOf(odd); !slices.Equal(got, wantOdd) {
			t.Fatalf("ListGrants of github:odd = %v, want %v", got, wantOdd)
		}
		byClient, err := s.ListGrants(ctx, "", grants[3].ClientID)
		if err != nil || len(byClient) != 1 || byClient[0].ID != grants[3].ID {
			t.Fatalf("ListGrants of client %s = %v, %v; want only %s", grants[3].ClientID, grantIDsOf(byClient), err, grants[3].ID)
		}

		// revokeScript on every even grant: all its keys go, on
		// whichever node they live, but its fixed access tokens and what
		// lives only for the rotation's grace window (the grace
		// response, a retired token's seen record): those lapse by their
		// TTL, unreadable without the grant. The others stay.
		for i, g := range grants {
			if i%2 == 0 {
				if err := s.RevokeGrant(ctx, g.ID); err != nil {
					t.Fatalf("RevokeGrant %s: %v", g.ID, err)
				}
			}
		}
		for i, g := range grants {
			_, err := s.GetAccess(ctx, g.ID, issued[i].AccessHash)
			left := clusterKeys(t, cc, prefix+":{g:"+g.ID+"}*")
			if i%2 == 0 {
				if !errors.Is(err, tokens.ErrNotFound) {
					t.Errorf("GetAccess of revoked grant %s = %v, want ErrNotFound", g.ID, err)
				}
				for k := range left {
					if strings.Contains(k, "}:at:") {
						continue
					}
					if ttl := cc.PTTL(ctx, k).Val(); ttl < 0 || ttl > time.Minute+time.Second {
						t.Errorf("revoked grant %s left key %s (TTL %v), which outlives the grace window", g.ID, k, ttl)
					}
				}
			} else {
				if err != nil {
					t.Errorf("GetAccess of kept grant %s: %v", g.ID, err)
				}
				if len(left) == 0 {
					t.Errorf("kept grant %s has no keys", g.ID)
				}
			}
		}
		after, err := s.ListGrants(ctx, "", "")
		if err != nil {
			t.Fatalf("ListGrants after revoking: %v", err)
		}
		if got := grantIDsOf(after); !slices.Equal(got, wantOdd) {
			t.Fatalf("ListGrants after revoking the even grants = %v, want %v", got, wantOdd)
		}

		// Clients deleted on several nodes drop out of the listing.
		for _, g := range grants[:4] {
			if err := s.DeleteClient(ctx, g.ClientID); err != nil {
				t.Fatalf("DeleteClient %s: %v", g.ClientID, err)
			}
		}
		clients, err = s.ListClients(ctx)
		if err != nil {
			t.Fatalf("ListClients after deleting: %v", err)
		}
		if got, want := clientIDsOf(clients), clientIDsOfGrants(grants[4:]); !slices.Equal(got, want) {
			t.Fatalf("ListClients after deleting four = %v, want %v", got, want)
		}

		// Records that Redis evicted (their TTL ran out) are pruned from
		// the listing sets, whichever nodes held them.
		evicted := map[string]bool{}
		for _, g := range []tokens.Grant{grants[1], grants[3], grants[5]} {
			evicted[g.ID] = true
			if err := cc.Del(ctx, prefix+":{g:"+g.ID+"}:grant").Err(); err != nil {
				t.Fatalf("DEL grant %s: %v", g.ID, err)
			}
		}
		if err := cc.Del(ctx, prefix+":client:"+grants[5].ClientID).Err(); err != nil {
			t.Fatalf("DEL client %s: %v", grants[5].ClientID, err)
		}
		var wantLive []string
		for _, id := range wantOdd {
			if !evicted[id] {
				wantLive = append(wantLive, id)
			}
		}
		live, err := s.ListGrants(ctx, "", "")
		if err != nil {
			t.Fatalf("ListGrants after eviction: %v", err)
		}
		if got := grantIDsOf(live); !slices.Equal(got, wantLive) {
			t.Fatalf("ListGrants after evicting %v = %v, want %v", evicted, got, wantLive)
		}
		indexed, err := cc.SMembers(ctx, prefix+":grants").Result()
		if err != nil {
			t.Fatalf("SMEMBERS %s:grants: %v", prefix, err)
		}
		if slices.Sort(indexed); !slices.Equal(indexed, wantLive) {
			t.Fatalf("grant index after listing = %v, want the live grants %v", indexed, wantLive)
		}
		clients, err = s.ListClients(ctx)
		if err != nil {
			t.Fatalf("ListClients after eviction: %v", err)
		}
		if got, want := clientIDsOf(clients), clientIDsOfGrants(slices.Concat(grants[4:5], grants[6:])); !slices.Equal(got, want) {
			t.Fatalf("ListClients after evicting %s = %v, want %v", grants[5].ClientID, got, want)
		}

		// Pending requests and locks on keys of several slots: GETDEL,
		// lockScript and unlockScript.
		for i := range n {
			state := fmt.Sprintf("state-%d", i)
			if err := s.PutPending(ctx, state, tokens.Pending{ClientID: grants[i].ClientID}, time.Minute); err != nil {
				t.Fatalf("PutPending %s: %v", state, err)
			}
			if p, err := s.TakePending(ctx, state); err != nil || p.ClientID != grants[i].ClientID {
				t.Fatalf("TakePending %s = %+v, %v", state, p, err)
			}
			key := fmt.Sprintf("refresh-upstream-%d", i)
			unlock, err := s.Lock(ctx, key, time.Minute)
			if err != nil {
				t.Fatalf("Lock %s: %v", key, err)
			}
			if err := unlock(ctx); err != nil {
				t.Fatalf("unlock %s: %v", key, err)
			}
		}
	})

	t.Run("CrossSlotIsRefused", func(t *testing.T) {
		// The cluster does refuse a script over two grants' keys, so the
		// scripts above passing means each stays within one slot.
		_, _, prefix := newStore(t)
		a := prefix + ":{g:" + spreadGrant(storetest.NewClock(), 0).ID + "}:grant"
		b := prefix + ":{g:" + spreadGrant(storetest.NewClock(), 1).ID + "}:grant"
		if keySlot(t, cc, a) == keySlot(t, cc, b) {
			t.Fatalf("%s and %s share a slot; pick other IDs", a, b)
		}
		err := goredis.NewScript(`return redis.call('EXISTS', KEYS[1], KEYS[2])`).Run(t.Context(), cc, []string{a, b}).Err()
		if err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
			t.Fatalf("script over keys of two grants = %v, want a CROSSSLOT error", err)
		}
	})

	t.Run("ConcurrentRotationOnCluster", func(t *testing.T) {
		// Replicas rotating one refresh token through the cluster: exactly
		// one wins.
		s, clock, _ := newStore(t)
		ctx := t.Context()
		g := spreadGrant(clock, 0)
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		first := pairOf(clock, g.ID, 0)
		if err := s.IssueTokens(ctx, g.ID, first); err != nil {
			t.Fatal(err)
		}
		const racers = 8
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				errs[i] = rotate(ctx, s, g.ID, first.RefreshHash, tokens.Rotation{At: clock.Now(), Grace: time.Minute, GraceResponse: []byte("grace")}, pairOf(clock, g.ID, i+1))
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, tokens.ErrRotated):
				t.Errorf("rotation %d: %v, want nil or ErrRotated", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d rotations won, want exactly 1", won)
		}
	})
}

// spreadGrant is grant number i with a fixed ID (so which node holds it is
// deterministic); odd grants belong to user github:odd.
func spreadGrant(clock *storetest.Clock, i int) tokens.Grant {
	user := "github:even"
	if i%2 == 1 {
		user = "github:odd"
	}
	return tokens.Grant{
		ID: fmt.Sprintf("spread-grant-%02d", i), ClientID: fmt.Sprintf("spread-client-%02d", i),
		UserID: user, Provider: "github", Subject: "1",
		Scopes: []string{"repo"}, Resource: "https://mcp.example.com/mcp", Upstream: []byte("sealed"),
		CreatedAt: clock.Now().Add(time.Duration(i) * time.Second), ExpiresAt: clock.Now().Add(24 * time.Hour),
	}
}

// pairOf is token pair number n of grant grantID.
func pairOf(clock *storetest.Clock, grantID string, n int) tokens.Issue {
	return tokens.Issue{
		AccessHash: fmt.Sprintf("at-%d", n), Access: tokens.AccessToken{GrantID: grantID, ExpiresAt: clock.Now().Add(time.Hour)},
		RefreshHash: fmt.Sprintf("rt-%d", n), Refresh: tokens.RefreshToken{GrantID: grantID, ExpiresAt: clock.Now().Add(30 * 24 * time.Hour)},
		GrantExpiresAt: clock.Now().Add(30 * 24 * time.Hour),
	}
}

// keySlot asks the cluster for key's hash slot (CLUSTER KEYSLOT).
func keySlot(t *testing.T, cc *goredis.ClusterClient, key string) int64 {
	t.Helper()
	slot, err := cc.ClusterKeySlot(t.Context(), key).Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT %s: %v", key, err)
	}
	return slot
}

// slotOwners returns a function from a slot to the address of the master
// serving it, per CLUSTER SLOTS.
func slotOwners(t *testing.T, cc *goredis.ClusterClient) func(int64) string {
	t.Helper()
	// CLUSTER SLOTS is deprecated in favour of CLUSTER SHARDS, which only
	// Redis 7 has; SLOTS answers on every version the store runs on, and
	// its addresses are the ones the client dials (clusterKeys compares
	// them).
	//lint:ignore SA1019 CLUSTER SLOTS still works on Redis 7 and older versions lack CLUSTER SHARDS
	ranges, err := cc.ClusterSlots(t.Context()).Result()
	if err != nil {
		t.Fatalf("CLUSTER SLOTS: %v", err)
	}
	return func(slot int64) string {
		t.Helper()
		for _, r := range ranges {
			if int64(r.Start) <= slot && slot <= int64(r.End) && len(r.Nodes) > 0 {
				return r.Nodes[0].Addr
			}
		}
		t.Fatalf("no master serves slot %d", slot)
		return ""
	}
}

// clusterKeys scans every master for keys matching pattern and returns
// each with the address of the master holding it.
func clusterKeys(t *testing.T, cc *goredis.ClusterClient, pattern string) map[string]string {
	t.Helper()
	var mu sync.Mutex
	keys := map[string]string{}
	err := cc.ForEachMaster(t.Context(), func(ctx context.Context, node *goredis.Client) error {
		iter := node.Scan(ctx, 0, pattern, 100).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys[iter.Val()] = node.Options().Addr
			mu.Unlock()
		}
		return iter.Err()
	})
	if err != nil {
		t.Fatalf("SCAN %s on every master: %v", pattern, err)
	}
	return keys
}

func grantIDsOf(gs []tokens.Grant) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return ids
}

func clientIDsOf(cs []tokens.Client) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func clientIDsOfGrants(gs []tokens.Grant) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ClientID
	}
	return ids
}
