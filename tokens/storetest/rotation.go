package storetest

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// Issue 10 items 1 and 2: a rotated refresh token keeps a tombstone that
// detects reuse and opens nothing; its grace response lives only for the
// grace window, and only until its successor is used.

// testRotatedRefreshKeepsOnlyATombstone: after rotation the old record has
// no wrapped data key, scopes or resource, only what reuse detection needs.
func testRotatedRefreshKeepsOnlyATombstone(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	at := f.now()
	wantErr(t, "RotateRefresh", f.rotate(g.ID, first.RefreshHash, f.rot([]byte("grace")), f.issue(g)), nil)
	f.clock.Advance(time.Minute) // past the grace window
	old, err := f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	wantErr(t, "GetRefresh rotated", err, tokens.ErrRotated)
	if len(old.WrappedKey) != 0 || len(old.GraceResponse) != 0 || len(old.Scopes) != 0 || old.Resource != "" {
		t.Fatalf("rotated record after the grace window = %+v; want a tombstone without wrapped key, grace response, scopes or resource", old)
	}
	want := tokens.RefreshToken{GrantID: g.ID, ClientID: first.Refresh.ClientID, ExpiresAt: at.Add(time.Minute + time.Second),
		RotatedAt: at, Generation: first.Refresh.Generation}
	same(t, "tombstone", old, want)
}

// testTombstoneOfAGenerationEndsWithGrace (issue 11 item 3): the tombstone
// of a refresh token with a generation lasts its grace window and a
// second more; then ReadRefresh finds no token but the live grant, whose
// RefreshGen names the active generation, so reuse of the old token is
// still recognised (tokens/generation.go) with nothing of it stored.
func testTombstoneOfAGenerationEndsWithGrace(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	if got, err := f.s.GetGrant(f.ctx, g.ID); err != nil || got.RefreshGen != first.Refresh.Generation {
		t.Fatalf("grant after IssueTokens: RefreshGen %d, %v; want %d", got.RefreshGen, err, first.Refresh.Generation)
	}
	second := f.issue(g)
	rot := tokens.Rotation{At: f.now(), Grace: 30 * time.Second, GraceResponse: []byte("grace")}
	wantErr(t, "RotateRefresh", f.rotate(g.ID, first.RefreshHash, rot, second), nil)
	f.clock.Advance(31*time.Second - time.Millisecond)
	read := f.read(t, "", g.ID, first.RefreshHash)
	wantErr(t, "ReadRefresh just before the tombstone's end", read.Err, tokens.ErrRotated)
	f.clock.Advance(time.Millisecond)
	read = f.read(t, "", g.ID, first.RefreshHash)
	wantErr(t, "ReadRefresh at the tombstone's end", read.Err, tokens.ErrNotFound)
	if read.Grant.ID != g.ID || read.Grant.RefreshGen != second.Refresh.Generation {
		t.Fatalf("read of a lapsed tombstone: grant %q RefreshGen %d; want the live grant %q at generation %d",
			read.Grant.ID, read.Grant.RefreshGen, g.ID, second.Refresh.Generation)
	}
	same(t, "token of a lapsed tombstone", read.Token, tokens.RefreshToken{})
	read = f.read(t, "", tokens.NewID(), first.RefreshHash)
	if read.Grant.ID != "" {
		t.Fatalf("read of an unknown grant returned grant %q", read.Grant.ID)
	}
	_, err := f.s.GetRefresh(f.ctx, g.ID, second.RefreshHash)
	wantErr(t, "GetRefresh of the successor", err, nil)
}

// testRotationRetiresTheAccessToken: rotating a refresh token retires the
// fixed access token issued with it at the end of the grace window
// (tokens.Seen.Retired); the new one lives its hour.
func testRotationRetiresTheAccessToken(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	second := f.issue(g)
	wantErr(t, "RotateRefresh", f.rotate(g.ID, first.RefreshHash, tokens.Rotation{At: f.now(), Grace: 30 * time.Second}, second), nil)
	f.clock.Advance(30*time.Second - time.Millisecond)
	_, err := f.s.GetAccess(f.ctx, g.ID, first.AccessHash)
	wantErr(t, "GetAccess of the old token inside the grace window", err, nil)
	_, err = f.s.UseAccess(f.ctx, g.ID, first.AccessHash)
	wantErr(t, "UseAccess of the old token inside the grace window", err, nil)
	f.clock.Advance(time.Millisecond)
	_, err = f.s.UseAccess(f.ctx, g.ID, first.AccessHash)
	wantErr(t, "UseAccess of the old token at the end of the grace window", err, tokens.ErrNotFound)
	_, err = f.s.GetAccess(f.ctx, g.ID, second.AccessHash)
	wantErr(t, "GetAccess of the new token", err, nil)

	// Without a grace window it dies at once.
	third := f.issue(g)
	wantErr(t, "RotateRefresh without grace", f.rotate(g.ID, second.RefreshHash, tokens.Rotation{At: f.now()}, third), nil)
	_, err = f.s.GetAccess(f.ctx, g.ID, second.AccessHash)
	wantErr(t, "GetAccess of a token retired without grace", err, tokens.ErrNotFound)
	_, err = f.s.GetAccess(f.ctx, g.ID, third.AccessHash)
	wantErr(t, "GetAccess of the newest token", err, nil)
}

