package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
)

// Issue 14: Claude's connector proxy often never uses its refresh token.
// These tests replay it (its exact registration body, then no refresh) on
// both stores: the built-in "claude" policy keeps its access token alive
// while it is used at least once a day, and every revocation path still
// ends it on its next request.

// claudeStores are the stores the Claude replays run on.
var claudeStores = []string{"memory", "redis"}

// newStoreServer is newTestServer on the named store ("memory" or
// "redis"; Redis with the default one-hour sliding bucket).
func newStoreServer(t *testing.T, store string, mutate func(*Config)) *asServer {
	t.Helper()
	var rs *redistest.Server
	if store == "redis" {
		rs = redistest.Start(t)
	}
	return newTestServer(t, func(c *Config) {
		if rs != nil {
			c.Store = tokensredis.New(rs.Client(t), tokensredis.Options{Prefix: "claude", Now: c.Now, Keys: c.Keys})
		}
		if mutate != nil {
			mutate(c)
		}
	})
}

// registerClaude registers a client with Claude's exact registration body.
func (s *asServer) registerClaude() testClient {
	s.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(claudeDCRBody))
	r.Header.Set("Content-Type", "application/json")
	resp := s.do(r)
	if resp.StatusCode != http.StatusCreated {
		s.t.Fatalf("register: status %d: %s", resp.StatusCode, readBody(s.t, resp))
	}
	var reg registrationResponse
	decodeJSON(s.t, resp, &reg)
	return testClient{ID: reg.ClientID, Secret: reg.ClientSecret, Method: reg.TokenEndpointAuthMethod, RedirectURI: "https://claude.ai/api/mcp/auth_callback"}
}

func TestClaudeTokenLivesWhileUsedDaily(t *testing.T) {
	for _, store := range claudeStores {
		t.Run(store, func(t *testing.T) {
			s := newStoreServer(t, store, nil)
			c := s.registerClaude()
			tr := s.tokenPair(c)
			if tr.ExpiresIn != int64(tokens.ClaudeIdleTimeout/time.Second) {
				t.Fatalf("expires_in = %d, want one idle day (%d)", tr.ExpiresIn, int64(tokens.ClaudeIdleTimeout/time.Second))
			}
			// Three simulated days (and more) of daily use, never a refresh.
			for day := 1; day <= 4; day++ {
				s.clock.Advance(20 * time.Hour)
				if got := s.mcpStatus(tr.AccessToken); got != http.StatusOK {
					t.Fatalf("day %d: /mcp = %d, want 200", day, got)
				}
			}
			// A whole day without use: the token dies.
			s.clock.Advance(tokens.ClaudeIdleTimeout)
			if got := s.mcpStatus(tr.AccessToken); got != http.StatusUnauthorized {
				t.Fatalf("after a full idle day: /mcp = %d, want 401", got)
			}
			// The grant lives on: a refresh gives a fresh sliding token.
			resp := s.refresh(c, tr.RefreshToken)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh after the idle day: %d %s", resp.StatusCode, readBody(t, resp))
			}
			var next tokenResponse
			decodeJSON(t, resp, &next)
			if next.ExpiresIn != int64(tokens.ClaudeIdleTimeout/time.Second) {
				t.Errorf("refresh expires_in = %d, want one idle day", next.ExpiresIn)
			}
			if got := s.mcpStatus(next.AccessToken); got != http.StatusOK {
				t.Errorf("refreshed token: /mcp = %d, want 200", got)
			}
		})
	}
}

// TestClaudeTokenNeverOutlivesItsGrant: the sliding token's absolute end
// is the grant's refresh lifetime; expires_in says the shorter window.
func TestClaudeTokenNeverOutlivesItsGrant(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.RefreshTTL = 3 * 24 * time.Hour })
	c := s.registerClaude()
	tr := s.tokenPair(c)
	for range 5 {
		s.clock.Advance(14 * time.Hour)
		if got := s.mcpStatus(tr.AccessToken); got != http.StatusOK {
			t.Fatalf("/mcp = %d, want 200", got)
		}
	}
	s.clock.Advance(2 * time.Hour) // 72h: the grant's end
	if got := s.mcpStatus(tr.AccessToken); got != http.StatusUnauthorized {
		t.Fatalf("at the grant's end: /mcp = %d, want 401", got)
	}
	// A grant shorter than the idle timeout makes expires_in the time to
	// the absolute end.
	s = newTestServer(t, func(c *Config) { c.RefreshTTL = 90 * time.Minute })
	if tr := s.tokenPair(s.registerClaude()); tr.ExpiresIn != 90*60 {
		t.Errorf("expires_in = %d, want the time to the absolute end (5400)", tr.ExpiresIn)
	}
}

