package protected

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/upstream"
)

func withIDToken(g *Gateway) { g.Backend.Credential = CredentialIDToken }

// A backend with the id_token credential gets each person's own OIDC ID
// token, never the upstream access token or an mcpgate token.
func TestGatewayIDTokenCredential(t *testing.T) {
	for _, kind := range gwBackendKinds {
		t.Run(kind.name, func(t *testing.T) {
			b := newGWBackend(t, kind.opts)
			f := newGWFixture(t, b.srv.URL+"/mcp", withIDToken)
			alice := f.signInToken(t, "oidc:1", upstream.Token{AccessToken: "up-alice", IDToken: "idt-alice", TokenType: "bearer"}, gwRead, gwWrite)
			bob := f.signInToken(t, "oidc:2", upstream.Token{AccessToken: "up-bob", IDToken: "idt-bob", TokenType: "bearer"}, gwRead)
			ca, cb := f.connect(t, alice), f.connect(t, bob)
			if got := callText(t, ca, "echo_auth"); got != "Bearer idt-alice" {
				t.Fatalf("alice's call reached the backend with %q", got)
			}
			if got := callText(t, cb, "echo_auth"); got != "Bearer idt-bob" {
				t.Fatalf("bob's call reached the backend with %q", got)
			}
			for _, h := range b.seen() {
				if a := h.Get("Authorization"); a != "Bearer idt-alice" && a != "Bearer idt-bob" {
					t.Fatalf("backend saw Authorization %q", a)
				}
			}
			if logs := f.logs.String(); strings.Contains(logs, "idt-") || strings.Contains(logs, "up-alice") {
				t.Error("the gateway logged a token")
			}
		})
	}
}

// A grant whose upstream token has no ID token (a GitHub sign-in) is
// refused with 403 and a message a person can act on, before the backend.
func TestGatewayIDTokenMissing(t *testing.T) {
	b := newGWBackend(t, gwBackendOptions{json: true})
	f := newGWFixture(t, b.srv.URL+"/mcp", withIDToken)
	tok := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
	resp := f.rawPost(t, tok, "", mcpInitializeBody)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403: %s", resp.StatusCode, body)
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Description, "OpenID Connect sign-in") {
		t.Fatalf("body %s (%v), want a description asking for an OpenID Connect sign-in", body, err)
	}
	if n := len(b.seen()); n != 0 {
		t.Fatalf("the backend saw %d requests", n)
	}
}

// A backend refusing the ID token (HTTP 401) makes the broker refresh the
// upstream token once, and the retry carries the refreshed ID token; a
// dead refresh revokes the grant and answers mcpgate's 401 challenge.
func TestGatewayIDTokenRefused(t *testing.T) {
	t.Run("refresh and retry", func(t *testing.T) {
		b := newGWBackend(t, gwBackendOptions{})
		f := newGWFixture(t, b.srv.URL+"/mcp", withIDToken)
		tok := f.signInToken(t, "oidc:1", upstream.Token{AccessToken: "up-alice", RefreshToken: "rt", IDToken: "idt-alice"}, gwRead, gwWrite)
		b.refuse("idt-alice")
		cs := f.connect(t, tok)
		if got := callText(t, cs, "echo_auth"); got != "Bearer idt-alice-refreshed" {
			t.Fatalf("after refresh the backend saw %q", got)
		}
		if f.provider.calls != 1 {
			t.Fatalf("provider refreshed %d times, want 1", f.provider.calls)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		b := newGWBackend(t, gwBackendOptions{})
		f := newGWFixture(t, b.srv.URL+"/mcp", withIDToken)
		tok := f.signInToken(t, "oidc:1", upstream.Token{AccessToken: "up-alice", RefreshToken: "rt", IDToken: "idt-alice"}, gwRead, gwWrite)
		b.refuse("idt-alice")
		f.provider.dead = true
		resp := f.rawPost(t, tok, "", mcpInitializeBody)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
		if c := resp.Header.Get("WWW-Authenticate"); !strings.Contains(c, `error="invalid_token"`) || !strings.Contains(c, mcpTestPRM) {
			t.Fatalf("challenge %q, want mcpgate's invalid_token", c)
		}
	})
}
