package memory

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/storetest"
)

// TestSweepDropsExpired checks that lapsed records leave memory, not only
// that reads refuse them.
func TestSweepDropsExpired(t *testing.T) {
	clock := storetest.NewClock()
	s := New(clock.Now)
	ctx := t.Context()
	now := clock.Now()

	live := tokens.Grant{ID: tokens.NewID(), UserID: "github:1", ClientID: "c1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	lapsing := tokens.Grant{ID: tokens.NewID(), UserID: "github:2", ClientID: "c2", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	for _, g := range []tokens.Grant{live, lapsing} {
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutCode(ctx, "code", tokens.AuthCode{GrantID: live.ID, ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.IssueTokens(ctx, live.ID, tokens.Issue{
		AccessHash: "at", Access: tokens.AccessToken{ExpiresAt: now.Add(time.Minute)},
		RefreshHash: "rt", Refresh: tokens.RefreshToken{ExpiresAt: now.Add(time.Hour)},
		GrantExpiresAt: now.Add(time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPending(ctx, "state", tokens.Pending{}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(ctx, "k", time.Minute); err != nil {
		t.Fatal(err)
	}

	clock.Advance(2 * time.Minute)
	if _, err := s.GetGrant(ctx, live.ID); err != nil {
		t.Fatal(err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grants[live.ID]
	switch {
	case len(s.grants) != 1 || g == nil:
		t.Fatalf("%d grants kept, want only the live one", len(s.grants))
	case len(g.codes) != 0 || len(g.access) != 0 || len(g.refresh) != 1:
		t.Fatalf("kept %d codes, %d access, %d refresh tokens; want 0, 0, 1", len(g.codes), len(g.access), len(g.refresh))
	case len(s.byUser) != 1 || len(s.byUser[live.UserID]) != 1 || len(s.byClient) != 1 || len(s.byClient[live.ClientID]) != 1:
		t.Fatalf("grant indexes after sweep: by user %v, by client %v; want only the live grant's", s.byUser, s.byClient)
	case len(s.pending) != 0 || len(s.locks) != 0:
		t.Fatalf("kept %d pending and %d locks, want none", len(s.pending), len(s.locks))
	}
}

// TestSweepDropsIdleSlidingTokens: a sliding access token left idle leaves
// memory at the next sweep, long before its absolute end.
func TestSweepDropsIdleSlidingTokens(t *testing.T) {
	clock := storetest.NewClock()
	s := New(clock.Now)
	ctx := t.Context()
	now := clock.Now()
	g := tokens.Grant{ID: tokens.NewID(), UserID: "github:1", ClientID: "c1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := s.IssueTokens(ctx, g.ID, tokens.Issue{
		AccessHash: "at", Access: tokens.AccessToken{ExpiresAt: now.Add(30 * 24 * time.Hour), IdleTimeout: 24 * time.Hour},
		RefreshHash: "rt", Refresh: tokens.RefreshToken{ExpiresAt: now.Add(30 * 24 * time.Hour)},
		GrantExpiresAt: now.Add(30 * 24 * time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(25 * time.Hour)
	if _, err := s.GetGrant(ctx, g.ID); err != nil { // any call sweeps
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, m := len(s.grants[g.ID].access), len(s.grants[g.ID].seen); n != 0 || m != 0 {
		t.Errorf("after the idle window: %d access tokens, %d seen entries; want none", n, m)
	}
}
