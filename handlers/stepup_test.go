package handlers

import (
	"net/http"
	"testing"
)

// pairWithScope runs the whole flow for c asking for scope, showing the
// consent page even when this browser approved c before.
func (s *asServer) pairWithScope(c testClient, scope string) tokenResponse {
	s.t.Helper()
	delete(s.cookies, "__Host-mcpgate_consent")
	verifier, challenge := pkce()
	params := authParams(c, challenge)
	params.Set("scope", scope)
	state := upstreamState(s.t, s.approve(params, s.idp.name))
	code := s.callback(state, s.idp.login(s.t, state)).Query().Get("code")
	resp := s.exchange(c, code, verifier)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("token exchange: status %d: %s", resp.StatusCode, readBody(s.t, resp))
	}
	var tr tokenResponse
	decodeJSON(s.t, resp, &tr)
	return tr
}

// TestStepUpRetiresNarrowerGrant: after a step-up (the same registered
// client, person and provider authorize a strict superset of the scopes of
// a live grant) the narrower grant is revoked; it is kept when the new
// grant is not a strict superset (a second device asking the same, or
// less), and for a client ID metadata document client, whose one ID is
// shared by every installation (Claude Code on two devices).
func TestStepUpRetiresNarrowerGrant(t *testing.T) {
	tests := []struct {
		name        string
		metadataDoc bool
		first, then string
		retired     bool
	}{
		{"step-up read to read+write", false, "mcp:read", "mcp:read mcp:write", true},
		{"same scopes again", false, "mcp:read", "mcp:read", false},
		{"narrower afterwards", false, "mcp:read mcp:write", "mcp:read", false},
		{"metadata document client", true, "mcp:read", "mcp:read mcp:write", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *asServer
			var c testClient
			if tt.metadataDoc {
				d := newCIMDDocServer(t)
				docURL := d.serveFile(t, "/clients/app.json", "app.json", "")
				s = newCIMDServer(t, d)
				c = cimdClient(docURL, cimdAppRedirect)
			} else {
				s = newTestServer(t, nil)
				c = s.register(authMethodNone, "http://localhost:7777/cb")
			}
			old := s.pairWithScope(c, tt.first)
			s.pairWithScope(c, tt.then)
			resp := s.refresh(c, old.RefreshToken)
			gotRetired := resp.StatusCode != http.StatusOK
			if gotRetired != tt.retired {
				t.Fatalf("the earlier grant retired: %v, want %v (refresh: %d %s)", gotRetired, tt.retired, resp.StatusCode, readBody(t, resp))
			}
			if tt.retired {
				if _, err := s.accessRecord(old.AccessToken); !isNotFound(err) {
					t.Errorf("the retired grant's access token still exists: %v", err)
				}
				if s.grantCount() != 1 {
					t.Errorf("%d grants, want 1", s.grantCount())
				}
			}
		})
	}
}
