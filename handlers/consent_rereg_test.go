package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/tokens"
)

// Issue 14: a re-registration of an approved client (same client_name,
// same https redirect URI, same scopes and provider) finds the approval;
// anything else meets the consent page.
func TestReregistrationSkipsConsent(t *testing.T) {
	for _, store := range claudeStores {
		t.Run(store, func(t *testing.T) {
			s := newStoreServer(t, store, nil)
			first := s.registerClaude()
			s.tokenPair(first) // consent shown and approved

			again := s.registerClaude()
			if again.ID == first.ID {
				t.Fatal("the second registration got the same client ID")
			}
			verifier, challenge := pkce()
			resp := s.browserGet("/authorize", authParams(again, challenge))
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("re-registration: GET /authorize = %d, want 302 upstream (no consent page): %s", resp.StatusCode, readBody(t, resp))
			}
			state := upstreamState(t, resp)
			code := s.callback(state, s.idp.login(t, state)).Query().Get("code")
			if resp := s.exchange(again, code, verifier); resp.StatusCode != http.StatusOK {
				t.Fatalf("exchange: %d %s", resp.StatusCode, readBody(t, resp))
			}
			logs := s.logs.String()
			for _, want := range []string{"client re-registered", "user_id=github:4242", "client_id=" + again.ID, "previous_client_id=" + first.ID} {
				if !strings.Contains(logs, want) {
					t.Errorf("re-registration log lacks %q:\n%s", want, logs)
				}
			}
			if !strings.Contains(logs, "earlier registration with the same name and redirect URI") {
				t.Errorf("the skipped consent is not logged")
			}
			for _, tok := range []string{"mcpgate_at_", "mcpgate_rt_", "mcpgate_ac_"} {
				if strings.Contains(logs, tok) {
					t.Errorf("logs hold a token (%s)", tok)
				}
			}
		})
	}
}

func TestReregistrationConsentStillShown(t *testing.T) {
	tests := []struct {
		name string
		// first and second are the registrations; params may change the
		// second authorization request.
		first, second func(s *asServer) testClient
		scope         string
	}{
		{"other redirect URI",
			func(s *asServer) testClient { return s.registerClaude() },
			func(s *asServer) testClient {
				return s.registerNamed("Claude", "https://claude.ai/api/mcp/other_callback")
			}, ""},
		{"other name",
			func(s *asServer) testClient { return s.registerClaude() },
			func(s *asServer) testClient {
				return s.registerNamed("Claude Helper", "https://claude.ai/api/mcp/auth_callback")
			}, ""},
		{"other scopes",
			func(s *asServer) testClient { return s.registerClaude() },
			func(s *asServer) testClient { return s.registerClaude() }, "mcp:read"},
		{"loopback redirect URI",
			func(s *asServer) testClient {
				return s.registerNamed("Inspector", "http://localhost:6274/oauth/callback")
			},
			func(s *asServer) testClient {
				return s.registerNamed("Inspector", "http://localhost:6274/oauth/callback")
			}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			s.tokenPair(tt.first(s))
			c := tt.second(s)
			_, challenge := pkce()
			params := authParams(c, challenge)
			if tt.scope != "" {
				params.Set("scope", tt.scope)
			}
			resp := s.browserGet("/authorize", params)
			if resp.StatusCode != http.StatusOK || !strings.Contains(readBody(t, resp), "csrf_token") {
				t.Fatalf("GET /authorize = %d, want the consent page", resp.StatusCode)
			}
		})
	}
}

func TestReregistrationKey(t *testing.T) {
	claude := tokens.Client{ID: "abc", Name: "Claude"}
	const uri = "https://claude.ai/api/mcp/auth_callback"
	subject := uri + "\x00mcp:read mcp:write"
	base := reregistrationKey(claude, uri, subject, "github")
	if base == "" {
		t.Fatal("Claude's registration has no re-registration key")
	}
	if got := reregistrationKey(tokens.Client{ID: "other", Name: "Claude"}, uri, subject, "github"); got != base {
		t.Errorf("the key depends on the client ID")
	}
	for name, got := range map[string]string{
		"no name":   reregistrationKey(tokens.Client{ID: "abc"}, uri, subject, "github"),
		"CIMD":      reregistrationKey(tokens.Client{ID: "https://claude.ai/oauth/mcp-oauth-client-metadata", Name: "Claude"}, uri, subject, "github"),
		"loopback":  reregistrationKey(claude, "https://127.0.0.1:33418/cb", subject, "github"),
		"http":      reregistrationKey(claude, "http://claude.ai/cb", subject, "github"),
		"localhost": reregistrationKey(claude, "https://localhost/cb", subject, "github"),
	} {
		if got != "" {
			t.Errorf("%s: key %q, want none", name, got)
		}
	}
	if reregistrationKey(claude, uri, subject, "google") == base {
		t.Errorf("the key does not depend on the provider")
	}
	if reregistrationKey(claude, uri, uri+"\x00mcp:read", "github") == base {
		t.Errorf("the key does not depend on the scopes")
	}
}
