package redis_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/internal/testclock"
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
			rewrite(t, func(rec map[string]any) { rec["sc"] = []string{"admin"} }),
			func() error { _, err := s.GetAccess(ctx, g.ID, is.AccessHash); return err }},
		{"access token expiry extended", tag + ":at:" + is.AccessHash,
			rewrite(t, func(rec map[string]any) { rec["x"] = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC) }),
			func() error { _, err := s.GetAccess(ctx, g.ID, is.AccessHash); return err }},
		{"grant expiry extended", tag + ":grant",
			rewrite(t, func(rec map[string]any) { rec["x"] = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC) }),
			func() error { _, err := s.GetGrant(ctx, g.ID); return err }},
		{"refresh token without MAC (format v1)", tag + ":rt:" + is.RefreshHash,
			func(v string) string {
				b, err := json.Marshal(decodeV3(t, v))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			},
			func() error { _, err := s.GetRefresh(ctx, g.ID, is.RefreshHash); return err }},
		{"refresh token reframed as format v2", tag + ":rt:" + is.RefreshHash,
			func(v string) string {
				return "r2." + base64.RawURLEncoding.EncodeToString([]byte(v[1:v3Header])) + "." + v[v3Header:]
			},
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

// v3Header is the length of a format v3 record's format byte, key ID and
// MAC.
const v3Header = 1 + 4 + 16

// decodeV3 decodes the body of a format v3 record into a map.
func decodeV3(t *testing.T, v string) map[string]any {
	t.Helper()
	if len(v) < v3Header || v[0] != 0x03 {
		t.Fatalf("not a format v3 record: %q", v)
	}
	var rec map[string]any
	if err := msgpack.Unmarshal([]byte(v[v3Header:]), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// rewrite changes a field of a format v3 record as a Redis writer without
// the server secret can: the body re-encoded, the MAC kept.
func rewrite(t *testing.T, change func(map[string]any)) func(string) string {
	return func(v string) string {
		rec := decodeV3(t, v)
		change(rec)
		b, err := msgpack.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		return v[:v3Header] + string(b)
	}
}

// TestReadsFormatV2 reads what mcpgate stored before format v3 (the v2
// golden records, JSON with "r2." MACs): an upgrade signs nobody out. The
// access token and the grant are read, the code consumed (and a reuse
// found through the index of whole key names v2 kept), and the refresh
// token (rotated in the golden file) found rotated.
func TestReadsFormatV2(t *testing.T) {
	b, err := os.ReadFile("../testdata/stored-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Secret  string            `json:"secret_hex"`
		GrantID string            `json:"grant_id"`
		Hashes  map[string]string `json:"hashes"`
		Stored  map[string]string `json:"stored"`
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	secret, err := hex.DecodeString(golden.Secret)
	if err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	for name, v := range golden.Stored {
		if strings.Contains(name, ":code:") {
			v = "0" + v // the live-code state byte the store puts in front
		}
		if err := rdb.Set(ctx, "v2:"+name, v, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The golden records were written at 2026-01-02 03:04:05 UTC.
	clock := testclock.New(time.Date(2026, time.January, 2, 3, 5, 0, 0, time.UTC))
	s := redis.New(rdb, redis.Options{Prefix: "v2", Now: clock.Now, Keys: mustKeyring(secret)})
	a, g, err := s.GetAccessGrant(ctx, golden.GrantID, golden.Hashes["access"])
	if err != nil || a.GrantID != golden.GrantID || g.ID != golden.GrantID || len(g.Upstream) == 0 {
		t.Fatalf("GetAccessGrant of v2 records = %+v, %+v, %v", a, g, err)
	}
	// The key index as format v2 wrote it: whole key names.
	codeKey := "v2:{g:" + golden.GrantID + "}:code:" + golden.Hashes["code"]
	codeExpiry := time.Date(2026, time.January, 2, 3, 14, 5, 0, time.UTC)
	if err := rdb.ZAdd(ctx, "v2:{g:"+golden.GrantID+"}:keys", goredis.Z{Score: float64(codeExpiry.UnixMilli()), Member: codeKey}).Err(); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ConsumeCode(ctx, golden.GrantID, golden.Hashes["code"]); err != nil || c.GrantID != golden.GrantID {
		t.Fatalf("ConsumeCode of a v2 code = %+v, %v", c, err)
	}
	if c, err := s.ConsumeCode(ctx, golden.GrantID, golden.Hashes["code"]); !errors.Is(err, tokens.ErrCodeReused) || !c.ExpiresAt.Equal(codeExpiry) {
		t.Fatalf("second ConsumeCode of a v2 code = %+v, %v; want ErrCodeReused until %v", c, err, codeExpiry)
	}
	read, err := s.ReadRefresh(ctx, "", golden.GrantID, golden.Hashes["refresh"])
	if err != nil || !errors.Is(read.Err, tokens.ErrRotated) || read.Token.ClientID != "golden-client" {
		t.Fatalf("ReadRefresh of a v2 rotated refresh token = %v, %+v, %v; want ErrRotated with the record", read.Err, read.Token, err)
	}
	// A write re-encodes the grant in format v3.
	if err := s.SetUpstream(ctx, golden.GrantID, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	if v := rdb.Get(ctx, "v2:{g:"+golden.GrantID+"}:grant").Val(); len(v) == 0 || v[0] != 0x03 {
		t.Fatalf("grant after a write = %q, want format v3", v)
	}
	if g, err := s.GetGrant(ctx, golden.GrantID); err != nil || string(g.Upstream) != "sealed" {
		t.Fatalf("GetGrant after the write = %+v, %v", g, err)
	}
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
