package redis_test

import (
	"context"
	"fmt"
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

// roundTrips counts what the client sends Redis: one round trip per
// command processed alone and one per pipeline, with the commands.
type roundTrips struct {
	mu       sync.Mutex
	trips    int
	commands []string
}

func (h *roundTrips) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *roundTrips) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		h.add(cmd)
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.add(cmds...)
		return next(ctx, cmds)
	}
}

func (h *roundTrips) add(cmds ...goredis.Cmder) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.trips++
	for _, c := range cmds {
		h.commands = append(h.commands, strings.ToUpper(c.Name()))
	}
}

// take returns the round trips and commands since the last call.
func (h *roundTrips) take() (int, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, cmds := h.trips, h.commands
	h.trips, h.commands = 0, nil
	return n, cmds
}

// TestRefreshRoundTrips holds issue 11's goal for the refresh grant on
// Redis: ReadRefresh is one round trip (a pipeline of the client's GET and
// the grant's MGET) and RotateRefresh one more (one EVALSHA), for the
// first refresh of a grant and for later ones; a third round trip fails.
func TestRefreshRoundTrips(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	trips := &roundTrips{}
	rdb.AddHook(trips)
	clock := storetest.NewClock()
	s := redis.New(rdb, redis.Options{Prefix: "trips", Now: clock.Now, Keys: testKeys})
	ctx := t.Context()
	g := grant(clock)
	if err := s.CreateClient(ctx, tokens.Client{ID: g.ClientID, CreatedAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	pair := func(n int) tokens.Issue {
		return tokens.Issue{
			AccessHash: fmt.Sprintf("at-%d", n), Access: tokens.AccessToken{GrantID: g.ID, ExpiresAt: clock.Now().Add(time.Hour)},
			RefreshHash: fmt.Sprintf("rt-%d", n), Refresh: tokens.RefreshToken{GrantID: g.ID, ClientID: g.ClientID, ExpiresAt: clock.Now().Add(30 * 24 * time.Hour)},
			GrantExpiresAt: clock.Now().Add(30 * 24 * time.Hour),
		}
	}
	prev := pair(0)
	if err := s.IssueTokens(ctx, g.ID, prev); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		clock.Advance(time.Minute)
		trips.take()
		read, err := s.ReadRefresh(ctx, g.ClientID, g.ID, prev.RefreshHash)
		if err != nil || read.ClientErr != nil || read.Err != nil {
			t.Fatalf("refresh %d: ReadRefresh = client %v, token %v, %v", n, read.ClientErr, read.Err, err)
		}
		if got, cmds := trips.take(); got != 1 || strings.Join(cmds, " ") != "GET MGET" {
			t.Errorf("refresh %d: ReadRefresh took %d round trips %v, want 1: GET MGET", n, got, cmds)
		}
		next := pair(n)
		err = s.RotateRefresh(ctx, read, tokens.Rotation{At: clock.Now(), Grace: time.Minute, GraceResponse: []byte("grace")}, next)
		if err != nil {
			t.Fatalf("refresh %d: RotateRefresh: %v", n, err)
		}
		// The first rotation on a fresh Redis also loads the script
		// (go-redis sends EVAL after EVALSHA's NOSCRIPT), as a server's
		// first rotation does once.
		got, cmds := trips.take()
		if n > 1 && (got != 1 || strings.Join(cmds, " ") != "EVALSHA") {
			t.Errorf("refresh %d: RotateRefresh took %d round trips %v, want 1: EVALSHA", n, got, cmds)
		}
		prev = next
	}
}
