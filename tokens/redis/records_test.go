package redis_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/tokens/storetest"
)

// testKeys is the keyring the test stores protect their records with.
var testKeys = mustKeyring(bytes.Repeat([]byte{0x42, 0x17, 0xa9, 0x3c}, 8))

func mustKeyring(secret []byte, previous ...[]byte) *tokens.Keyring {
	k, err := tokens.NewKeyring(secret, previous...)
	if err != nil {
		panic(err)
	}
	return k
}

// Issue 10 item 8 (store side): a Redis writer without the server secret
// cannot extend or widen a token; a record that fails its MAC is absent.
func TestForgedRecordsAreAbsent(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	clock := storetest.NewClock()
	s := redis.New(srv.Client(t), redis.Options{Prefix: "mac", Now: clock.Now, Keys: testKeys})
	g, is := populate(t, s, clock)
	tag := "mac:{g:" + g.ID + "}"

	tamper := []struct {
		name   string
		key    string
		change func(string) string
		read   func() error
	}{
		{"access token scopes widened", tag + ":at:" + is.AccessHash,
			func(v string) string { return strings.Replace(v, `"scopes":null`, `"scopes":["admin"]`, 1) },
			func() error { _, err := s.GetAccess(ctx, g.ID, is.AccessHash); return err }},
		{"access token expiry extended", tag + ":at:" + is.AccessHash,
			func(v string) string { return strings.Replace(v, `"expires_at":"2030`, `"expires_at":"2099`, 1) },
			func() error { _, err := s.GetAccess(ctx, g.ID, is.AccessHash); return err }},
		{"grant expiry extended", tag + ":grant",
			func(v string) string { return strings.Replace(v, `"expires_at":"2030`, `"expires_at":"2099`, 1) },
			func() error { _, err := s.GetGrant(ctx, g.ID); return err }},
		{"refresh token without MAC (format v1)", tag + ":rt:" + is.RefreshHash,
			func(v string) string { return v[strings.IndexByte(v, '{'):] },
			func() error { _, err := s.GetRefresh(ctx, g.ID, is.RefreshHash); return err }},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			orig, err := rdb.Get(ctx, tc.key).Result()
			if err != nil {
				t.Fatalf("GET %s: %v", tc.key, err)
			}
			if err := tc.read(); err != nil {
				t.Fatalf("reading the untouched record: %v", err)
			}
			changed := tc.change(orig)
			if changed == orig {
				t.Fatalf("the tampering did not change %s: %s", tc.key, orig)
			}
			if err := rdb.Set(ctx, tc.key, changed, time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { rdb.Set(ctx, tc.key, orig, time.Hour) })
			if err := tc.read(); !errors.Is(err, tokens.ErrNotFound) {
				t.Fatalf("reading the tampered record: %v, want ErrNotFound", err)
			}
		})
	}

	// A record copied to another name does not verify there either.
	t.Run("record moved to another name", func(t *testing.T) {
		v := rdb.Get(ctx, tag+":at:"+is.AccessHash).Val()
		rdb.Set(ctx, tag+":at:forged", v, time.Hour)
		if _, err := s.GetAccess(ctx, g.ID, "forged"); !errors.Is(err, tokens.ErrNotFound) {
			t.Fatalf("GetAccess of a copied record: %v, want ErrNotFound", err)
		}
	})

	// After a secret rotation, records MACed under the previous secret
	// still verify.
	t.Run("previous secret", func(t *testing.T) {
		rotated := redis.New(srv.Client(t), redis.Options{Prefix: "mac", Now: clock.Now,
			Keys: mustKeyring(bytes.Repeat([]byte{0x77, 0x01, 0xee, 0x5d}, 8), bytes.Repeat([]byte{0x42, 0x17, 0xa9, 0x3c}, 8))})
		if _, err := rotated.GetAccess(ctx, g.ID, is.AccessHash); err != nil {
			t.Fatalf("GetAccess under the rotated keyring: %v", err)
		}
		other := redis.New(srv.Client(t), redis.Options{Prefix: "mac", Now: clock.Now, Keys: mustKeyring(bytes.Repeat([]byte{0x77, 0x01, 0xee, 0x5d}, 8))})
		if _, err := other.GetAccess(ctx, g.ID, is.AccessHash); !errors.Is(err, tokens.ErrNotFound) {
			t.Fatalf("GetAccess under an unrelated secret: %v, want ErrNotFound", err)
		}
	})

	t.Run("store without keys", func(t *testing.T) {
		bare := redis.New(srv.Client(t), redis.Options{Prefix: "mac"})
		if err := bare.Ping(ctx); err == nil || !strings.Contains(err.Error(), "Keys") {
			t.Fatalf("Ping of a store without Keys = %v, want an error naming Options.Keys", err)
		}
	})
}

// Issue 10 item 7: the pending sign-in (upstream PKCE verifier, OIDC
// nonce, client state) is sealed in Redis, opens on take, also after a
// secret rotation.
func TestPendingIsSealed(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	clock := storetest.NewClock()
	s := redis.New(srv.Client(t), redis.Options{Prefix: "pend", Now: clock.Now, Keys: testKeys})
	p := tokens.Pending{ClientID: "c", RedirectURI: "https://a.example/cb", CodeChallenge: "challenge", Scopes: []string{"mcp:read"},
		ClientState: "client-state-secret", Provider: "github", UpstreamVerifier: "upstream-verifier-secret", Nonce: "oidc-nonce-secret",
		Browser: "browser-hash", CreatedAt: clock.Now()}
	for _, tc := range []struct {
		name string
		take *redis.Store
	}{
		{"same secret", s},
		{"after rotation", redis.New(srv.Client(t), redis.Options{Prefix: "pend", Now: clock.Now,
			Keys: mustKeyring(bytes.Repeat([]byte{0x11, 0x22, 0x93, 0x54}, 8), bytes.Repeat([]byte{0x42, 0x17, 0xa9, 0x3c}, 8))})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.PutPending(ctx, "state-"+tc.name, p, 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			raw := rdb.Get(ctx, "pend:pending:state-"+tc.name).Val()
			for _, secret := range []string{p.ClientState, p.UpstreamVerifier, p.Nonce, p.RedirectURI} {
				if strings.Contains(raw, secret) {
					t.Errorf("the pending record in Redis shows %q in clear", secret)
				}
			}
			got, err := tc.take.TakePending(ctx, "state-"+tc.name)
			if err != nil {
				t.Fatalf("TakePending: %v", err)
			}
			if got.UpstreamVerifier != p.UpstreamVerifier || got.Nonce != p.Nonce || got.ClientState != p.ClientState {
				t.Fatalf("TakePending = %+v, want %+v", got, p)
			}
		})
	}
	// A sealed record moved to another state does not open.
	if err := s.PutPending(ctx, "a", p, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	rdb.Rename(ctx, "pend:pending:a", "pend:pending:b")
	if _, err := s.TakePending(ctx, "b"); !errors.Is(err, tokens.ErrNotFound) {
		t.Fatalf("TakePending of a moved record: %v, want ErrNotFound", err)
	}
}