// testGraceLastsOnlyItsWindow: the grace response is there until
// Rotation.At + Grace, then gone while the tombstone stays.
func testGraceLastsOnlyItsWindow(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	rot := tokens.Rotation{At: f.now(), Grace: 30 * time.Second, GraceResponse: []byte("grace")}
	wantErr(t, "RotateRefresh", f.rotate(g.ID, first.RefreshHash, rot, f.issue(g)), nil)
	f.clock.Advance(30*time.Second - time.Millisecond)
	old, err := f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	wantErr(t, "GetRefresh inside the window", err, tokens.ErrRotated)
	if string(old.GraceResponse) != "grace" {
		t.Fatalf("grace response inside the window = %q, want %q", old.GraceResponse, "grace")
	}
	f.clock.Advance(time.Millisecond)
	old, err = f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	wantErr(t, "GetRefresh at the end of the window", err, tokens.ErrRotated)
	if len(old.GraceResponse) != 0 {
		t.Fatalf("grace response at the end of the window = %q, want none", old.GraceResponse)
	}
	if !old.RotatedAt.Equal(rot.At) {
		t.Fatalf("tombstone RotatedAt = %v, want %v", old.RotatedAt, rot.At)
	}
}

// testZeroGraceKeepsNoResponse: a rotation without a grace window stores
// no response at all.
func testZeroGraceKeepsNoResponse(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	rot := tokens.Rotation{At: f.now(), Grace: 0, GraceResponse: []byte("grace")}
	wantErr(t, "RotateRefresh", f.rotate(g.ID, first.RefreshHash, rot, f.issue(g)), nil)
	old, err := f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	wantErr(t, "GetRefresh", err, tokens.ErrRotated)
	if len(old.GraceResponse) != 0 {
		t.Fatalf("grace response with a zero window = %q, want none", old.GraceResponse)
	}
}

// testGraceEndsWhenSuccessorRotates: once the successor is rotated, the old
// token's grace response (which holds the successor) is withdrawn even
// inside the window, while the successor's own grace response stays.
func testGraceEndsWhenSuccessorRotates(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	second := f.issue(g)
	wantErr(t, "RotateRefresh first", f.rotate(g.ID, first.RefreshHash, f.rot([]byte("grace 1")), second), nil)
	f.clock.Advance(time.Second)
	wantErr(t, "RotateRefresh second", f.rotate(g.ID, second.RefreshHash, f.rot([]byte("grace 2")), f.issue(g)), nil)
	old, err := f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	wantErr(t, "GetRefresh first", err, tokens.ErrRotated)
	if len(old.GraceResponse) != 0 {
		t.Fatalf("grace response of a token whose successor was used = %q, want none", old.GraceResponse)
	}
	mid, err := f.s.GetRefresh(f.ctx, g.ID, second.RefreshHash)
	wantErr(t, "GetRefresh second", err, tokens.ErrRotated)
	if string(mid.GraceResponse) != "grace 2" {
		t.Fatalf("grace response of the latest rotation = %q, want %q", mid.GraceResponse, "grace 2")
	}
}

// Issue 11 item 2: the refresh grant reads everything in one ReadRefresh
// and rotates in one RotateRefresh of what it read.

