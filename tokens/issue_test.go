package tokens

import (
	"slices"
	"testing"
	"time"
)

func TestMintPair(t *testing.T) {
	k := mustKeyring(t, secret(1))
	g := Grant{ID: NewID(), UserID: UserID("github", "4242")}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	spec := PairSpec{
		Grant: g, ClientID: "c1", AccessScopes: []string{"mcp:read"}, RefreshScopes: []string{"mcp:read", "mcp:write"},
		Resource: "https://mcp.example.com/mcp", Key: NewDataKey(), Now: now, AccessTTL: time.Hour, RefreshTTL: 30 * 24 * time.Hour,
	}
	p, err := k.MintPair(spec)
	if err != nil {
		t.Fatalf("MintPair: %v", err)
	}
	for _, tc := range []struct {
		token string
		kind  Kind
	}{{p.Access, KindAccess}, {p.Refresh, KindRefresh}} {
		if kind, grantID, err := Parse(tc.token); err != nil || kind != tc.kind || grantID != g.ID {
			t.Errorf("Parse(%s token) = %q, %q, %v", tc.kind, kind, grantID, err)
		}
	}
	is := p.Issue
	if is.AccessHash != k.Hash(p.Access) || is.RefreshHash != k.Hash(p.Refresh) {
		t.Error("records are not keyed by the hashes of their tokens")
	}
	a, r := is.Access, is.Refresh
	if a.GrantID != g.ID || a.ClientID != "c1" || a.UserID != g.UserID || a.Resource != spec.Resource ||
		!slices.Equal(a.Scopes, spec.AccessScopes) || !a.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("access record %+v", a)
	}
	if r.GrantID != g.ID || r.ClientID != "c1" || r.Resource != spec.Resource || !slices.Equal(r.Scopes, spec.RefreshScopes) ||
		!r.ExpiresAt.Equal(now.Add(spec.RefreshTTL)) || !r.RotatedAt.IsZero() || r.GraceResponse != nil {
		t.Errorf("refresh record %+v", r)
	}
	if !is.GrantExpiresAt.Equal(now.Add(spec.RefreshTTL)) {
		t.Errorf("GrantExpiresAt = %v, want the refresh token's expiry", is.GrantExpiresAt)
	}
	for _, w := range []struct {
		name, token string
		wrapped     []byte
	}{{"access", p.Access, a.WrappedKey}, {"refresh", p.Refresh, r.WrappedKey}} {
		if dk, err := k.UnwrapGrantKey(w.token, g.ID, w.wrapped); err != nil || dk != spec.Key {
			t.Errorf("%s record: data key does not unwrap with its token: %v", w.name, err)
		}
	}
	if _, err := k.UnwrapGrantKey(p.Access, g.ID, r.WrappedKey); err == nil {
		t.Error("the access token unwraps the refresh token's key")
	}
	if again, _ := k.MintPair(spec); again.Access == p.Access || again.Refresh == p.Refresh {
		t.Error("two pairs share a token")
	}
}
