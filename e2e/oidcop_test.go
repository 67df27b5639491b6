package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// opAccount is the one account of oidc-op.mjs (its ACCOUNT).
var opAccount = struct {
	Sub, Email, Name, PreferredUsername string
}{"op-user-1", "user@example.test", "Olivia Provider", "olivia"}

// openIDProvider is a running oidc-op.mjs: oidc-provider with one client
// (mcpgate) and one account (opAccount).
type openIDProvider struct {
	// Issuer is the issuer identifier, http://127.0.0.1:<port>.
	Issuer string
	// ClientID and ClientSecret are mcpgate's client at the provider.
	ClientID, ClientSecret string
	// Password is the password of opAccount.
	Password string

	c *child
}

// startOpenIDProvider starts oidc-op.mjs (on the pinned Node 24:
// oidc-provider 9 wants Node >= 22) with a random client ID, client secret
// and account password, whose client accepts redirectURI, and waits for its
// issuer. Cleanup stops it and saves its stderr (requests and events) to
// <out>/oidc-op.stderr.log.
func startOpenIDProvider(t *testing.T, tc toolchain, out, redirectURI string) *openIDProvider {
	t.Helper()
	op := &openIDProvider{
		ClientID:     "mcpgate-" + randomHex(t, 6),
		ClientSecret: randomHex(t, 24),
		Password:     randomHex(t, 12),
	}
	cmd := exec.Command(tc.modernNode, "oidc-op.mjs", "--client-id", op.ClientID, "--redirect-uri", redirectURI)
	cmd.Dir = tc.dir
	cmd.Env = append(childEnv(), "OIDC_OP_CLIENT_SECRET="+op.ClientSecret, "OIDC_OP_PASSWORD="+op.Password)
	issuer := &lineWatcher{prefix: "ISSUER", found: make(chan string, 1)}
	cmd.Stdout = issuer
	c, err := startChild(cmd)
	if err != nil {
		t.Fatalf("oidc-op.mjs: %v", err)
	}
	op.c = c
	t.Cleanup(func() {
		c.stop()
		logs := c.stderr.String()
		if err := os.WriteFile(filepath.Join(out, "oidc-op.stderr.log"), []byte(logs), 0o644); err != nil {
			t.Errorf("saving the OpenID Provider's log: %v", err)
		}
		if t.Failed() {
			t.Logf("OpenID Provider (oidc-op.mjs) stderr:\n%s", tail([]byte(logs), 4000))
		}
	})
	select {
	case op.Issuer = <-issuer.found:
	case <-c.done:
		t.Fatalf("oidc-op.mjs exited before it was ready (%v):\n%s", c.waitErr, c.stderr.String())
	case <-time.After(startTimeout):
		t.Fatalf("oidc-op.mjs printed no issuer within %v:\n%s", startTimeout, c.stderr.String())
	}
	if !strings.HasPrefix(op.Issuer, "http://127.0.0.1:") {
		t.Fatalf("oidc-op.mjs reported issuer %q", op.Issuer)
	}
	return op
}

// opEvent is one "EVENT {json}" line of oidc-op.mjs.
type opEvent struct {
	Event               string `json:"event"`
	ClientID            string `json:"client_id"`
	Scope               string `json:"scope"`
	CodeChallengeMethod string `json:"code_challenge_method"`
	Nonce               bool   `json:"nonce"`
	RedirectURI         string `json:"redirect_uri"`
	GrantType           string `json:"grant_type"`
	Error               string `json:"error"`
	Description         string `json:"description"`
	OK                  bool   `json:"ok"`
}

// activity returns what the provider has logged so far: its events and its
// requests ("POST /token 200").
func (op *openIDProvider) activity(t *testing.T) (events []opEvent, requests []string) {
	t.Helper()
	for line := range strings.SplitSeq(op.c.stderr.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "EVENT "):
			var e opEvent
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "EVENT ")), &e); err != nil {
				t.Errorf("oidc-op.mjs event %q: %v", line, err)
				continue
			}
			events = append(events, e)
		case strings.HasPrefix(line, "REQUEST "):
			requests = append(requests, strings.TrimPrefix(line, "REQUEST "))
		}
	}
	return events, requests
}

// oidcCallback is mcpgate's redirect URI at an OpenID Provider for a
// gateway on port.
func oidcCallback(port int) string {
	return fmt.Sprintf("http://localhost:%d/oauth/callback/oidc", port)
}
