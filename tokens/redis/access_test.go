package redis_test

import (
	"context"
	"errors"
	"strconv"
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

// commandLog is a go-redis hook that records the names of the commands
// sent, alone or in pipelines.
type commandLog struct {
	mu    sync.Mutex
	names []string
}

func (h *commandLog) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *commandLog) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.mu.Lock()
		h.names = append(h.names, strings.ToLower(cmd.Name()))
		h.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (h *commandLog) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.mu.Lock()
		for _, cmd := range cmds {
			h.names = append(h.names, strings.ToLower(cmd.Name()))
		}
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (h *commandLog) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.names
	h.names = nil
	return n
}

// slidingFixture stores a grant with a sliding access token (idle one day,
// absolute end two days) on a store whose commands are logged.
type slidingFixture struct {
	s      *redis.Store
	rdb    goredis.UniversalClient
	clock  *storetest.Clock
	log    *commandLog
	g      tokens.Grant
	is     tokens.Issue
	seenAt string // the raw key of the token's "seen"
}

func newSlidingFixture(t *testing.T, srv *redistest.Server, prefix string) *slidingFixture {
	t.Helper()
	clock := storetest.NewClock()
	log := &commandLog{}
	rdb := srv.Client(t)
	rdb.AddHook(log)
	s := redis.New(rdb, redis.Options{Prefix: prefix, Now: clock.Now, Keys: testKeys})
	g := grant(clock)
	if err := s.CreateGrant(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	hash := testKeys.Hash(tokens.Mint(tokens.KindAccess, g.ID))
	is := tokens.Issue{
		AccessHash: hash,
		Access: tokens.AccessToken{GrantID: g.ID, ClientID: g.ClientID, UserID: g.UserID, Scopes: []string{"repo"},
			Resource: g.Resource, WrappedKey: []byte("k"), ExpiresAt: clock.Now().Add(48 * time.Hour), IdleTimeout: 24 * time.Hour},
		RefreshHash:    testKeys.Hash(tokens.Mint(tokens.KindRefresh, g.ID)),
		Refresh:        tokens.RefreshToken{GrantID: g.ID, ClientID: g.ClientID, ExpiresAt: clock.Now().Add(30 * 24 * time.Hour)},
		GrantExpiresAt: clock.Now().Add(30 * 24 * time.Hour),
	}
	if err := s.IssueTokens(t.Context(), g.ID, is); err != nil {
		t.Fatal(err)
	}
	log.take()
	return &slidingFixture{s: s, rdb: rdb, clock: clock, log: log, g: g, is: is,
		seenAt: prefix + ":{g:" + g.ID + "}:seen:" + hash}
}

func (f *slidingFixture) use(t *testing.T) (tokens.AccessUse, error) {
	t.Helper()
	return f.s.UseAccess(t.Context(), f.g.ID, f.is.AccessHash)
}

// TestRedisSlidingAccess checks what the conformance suite cannot see:
// the one round trip, the bucketed writes in Redis itself, the "seen" key
// going with its grant, and what a writer of Redis can and cannot do with
// it.
func TestRedisSlidingAccess(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()

	t.Run("OneRoundTripOneWritePerBucket", func(t *testing.T) {
		f := newSlidingFixture(t, srv, "slide1")
		if _, err := f.use(t); err != nil { // loads the script
			t.Fatal(err)
		}
		seen0 := f.rdb.Get(ctx, f.seenAt).Val()
		f.log.take()
		for i := range 12 {
			f.clock.Advance(10 * time.Minute)
			if _, err := f.use(t); err != nil {
				t.Fatal(err)
			}
			if got := f.log.take(); len(got) != 1 || got[0] != "evalsha" {
				t.Fatalf("use %d sent %v, want one EVALSHA", i, got)
			}
			seen := f.rdb.Get(ctx, f.seenAt).Val()
			f.log.take()
			wantChanged := i == 5 || i == 11 // 60 and 120 minutes
			if (seen != seen0) != wantChanged {
				t.Fatalf("use %d (minute %d): seen %q, before %q; want it rewritten only once an hour", i, (i+1)*10, seen, seen0)
			}
			seen0 = seen
		}
		if ttl := f.rdb.PTTL(ctx, f.seenAt).Val(); ttl <= 0 || ttl > 48*time.Hour {
			t.Errorf("seen TTL %s, want the token's (KEEPTTL)", ttl)
		}
	})

	t.Run("SeenGoesWithTheGrant", func(t *testing.T) {
		f := newSlidingFixture(t, srv, "slide2")
		if err := f.s.RevokeGrant(ctx, f.g.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.rdb.Exists(ctx, f.seenAt).Val(); n != 0 {
			t.Error("the seen key outlived RevokeGrant")
		}
	})

	t.Run("AWriterCannotPassTheAbsoluteEnd", func(t *testing.T) {
		f := newSlidingFixture(t, srv, "slide3")
		future := strconv.FormatInt(f.clock.Now().Add(1000*time.Hour).UnixMilli(), 10)
		f.rdb.Set(ctx, f.seenAt, future+" 360000000000", goredis.KeepTTL)
		f.clock.Advance(47 * time.Hour)
		if _, err := f.use(t); err != nil {
			t.Fatalf("with a forged seen, before the absolute end: %v (a writer may keep it alive that long)", err)
		}
		f.clock.Advance(time.Hour)
		if _, err := f.use(t); !errors.Is(err, tokens.ErrNotFound) {
			t.Fatalf("past the MACed absolute end: %v, want ErrNotFound", err)
		}
	})

	t.Run("MissingOrMalformedSeenIsDead", func(t *testing.T) {
		for _, v := range []string{"", "garbage", "12 x", "-5 100"} {
			f := newSlidingFixture(t, srv, "slide4")
			if v == "" {
				f.rdb.Del(ctx, f.seenAt)
			} else {
				f.rdb.Set(ctx, f.seenAt, v, goredis.KeepTTL)
			}
			if _, err := f.use(t); !errors.Is(err, tokens.ErrNotFound) {
				t.Errorf("seen %q: %v, want ErrNotFound", v, err)
			}
			if v != "" && f.rdb.Get(ctx, f.seenAt).Val() != v {
				t.Errorf("seen %q was rewritten", v)
			}
		}
	})

	t.Run("FixedTokensKeepTheirReadAndWriteNothing", func(t *testing.T) {
		f := newSlidingFixture(t, srv, "slide5")
		g := grant(f.clock)
		if err := f.s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		is := f.is
		is.AccessHash = testKeys.Hash(tokens.Mint(tokens.KindAccess, g.ID))
		is.RefreshHash = testKeys.Hash(tokens.Mint(tokens.KindRefresh, g.ID))
		is.Access.GrantID, is.Refresh.GrantID = g.ID, g.ID
		is.Access.IdleTimeout = 0
		is.Access.ExpiresAt = f.clock.Now().Add(time.Hour)
		if err := f.s.IssueTokens(ctx, g.ID, is); err != nil {
			t.Fatal(err)
		}
		if n := f.rdb.Exists(ctx, "slide5:{g:"+g.ID+"}:seen:"+is.AccessHash).Val(); n != 0 {
			t.Error("a fixed token got a seen key")
		}
		f.log.take()
		if _, _, err := f.s.GetAccessGrant(ctx, g.ID, is.AccessHash); err != nil {
			t.Fatal(err)
		}
		if got := f.log.take(); len(got) != 1 || got[0] != "mget" {
			t.Errorf("GetAccessGrant sent %v, want one MGET", got)
		}
	})
}
