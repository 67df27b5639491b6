package handlers

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// Issue 10 item 3 (store side): old never-used registrations are pruned by
// age well below the cap, in batches, as registrations come in.
func TestClientsPrunedByAgeBelowTheCap(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{MaxClients: 100000, UnusedClientAge: time.Hour}))
	used := s.register(authMethodNone, "http://localhost:7777/cb")
	s.tokenPair(used)
	abandoned := s.register(authMethodNone, "http://localhost:7777/cb")
	s.clock.Advance(2 * time.Hour)
	if resp := registerFrom(s, "198.51.100.7"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, readBody(t, resp))
	}
	ctx := context.Background()
	if _, err := s.store.GetClient(ctx, abandoned.ID); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("a never-used registration two hours old survives below the cap (%v)", err)
	}
	if _, err := s.store.GetClient(ctx, used.ID); err != nil {
		t.Errorf("the used registration was pruned: %v", err)
	}
}
