package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/tokens"
)

// pruneInterval is how often the background pruning reads one batch of
// registrations (tokens.PruneBatch): 500 every ten minutes walks 72,000 a
// day per replica.
const pruneInterval = 10 * time.Minute

// startPruner prunes registrations in the background while ctx lasts
// (issue 14): one batch per pruneInterval, resuming where the previous one
// ended, by handlers.PruneRuleOf(limits) — never-used registrations past
// limits.unused_client_age, and registrations without a live grant unused
// for limits.prune_unused_clients_after. Nothing runs when the latter is
// off (the registration cap still prunes never-used ones on its own).
// Several replicas may prune at once; each deletion is idempotent. stop
// ends it and waits for a batch in progress, so the store can be closed.
func startPruner(ctx context.Context, store tokens.PruneStore, limits handlers.Limits, logger *slog.Logger, now func() time.Time) (stop func()) {
	if limits.IdleClientAge <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		ticker := time.NewTicker(pruneInterval)
		defer ticker.Stop()
		cursor := ""
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			cursor = pruneBatch(ctx, store, limits, cursor, logger, now())
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// pruneBatch prunes one batch from cursor and returns the next cursor.
func pruneBatch(ctx context.Context, store tokens.PruneStore, limits handlers.Limits, cursor string, logger *slog.Logger, now time.Time) string {
	bctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n, next, err := tokens.PruneClientsBatch(bctx, store, handlers.PruneRuleOf(limits, now), cursor, tokens.PruneBatch)
	if err != nil {
		if ctx.Err() == nil {
			logger.LogAttrs(ctx, slog.LevelError, "background pruning of client registrations failed", slog.Int("deleted", n), slog.String("error", err.Error()))
		}
		return ""
	}
	if n > 0 {
		logger.LogAttrs(ctx, slog.LevelInfo, "pruned client registrations without a live grant or recent use", slog.Int("deleted", n))
	}
	return next
}