// testReadRefresh: ReadRefresh finds the client (unless asked for none),
// the grant and the token, and reports what it did not find in the read.
func testReadRefresh(t *testing.T, f *fixture) {
	c := tokens.Client{ID: "client-1", RedirectURIs: []string{"https://app.example.com/cb"}, TokenEndpointAuthMethod: "none", CreatedAt: f.now()}
	wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
	g := f.grant(t, "github:1", c.ID)
	first := f.issued(t, g)
	missing := f.kr.Hash(tokens.Mint(tokens.KindRefresh, g.ID))
	cases := []struct {
		name                    string
		clientID, grantID, hash string
		wantClient, wantErr     error
	}{
		{"everything", c.ID, g.ID, first.RefreshHash, nil, nil},
		{"no client asked for", "", g.ID, first.RefreshHash, tokens.ErrNotFound, nil},
		{"unknown client", "client-2", g.ID, first.RefreshHash, tokens.ErrNotFound, nil},
		{"unknown token", c.ID, g.ID, missing, nil, tokens.ErrNotFound},
		{"unknown grant", c.ID, tokens.NewID(), first.RefreshHash, nil, tokens.ErrNotFound},
		{"grant ID with braces", c.ID, "{x}", first.RefreshHash, nil, tokens.ErrNotFound},
		{"nothing", "client-2", "", "", tokens.ErrNotFound, tokens.ErrNotFound},
	}
	for _, tc := range cases {
		read := f.read(t, tc.clientID, tc.grantID, tc.hash)
		wantErr(t, tc.name+": ClientErr", read.ClientErr, tc.wantClient)
		wantErr(t, tc.name+": Err", read.Err, tc.wantErr)
		if read.GrantID != tc.grantID || read.Hash != tc.hash {
			t.Fatalf("%s: read names grant %q token %q, want %q %q", tc.name, read.GrantID, read.Hash, tc.grantID, tc.hash)
		}
		if tc.wantClient == nil {
			same(t, tc.name+": client", read.Client, c)
		}
		if tc.wantErr == nil {
			same(t, tc.name+": grant", read.Grant.ID, g.ID)
			same(t, tc.name+": token", read.Token, first.Refresh)
		}
	}

	at := f.now()
	wantErr(t, "RotateRefresh", f.rotate(g.ID, first.RefreshHash, f.rot([]byte("grace")), f.issue(g)), nil)
	read := f.read(t, c.ID, g.ID, first.RefreshHash)
	wantErr(t, "rotated: Err", read.Err, tokens.ErrRotated)
	want := first.Refresh.Tombstone(tokens.Rotation{At: at, Grace: time.Minute})
	want.GraceResponse = []byte("grace")
	same(t, "rotated: token", read.Token, want)
	wantErr(t, "RotateRefresh of a rotated read", f.s.RotateRefresh(f.ctx, read, f.rot(nil), f.issue(g)), tokens.ErrRotated)
}

// testRotateAfterGrantChanged: a rotation of a read whose grant changed
// since (its upstream token was refreshed) applies to the grant as it is
// now, keeping the change.
func testRotateAfterGrantChanged(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	read := f.read(t, "", g.ID, first.RefreshHash)
	wantErr(t, "SetUpstream", f.s.SetUpstream(f.ctx, g.ID, []byte("refreshed upstream token")), nil)
	next := f.issue(g)
	wantErr(t, "RotateRefresh", f.s.RotateRefresh(f.ctx, read, f.rot(nil), next), nil)
	got, err := f.s.GetGrant(f.ctx, g.ID)
	wantErr(t, "GetGrant", err, nil)
	if string(got.Upstream) != "refreshed upstream token" || !got.ExpiresAt.Equal(next.GrantExpiresAt) {
		t.Fatalf("grant after the rotation: upstream %q, expiry %v; want the refreshed upstream token and %v", got.Upstream, got.ExpiresAt, next.GrantExpiresAt)
	}
	_, err = f.s.GetRefresh(f.ctx, g.ID, next.RefreshHash)
	wantErr(t, "GetRefresh new", err, nil)
}

// testRotateOfAStaleRead: a rotation of a read whose token another
// rotation used since is ErrRotated and stores nothing.
func testRotateOfAStaleRead(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	stale := f.read(t, "", g.ID, first.RefreshHash)
	wantErr(t, "RotateRefresh winner", f.rotate(g.ID, first.RefreshHash, f.rot(nil), f.issue(g)), nil)
	loser := f.issue(g)
	wantErr(t, "RotateRefresh of the stale read", f.s.RotateRefresh(f.ctx, stale, f.rot(nil), loser), tokens.ErrRotated)
	_, err := f.s.GetRefresh(f.ctx, g.ID, loser.RefreshHash)
	wantErr(t, "GetRefresh of the losing pair", err, tokens.ErrNotFound)
	_, err = f.s.GetAccess(f.ctx, g.ID, loser.AccessHash)
	wantErr(t, "GetAccess of the losing pair", err, tokens.ErrNotFound)
}