// TestOtherClientsKeepFixedTokens: a client no rule matches gets today's
// fixed hour, used or not; disabling the built-in rule does the same for
// Claude.
func TestOtherClientsKeepFixedTokens(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://127.0.0.1:33418/callback")
	tr := s.tokenPair(c)
	if tr.ExpiresIn != 3600 {
		t.Fatalf("expires_in = %d, want 3600", tr.ExpiresIn)
	}
	s.clock.Advance(50 * time.Minute)
	if got := s.mcpStatus(tr.AccessToken); got != http.StatusOK {
		t.Fatalf("/mcp = %d, want 200", got)
	}
	s.clock.Advance(10 * time.Minute)
	if got := s.mcpStatus(tr.AccessToken); got != http.StatusUnauthorized {
		t.Fatalf("after the hour: /mcp = %d, want 401", got)
	}

	s = newTestServer(t, func(c *Config) { c.TokenPolicies = []tokens.Rule{} })
	if tr := s.tokenPair(s.registerClaude()); tr.ExpiresIn != 3600 {
		t.Errorf("built-in rule disabled: expires_in = %d, want 3600", tr.ExpiresIn)
	}
}

// TestClaudeTokenRevocationIsInstant: every revocation path ends a sliding
// token on its very next request.
func TestClaudeTokenRevocationIsInstant(t *testing.T) {
	tests := []struct {
		name string
		// revoke revokes the grant of tr and returns the access token that
		// must now be refused.
		revoke func(t *testing.T, s *asServer, c testClient, tr tokenResponse) string
	}{
		{"connections page", func(t *testing.T, s *asServer, c testClient, tr tokenResponse) string {
			page := s.signInToConnections()
			resp := s.browserPost(pathConnectionsRevoke, formFor(t, page, pathConnectionsRevoke, grantOf(t, tr.AccessToken)))
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("revoke: status %d", resp.StatusCode)
			}
			return tr.AccessToken
		}},
		{"operator command (mcpgate grants revoke: Store.RevokeGrant)", func(t *testing.T, s *asServer, c testClient, tr tokenResponse) string {
			if err := s.cfg.Store.RevokeGrant(context.Background(), grantOf(t, tr.AccessToken)); err != nil {
				t.Fatal(err)
			}
			return tr.AccessToken
		}},
		{"/revoke with the access token", func(t *testing.T, s *asServer, c testClient, tr tokenResponse) string {
			if resp := s.postForm("/revoke", clientAuthForm(c, url.Values{"token": {tr.AccessToken}}), nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("/revoke: %d", resp.StatusCode)
			}
			return tr.AccessToken
		}},
		{"/revoke with the refresh token", func(t *testing.T, s *asServer, c testClient, tr tokenResponse) string {
			if resp := s.postForm("/revoke", clientAuthForm(c, url.Values{"token": {tr.RefreshToken}}), nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("/revoke: %d", resp.StatusCode)
			}
			return tr.AccessToken
		}},
		{"refresh token reuse", func(t *testing.T, s *asServer, c testClient, tr tokenResponse) string {
			resp := s.refresh(c, tr.RefreshToken)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh: %d", resp.StatusCode)
			}
			var next tokenResponse
			decodeJSON(t, resp, &next)
			if got := s.mcpStatus(next.AccessToken); got != http.StatusOK {
				t.Fatalf("the rotated pair's token: /mcp = %d", got)
			}
			s.clock.Advance(time.Minute) // past the grace window
			if resp := s.refresh(c, tr.RefreshToken); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("reused refresh token: %d, want 400", resp.StatusCode)
			}
			return next.AccessToken
		}},
		{"upstream revocation at a tool call", func(t *testing.T, s *asServer, c testClient, tr tokenResponse) string {
			// What a tool does when GitHub answers 401 and the token cannot
			// be refreshed (the fake provider has no refresh).
			grantID := grantOf(t, tr.AccessToken)
			ctx := context.Background()
			at, _, err := s.cfg.Store.GetAccessGrant(ctx, grantID, s.keys.Hash(tr.AccessToken))
			if err != nil {
				t.Fatal(err)
			}
			key, err := s.keys.UnwrapGrantKey(tr.AccessToken, grantID, at.WrappedKey)
			if err != nil {
				t.Fatal(err)
			}
			broker := &protected.UpstreamTokens{Store: s.cfg.Store, Providers: map[string]upstream.Provider{s.idp.name: s.idp}, Now: s.clock.Now}
			caller := &tokens.Caller{GrantID: grantID, ClientID: at.ClientID, UserID: at.UserID, Provider: s.idp.name, Scopes: at.Scopes, Key: key}
			if _, err := broker.Rejected(ctx, caller, s.idp.token.AccessToken); err == nil {
				t.Fatal("Rejected: want the grant revoked")
			}
			return tr.AccessToken
		}},
	}
	for _, store := range claudeStores {
		for _, tt := range tests {
			t.Run(store+"/"+tt.name, func(t *testing.T) {
				s := newStoreServer(t, store, nil)
				c := s.registerClaude()
				tr := s.tokenPair(c)
				s.clock.Advance(2 * time.Hour) // a use that extends the token
				if got := s.mcpStatus(tr.AccessToken); got != http.StatusOK {
					t.Fatalf("before revocation: /mcp = %d", got)
				}
				dead := tt.revoke(t, s, c, tr)
				if got := s.mcpStatus(dead); got != http.StatusUnauthorized {
					t.Fatalf("right after revocation: /mcp = %d, want 401", got)
				}
			})
		}
	}
}

