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
	wantErr(t, "RotateRefresh", f.s.RotateRefresh(f.ctx, g.ID, first.RefreshHash, f.rot([]byte("grace")), f.issue(g)), nil)
	f.clock.Advance(time.Minute) // past the grace window
	old, err := f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	wantErr(t, "GetRefresh rotated", err, tokens.ErrRotated)
	if len(old.WrappedKey) != 0 || len(old.GraceResponse) != 0 || len(old.Scopes) != 0 || old.Resource != "" {
		t.Fatalf("rotated record after the grace window = %+v; want a tombstone without wrapped key, grace response, scopes or resource", old)
	}
	want := tokens.RefreshToken{GrantID: g.ID, ClientID: first.Refresh.ClientID, ExpiresAt: first.Refresh.ExpiresAt, RotatedAt: at}
	same(t, "tombstone", old, want)
}

// testGraceLastsOnlyItsWindow: the grace response is there until
// Rotation.At + Grace, then gone while the tombstone stays.
func testGraceLastsOnlyItsWindow(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	rot := tokens.Rotation{At: f.now(), Grace: 30 * time.Second, GraceResponse: []byte("grace")}
	wantErr(t, "RotateRefresh", f.s.RotateRefresh(f.ctx, g.ID, first.RefreshHash, rot, f.issue(g)), nil)
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
	wantErr(t, "RotateRefresh", f.s.RotateRefresh(f.ctx, g.ID, first.RefreshHash, rot, f.issue(g)), nil)
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
	wantErr(t, "RotateRefresh first", f.s.RotateRefresh(f.ctx, g.ID, first.RefreshHash, f.rot([]byte("grace 1")), second), nil)
	f.clock.Advance(time.Second)
	wantErr(t, "RotateRefresh second", f.s.RotateRefresh(f.ctx, g.ID, second.RefreshHash, f.rot([]byte("grace 2")), f.issue(g)), nil)
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
