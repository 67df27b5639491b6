package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
)

// TestPruneBatchRemovesWhatClaudeLeavesBehind: a registration that got
// tokens once, has no live grant and was not used for longer than
// prune_unused_clients_after goes; one used recently stays.
func TestPruneBatchRemovesWhatClaudeLeavesBehind(t *testing.T) {
	clock := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	store := memory.New(clock.Now)
	ctx := context.Background()
	for _, id := range []string{"old", "recent"} {
		if err := store.CreateClient(ctx, tokens.Client{ID: id, Name: "Claude", CreatedAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := store.TouchClient(ctx, id, clock.Now()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(7 * 24 * time.Hour)
	}
	limits := handlers.DefaultLimits()
	if next := pruneBatch(ctx, store, limits, "", slog.New(slog.DiscardHandler), clock.Now()); next != "" {
		t.Errorf("cursor %q after the only batch", next)
	}
	if _, err := store.GetClient(ctx, "old"); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("the idle registration was kept: %v", err)
	}
	if _, err := store.GetClient(ctx, "recent"); err != nil {
		t.Errorf("the recently used registration was pruned: %v", err)
	}
	// Off: nothing starts.
	limits.IdleClientAge = 0
	startPruner(ctx, store, limits, slog.New(slog.DiscardHandler), clock.Now)()
}
