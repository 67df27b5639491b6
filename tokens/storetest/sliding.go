package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// Sliding access tokens (issue 14): TokenStore.UseAccess with
// tokens.AccessToken.IdleTimeout. The stores run with the default bucket,
// tokens.DefaultSlidingBucket (one hour).

// slidingCases are the conformance cases of sliding expiry; Run appends
// them to its list.
var slidingCases = []struct {
	name string
	fn   func(*testing.T, *fixture)
}{
	{"SlidingLivesWithDailyUse", testSlidingLivesWithDailyUse},
	{"SlidingDiesWhenIdle", testSlidingDiesWhenIdle},
	{"SlidingWritesOncePerBucket", testSlidingWritesOncePerBucket},
	{"SlidingNeverPastExpiresAt", testSlidingNeverPastExpiresAt},
	{"SlidingDiesWithRevokeGrant", testSlidingDiesWithRevokeGrant},
	{"SlidingAfterRotation", testSlidingAfterRotation},
	{"FixedTokenIsNeverExtended", testFixedTokenIsNeverExtended},
	{"PruneIdleClients", testPruneIdleClients},
}

// slidingIssue is f.issue with a sliding access token: idle timeout idle,
// absolute end after life, and the grant extended to thirty days.
func (f *fixture) slidingIssue(g tokens.Grant, idle, life time.Duration) tokens.Issue {
	is := f.issue(g)
	is.Access.IdleTimeout = idle
	is.Access.ExpiresAt = f.now().Add(life)
	return is
}

func (f *fixture) slidingIssued(t *testing.T, g tokens.Grant, idle, life time.Duration) tokens.Issue {
	t.Helper()
	is := f.slidingIssue(g, idle, life)
	if err := f.s.IssueTokens(f.ctx, g.ID, is); err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	return is
}

// use calls UseAccess and fails the test on an unexpected error.
func (f *fixture) use(t *testing.T, what string, grantID, hash string, want error) tokens.AccessUse {
	t.Helper()
	u, err := f.s.UseAccess(f.ctx, grantID, hash)
	wantErr(t, what, err, want)
	return u
}

func testSlidingLivesWithDailyUse(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.slidingIssued(t, g, 24*time.Hour, 30*24*time.Hour)
	u := f.use(t, "UseAccess at issue", g.ID, is.AccessHash, nil)
	same(t, "UseAccess access", u.Access, is.Access)
	if u.Grant.ID != g.ID {
		t.Fatalf("UseAccess grant = %q, want %q", u.Grant.ID, g.ID)
	}
	if u.Extended {
		t.Error("UseAccess right after issue extended the token; the issue is its first recorded use")
	}
	// Three days (and more) of one use a day, each 23 hours after the
	// last: every use finds the token live and extends it.
	for day := 1; day <= 5; day++ {
		f.clock.Advance(23 * time.Hour)
		u := f.use(t, "UseAccess on a daily use", g.ID, is.AccessHash, nil)
		if !u.Extended {
			t.Fatalf("day %d: UseAccess did not extend the token", day)
		}
		_, err := f.s.GetAccess(f.ctx, g.ID, is.AccessHash)
		wantErr(t, "GetAccess on a daily use", err, nil)
	}
}