// TestClaudeTokenAllowlistRecheckedAtExtension: a sliding token whose
// client never refreshes still meets the allowlist: the operator drops the
// person from it (a new configuration on the same store), and the token's
// next extension revokes the grant.
func TestClaudeTokenAllowlistRecheckedAtExtension(t *testing.T) {
	for _, store := range claudeStores {
		t.Run(store, func(t *testing.T) {
			s := newStoreServer(t, store, func(c *Config) {
				c.Allow = mustPolicy(t, allow.Rules{Users: []string{"github:4242"}})
			})
			c := s.registerClaude()
			tr := s.tokenPair(c)
			s.clock.Advance(2 * time.Hour)
			if got := s.mcpStatus(tr.AccessToken); got != http.StatusOK {
				t.Fatalf("still allowed: /mcp = %d, want 200", got)
			}
			// The same store under a configuration that no longer admits
			// github:4242.
			after := newTestServer(t, func(cfg *Config) {
				cfg.Store, cfg.Keys, cfg.Now = s.cfg.Store, s.cfg.Keys, s.cfg.Now
				cfg.Allow = mustPolicy(t, allow.Rules{Users: []string{"github:1"}})
			})
			// Within the bucket nothing is re-checked (no write, no check)...
			if got := after.mcpStatus(tr.AccessToken); got != http.StatusOK {
				t.Fatalf("within the bucket: /mcp = %d, want 200", got)
			}
			// ...the next extension is, and revokes.
			s.clock.Advance(tokens.DefaultSlidingBucket)
			if got := after.mcpStatus(tr.AccessToken); got != http.StatusUnauthorized {
				t.Fatalf("at the extension: /mcp = %d, want 401", got)
			}
			if _, err := s.cfg.Store.GetGrant(context.Background(), grantOf(t, tr.AccessToken)); err == nil {
				t.Fatal("the grant outlived the allowlist refusal")
			}
			if !strings.Contains(after.logs.String(), "grant revoked at a sliding token's extension") {
				t.Errorf("no log line for the revocation:\n%s", after.logs.String())
			}
		})
	}
}
