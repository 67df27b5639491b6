package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// testListGrantsByUserAndClientIndexes lists the grants of many users and
// clients, some revoked and some lapsed, by every filter, and checks that
// each listing holds exactly the live matching grants, oldest first (the
// stores answer filtered listings from per-user and per-client indexes,
// which must follow creation, revocation and expiry).
func testListGrantsByUserAndClientIndexes(t *testing.T, f *fixture) {
	// IDs with the characters identity providers and keys care about.
	users := []string{"github:1", "github:2", "oidc:{tag}:x", "google:3 4"}
	clients := []string{"client-a", "client-{b}", "client:c"}
	type entry struct {
		g    tokens.Grant
		gone bool
	}
	var all []*entry
	for i := range 36 {
		f.clock.Advance(time.Second)
		g := tokens.Grant{
			ID: tokens.NewID(), UserID: users[i%len(users)], ClientID: clients[i%len(clients)],
			Scopes: []string{"repo"}, CreatedAt: f.now(), ExpiresAt: f.now().Add(24 * time.Hour),
		}
		if i%5 == 0 {
			g.ExpiresAt = f.now().Add(time.Minute)
		}
		wantErr(t, "CreateGrant", f.s.CreateGrant(f.ctx, g), nil)
		all = append(all, &entry{g: g, gone: i%5 == 0})
	}
	for i, e := range all {
		if i%7 == 3 {
			wantErr(t, "RevokeGrant", f.s.RevokeGrant(f.ctx, e.g.ID), nil)
			e.gone = true
		}
	}
	f.clock.Advance(2 * time.Minute)

	check := func(t *testing.T, round string) {
		t.Helper()
		filters := [][2]string{{"", ""}, {"nobody", ""}, {"", "no-client"}, {"nobody", clients[0]}}
		for _, u := range users {
			filters = append(filters, [2]string{u, ""})
			for _, c := range clients {
				filters = append(filters, [2]string{u, c})
			}
		}
		for _, c := range clients {
			filters = append(filters, [2]string{"", c})
		}
		for _, fl := range filters {
			user, client := fl[0], fl[1]
			want := []string{}
			for _, e := range all {
				if !e.gone && (user == "" || e.g.UserID == user) && (client == "" || e.g.ClientID == client) {
					want = append(want, e.g.ID)
				}
			}
			list, err := f.s.ListGrants(f.ctx, user, client)
			wantErr(t, "ListGrants", err, nil)
			if got := grantIDs(list); !slices.Equal(got, want) {
				t.Errorf("%s: ListGrants(%q, %q) = %v, want %v (live matching grants, oldest first)", round, user, client, got, want)
			}
		}
	}
	check(t, "first listing")
	// Listing again (after the stores pruned what they found gone) gives
	// the same answer; then more revocations show up in every index.
	check(t, "second listing")
	for i, e := range all {
		if i%4 == 1 && !e.gone {
			wantErr(t, "RevokeGrant", f.s.RevokeGrant(f.ctx, e.g.ID), nil)
			e.gone = true
		}
	}
	check(t, "after more revocations")
	for _, e := range all {
		if !e.gone {
			wantErr(t, "RevokeGrant", f.s.RevokeGrant(f.ctx, e.g.ID), nil)
			e.gone = true
		}
	}
	check(t, "after revoking all")
}