func testSlidingDiesWhenIdle(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.slidingIssued(t, g, 24*time.Hour, 30*24*time.Hour)
	f.clock.Advance(10 * time.Hour)
	f.use(t, "UseAccess after 10h", g.ID, is.AccessHash, nil)
	// The idle window runs from the last recorded use (10h after issue).
	f.clock.Advance(24*time.Hour - time.Millisecond)
	f.use(t, "UseAccess just inside the idle window", g.ID, is.AccessHash, nil)
	f.clock.Advance(24 * time.Hour)
	f.use(t, "UseAccess after a full idle day", g.ID, is.AccessHash, tokens.ErrNotFound)
	_, err := f.s.GetAccess(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccess after a full idle day", err, tokens.ErrNotFound)
	// A dead token stays dead: the refused use recorded nothing.
	f.clock.Advance(time.Minute)
	f.use(t, "UseAccess once more", g.ID, is.AccessHash, tokens.ErrNotFound)
	// The grant itself lives on (the client may refresh).
	_, err = f.s.GetRefresh(f.ctx, g.ID, is.RefreshHash)
	wantErr(t, "GetRefresh of the idle token's grant", err, nil)
}

func testSlidingWritesOncePerBucket(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.slidingIssued(t, g, 24*time.Hour, 30*24*time.Hour)
	// Used every ten minutes for three hours: written at 60, 120 and 180
	// minutes only.
	writes := 0
	for range 18 {
		f.clock.Advance(10 * time.Minute)
		if f.use(t, "UseAccess", g.ID, is.AccessHash, nil).Extended {
			writes++
		}
	}
	if writes != 3 {
		t.Fatalf("%d recorded uses in three hours of use every ten minutes, want 3 (one per hour)", writes)
	}
	// GetAccessGrant reads without recording: a token only read for a
	// day dies.
	f.clock.Advance(23 * time.Hour)
	_, _, err := f.s.GetAccessGrant(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccessGrant before the idle end", err, nil)
	f.clock.Advance(time.Hour)
	_, _, err = f.s.GetAccessGrant(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccessGrant after the idle end", err, tokens.ErrNotFound)
}

func testSlidingNeverPastExpiresAt(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.slidingIssued(t, g, 24*time.Hour, 48*time.Hour)
	for range 3 {
		f.clock.Advance(12 * time.Hour)
		f.use(t, "UseAccess before the absolute end", g.ID, is.AccessHash, nil)
	}
	f.clock.Advance(12 * time.Hour) // 48h: the absolute end
	f.use(t, "UseAccess at the absolute end", g.ID, is.AccessHash, tokens.ErrNotFound)
}

func testSlidingDiesWithRevokeGrant(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.slidingIssued(t, g, 24*time.Hour, 30*24*time.Hour)
	f.clock.Advance(2 * time.Hour)
	f.use(t, "UseAccess before revocation", g.ID, is.AccessHash, nil)
	wantErr(t, "RevokeGrant", f.s.RevokeGrant(f.ctx, g.ID), nil)
	f.use(t, "UseAccess after revocation", g.ID, is.AccessHash, tokens.ErrNotFound)
	_, err := f.s.GetAccess(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccess after revocation", err, tokens.ErrNotFound)
}

func testSlidingAfterRotation(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.slidingIssued(t, g, 24*time.Hour, 30*24*time.Hour)
	f.clock.Advance(20 * time.Hour)
	f.use(t, "UseAccess of the first token", g.ID, first.AccessHash, nil)
	next := f.slidingIssue(g, 24*time.Hour, 30*24*time.Hour)
	rot := f.rot(nil) // a one-minute grace window
	wantErr(t, "RotateRefresh", f.rotate(g.ID, first.RefreshHash, rot, next), nil)
	// The rotation retires the first pair's access token: it serves the
	// requests in flight during the grace window, and is never extended
	// again, however recently it was used.
	f.clock.Advance(30 * time.Second)
	if f.use(t, "UseAccess of the retired token within the grace window", g.ID, first.AccessHash, nil).Extended {
		t.Error("a retired sliding token was extended")
	}
	f.clock.Advance(31 * time.Second)
	f.use(t, "UseAccess of the retired token after the grace window", g.ID, first.AccessHash, tokens.ErrNotFound)
	// The rotated pair's access token starts its own window at issue.
	f.clock.Advance(23 * time.Hour)
	f.use(t, "UseAccess of the new token", g.ID, next.AccessHash, nil)
}

func testFixedTokenIsNeverExtended(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.issued(t, g) // an hour, fixed
	for range 5 {
		f.clock.Advance(11 * time.Minute)
		if f.use(t, "UseAccess of a fixed token", g.ID, is.AccessHash, nil).Extended {
			t.Fatal("UseAccess extended a fixed token")
		}
	}
	f.clock.Advance(5 * time.Minute)
	f.use(t, "UseAccess after the fixed lifetime", g.ID, is.AccessHash, tokens.ErrNotFound)
}

// testPruneIdleClients checks tokens.PruneClientsBatch with IdleBefore:
// registrations without a live grant and unused since before it go,
// whether or not they ever got tokens; a live grant keeps any client.
func testPruneIdleClients(t *testing.T, f *fixture) {
	start := f.now()
	mk := func(name string) tokens.Client {
		t.Helper()
		c := client(tokens.NewID(), f.now())
		c.Name = name
		wantErr(t, "CreateClient "+name, f.s.CreateClient(f.ctx, c), nil)
		return c
	}
	usedLapsed := mk("used once, its grant lapsed")
	wantErr(t, "TouchClient", f.s.TouchClient(f.ctx, usedLapsed.ID, start), nil)
	f.grant(t, "github:1", usedLapsed.ID) // lapses after a day
	neverUsed := mk("never used")
	usedLive := mk("used, grant still live")
	wantErr(t, "TouchClient", f.s.TouchClient(f.ctx, usedLive.ID, start), nil)
	live := f.grant(t, "github:1", usedLive.ID)
	f.slidingIssued(t, live, 24*time.Hour, 30*24*time.Hour) // extends it to 30 days
	f.clock.Advance(8 * 24 * time.Hour)
	recentlyUsed := mk("used yesterday")
	wantErr(t, "TouchClient", f.s.TouchClient(f.ctx, recentlyUsed.ID, f.now()), nil)

	rule := tokens.PruneRule{NeverUsedBefore: f.now().Add(-24 * time.Hour), IdleBefore: f.now().Add(-7 * 24 * time.Hour)}
	deleted, cursor := 0, ""
	for {
		n, next, err := tokens.PruneClientsBatch(f.ctx, f.s, rule, cursor, 2)
		wantErr(t, "PruneClientsBatch", err, nil)
		deleted += n
		if next == "" {
			break
		}
		cursor = next
	}
	if deleted != 2 {
		t.Errorf("PruneClientsBatch deleted %d, want 2", deleted)
	}
	list, err := f.s.ListClients(f.ctx)
	wantErr(t, "ListClients", err, nil)
	got := clientIDs(list)
	for _, gone := range []tokens.Client{usedLapsed, neverUsed} {
		if slices.Contains(got, gone.ID) {
			t.Errorf("client %q was kept", gone.Name)
		}
	}
	for _, keep := range []tokens.Client{usedLive, recentlyUsed} {
		if !slices.Contains(got, keep.ID) {
			t.Errorf("client %q was pruned", keep.Name)
		}
	}
}
