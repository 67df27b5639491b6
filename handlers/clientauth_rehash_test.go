package handlers

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
)

// Issue 10 item 8: a confidential client registered under a secret that
// has since become a previous secret is re-hashed under the current one at
// its next authentication, so it keeps working once the old secret is
// dropped.
func TestClientSecretRehashedAfterSecretRotation(t *testing.T) {
	oldSecret := bytes.Repeat([]byte{0x3a, 0x91, 0x5c, 0xe7}, 8)
	newSecret := bytes.Repeat([]byte{0x6b, 0x02, 0xd4, 0x88}, 8)
	keyring := func(secrets ...[]byte) *tokens.Keyring {
		k, err := tokens.NewKeyring(secrets[0], secrets[1:]...)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	var store *memory.Store
	before := newTestServer(t, func(c *Config) {
		c.Keys = keyring(oldSecret)
		store = c.Store.(*memory.Store)
	})
	c := before.register(authMethodPost, "https://app.example.com/cb")
	if c.Secret == "" {
		t.Fatal("a client_secret_post registration got no secret")
	}
	stage := func(secrets ...[]byte) *asServer {
		return newTestServer(t, func(cfg *Config) {
			cfg.Keys = keyring(secrets...)
			cfg.Store = store
		})
	}

	rotating := stage(newSecret, oldSecret)
	revoke := func(s *asServer) *http.Response {
		return s.postForm("/revoke", clientAuthForm(c, map[string][]string{"token": {"mcpgate_at_unknown"}}), clientBasic(c))
	}
	if resp := revoke(rotating); resp.StatusCode != http.StatusOK {
		t.Fatalf("authentication during the rotation: %d %s", resp.StatusCode, readBody(t, resp))
	}
	got, err := store.GetClient(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !tokens.HashEqual(got.SecretHash, keyring(newSecret).Hash(c.Secret)) {
		t.Fatal("the client's secret hash was not re-hashed under the current server secret")
	}

	after := stage(newSecret) // the old secret is dropped
	if resp := revoke(after); resp.StatusCode != http.StatusOK {
		t.Fatalf("authentication after the old secret was dropped: %d %s", resp.StatusCode, readBody(t, resp))
	}
}
