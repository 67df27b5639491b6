package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
)

// Issue 11 item 3: a rotated refresh token keeps a tombstone for its grace
// window only; after that, reuse is recognised from the generation inside
// the token (tokens/generation.go), on both stores, long after the
// rotation, and only for tokens mcpgate minted for that grant and client.
func TestReuseRecognisedByGeneration(t *testing.T) {
	const grace = 30 * time.Second
	stores := map[string]func(*Config){
		"memory": func(*Config) {},
		"redis": func(c *Config) {
			rs := redistest.Start(t)
			c.Store = tokensredis.New(rs.Client(t), tokensredis.Options{Prefix: "gen", Now: c.Now, Keys: c.Keys})
		},
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			newServer := func() *asServer {
				return newTestServer(t, func(c *Config) { c.RefreshGrace = grace; store(c) })
			}
			// rotated signs in c, refreshes twice and returns the three
			// refresh tokens, with the clock a day later: every tombstone
			// (and access token) has lapsed.
			rotated := func(s *asServer, c testClient) (rts [3]string) {
				t.Helper()
				pair := s.tokenPair(c)
				rts[0] = pair.RefreshToken
				for i := 1; i < 3; i++ {
					s.clock.Advance(time.Hour)
					resp := s.refresh(c, rts[i-1])
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("refresh %d: %d %s", i, resp.StatusCode, readBody(t, resp))
					}
					var next tokenResponse
					decodeJSON(t, resp, &next)
					rts[i] = next.RefreshToken
				}
				s.clock.Advance(24 * time.Hour)
				return rts
			}
			// revoked reports whether rt's grant is gone from the store.
			revoked := func(s *asServer, rt string) bool {
				_, grantID, err := tokens.Parse(rt)
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.cfg.Store.GetGrant(context.Background(), grantID)
				return errors.Is(err, tokens.ErrNotFound)
			}

			t.Run("an old generation is reuse", func(t *testing.T) {
				s := newServer()
				c := s.register(authMethodNone, "http://localhost:9999/cb")
				rts := rotated(s, c)
				e := wantOAuthError(t, s.refresh(c, rts[0]), http.StatusBadRequest, wire.InvalidGrant)
				if !strings.Contains(e.ErrorDescription, "reuse") {
					t.Errorf("description %q, want reuse detection", e.ErrorDescription)
				}
				if !revoked(s, rts[0]) {
					t.Error("the grant survives the reuse of its first refresh token")
				}
				wantOAuthError(t, s.refresh(c, rts[2]), http.StatusBadRequest, wire.InvalidGrant)
			})
			t.Run("a made-up token of the grant is unknown, not reuse", func(t *testing.T) {
				s := newServer()
				c := s.register(authMethodNone, "http://localhost:9999/cb")
				rts := rotated(s, c)
				_, grantID, _ := tokens.Parse(rts[2])
				stranger, err := tokens.NewKeyring([]byte("a stranger's secret, 32 bytes or more"))
				if err != nil {
					t.Fatal(err)
				}
				for _, forged := range []string{tokens.Mint(tokens.KindRefresh, grantID), stranger.MintRefresh(grantID, 1)} {
					e := wantOAuthError(t, s.refresh(c, forged), http.StatusBadRequest, wire.InvalidGrant)
					if strings.Contains(e.ErrorDescription, "reuse") {
						t.Errorf("a forged token of the grant was taken for reuse: %q", e.ErrorDescription)
					}
				}
				if resp := s.refresh(c, rts[2]); resp.StatusCode != http.StatusOK {
					t.Errorf("the owner's refresh after forged tokens: %d %s", resp.StatusCode, readBody(t, resp))
				}
			})
			t.Run("another client's old generation changes nothing", func(t *testing.T) {
				s := newServer()
				c := s.register(authMethodNone, "http://localhost:9999/cb")
				other := s.register(authMethodNone, "http://localhost:9999/cb")
				rts := rotated(s, c)
				wantOAuthError(t, s.refresh(other, rts[0]), http.StatusBadRequest, wire.InvalidGrant)
				if resp := s.refresh(c, rts[2]); resp.StatusCode != http.StatusOK {
					t.Errorf("the owner's refresh after that: %d %s", resp.StatusCode, readBody(t, resp))
				}
			})
			t.Run("revoking an old generation ends the grant", func(t *testing.T) {
				s := newServer()
				c := s.register(authMethodNone, "http://localhost:9999/cb")
				rts := rotated(s, c)
				other := s.register(authMethodNone, "http://localhost:9999/cb")
				s.postForm("/revoke", url.Values{"client_id": {other.ID}, "token": {rts[1]}}, nil)
				if revoked(s, rts[1]) {
					t.Fatal("another client revoked the grant with its rotated refresh token")
				}
				resp := s.postForm("/revoke", url.Values{"client_id": {c.ID}, "token": {rts[1]}}, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("revoke: %d %s", resp.StatusCode, readBody(t, resp))
				}
				if !revoked(s, rts[1]) {
					t.Error("the grant survives the revocation of its rotated refresh token")
				}
			})
		})
	}
}

// A refresh retires the access token it replaces when the grace window
// ends: requests in flight on it still pass until then.
func TestRefreshRetiresThePreviousAccessToken(t *testing.T) {
	const grace = 30 * time.Second
	s := newTestServer(t, func(c *Config) { c.RefreshGrace = grace })
	c := s.register(authMethodNone, "http://localhost:9999/cb")
	first := s.tokenPair(c)
	var second tokenResponse
	decodeJSON(t, s.refresh(c, first.RefreshToken), &second)
	s.clock.Advance(grace - time.Second)
	if _, err := s.accessRecord(first.AccessToken); err != nil {
		t.Fatalf("the previous access token inside the grace window: %v", err)
	}
	s.clock.Advance(time.Second)
	if _, err := s.accessRecord(first.AccessToken); !errors.Is(err, tokens.ErrNotFound) {
		t.Fatalf("the previous access token after the grace window: %v, want ErrNotFound", err)
	}
	if _, err := s.accessRecord(second.AccessToken); err != nil {
		t.Fatalf("the new access token: %v", err)
	}
}
