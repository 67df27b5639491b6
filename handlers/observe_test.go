package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/observe"
)

// TestAuditEventsOfTheAuthorizationServer drives a denied consent, an
// approved flow, a revocation by the person on /connections and a code
// replayed after use through the handlers, and checks the audit line each
// leaves, and that no token, code, state or cookie value reaches the log.
func TestAuditEventsOfTheAuthorizationServer(t *testing.T) {
	var audit bytes.Buffer
	s := newTestServer(t, func(cfg *Config) {
		cfg.Observer = &observe.Observer{Audit: observe.NewAudit(&audit, cfg.Now)}
	})
	c := s.register(authMethodPost, "https://app.example.com/cb")

	_, challenge := pkce()
	form := consentForm(t, readBody(t, s.browserGet("/authorize", authParams(c, challenge))))
	form.Set("deny", "deny")
	wantRedirectError(t, s.browserPost("/authorize", form), c.RedirectURI, wire.AccessDenied, "client-state-123")

	pair := s.tokenPair(c)
	grantID := grantOf(t, pair.AccessToken)

	verifier, challenge := pkce()
	delete(s.cookies, "__Host-mcpgate_consent") // s.authorize expects the consent page
	code := s.authorize(c, challenge).Query().Get("code")
	var second tokenResponse
	if err := json.Unmarshal([]byte(readBody(t, s.exchange(c, code, verifier))), &second); err != nil || second.AccessToken == "" {
		t.Fatalf("code exchange: %v", err)
	}
	if resp := s.exchange(c, code, verifier); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed code: %d, want 400", resp.StatusCode)
	}

	page := s.signInToConnections()
	if resp := s.browserPost(pathConnectionsRevoke, formFor(t, page, pathConnectionsRevoke, grantID)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke on /connections: %d", resp.StatusCode)
	}

	var events []map[string]string
	for line := range strings.SplitSeq(strings.TrimSpace(audit.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		flat := map[string]string{}
		for k, v := range e {
			if s, ok := v.(string); ok {
				flat[k] = s
			}
		}
		events = append(events, flat)
	}
	has := func(want map[string]string) bool {
		for _, e := range events {
			ok := true
			for k, v := range want {
				if e[k] != v {
					ok = false
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	for _, want := range []map[string]string{
		{"event": "client.registered", "client_id": c.ID},
		{"event": "consent.denied", "client_id": c.ID},
		{"event": "consent.approved", "client_id": c.ID, "provider": "github"},
		{"event": "signin", "client_id": c.ID, "result": "ok", "grant_id": grantID},
		{"event": "grant.issued", "client_id": c.ID, "grant_id": grantID},
		{"event": "token.reuse_detected", "grant_type": "authorization_code"},
		{"event": "grant.revoked", "by": "person", "grant_id": grantID, "client_id": c.ID},
	} {
		if !has(want) {
			t.Errorf("no audit event %v in:\n%s", want, audit.String())
		}
	}
	secrets := []string{c.Secret, pair.AccessToken, pair.RefreshToken, code, verifier, second.AccessToken, second.RefreshToken}
	for _, ck := range s.cookies {
		secrets = append(secrets, ck.Value)
	}
	for _, v := range secrets {
		if len(v) >= 8 && strings.Contains(audit.String(), v) {
			t.Errorf("the audit log holds a secret value %.12q…", v)
		}
	}
}
