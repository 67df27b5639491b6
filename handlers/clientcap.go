package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

// clientCapStore is what the registration cap needs from the store.
type clientCapStore = tokens.PruneStore

// Bounds of the lazy pruning that the registration cap runs.
const (
	// pruneTimeout bounds one pruning pass (it lists every client).
	pruneTimeout = 30 * time.Second
	// pruneEvery is the least time between two pruning passes of one
	// replica, so that a full store does not make every registration list
	// every client.
	pruneEvery = time.Minute
)

// clientCap keeps the number of registrations under Max (Limits.MaxClients).
// Registrations are durable, but Claude registers a new client on every
// fresh connection and most are abandoned: at the cap, the clients that
// never completed an authorization and are older than UnusedAge, and those
// without a live grant unused for IdleAge, are pruned
// (tokens.PruneClients), at most once per pruneEvery per replica and
// by one request at a time; if the store is still full the registration
// gets 503 temporarily_unavailable. Below the cap, pruning by age runs
// too, one batch with a cursor per pruneEvery (sweep), so abandoned
// registrations go long before the cap. The count is read before the write, so
// replicas registering at the same moment may pass the cap by a few: it is
// a bound on growth, not an exact quota. A nil *clientCap admits
// everything.
type clientCap struct {
	Store     clientCapStore
	Max       int
	UnusedAge time.Duration
	// IdleAge, when positive, also prunes registrations without a live
	// grant unused for this long (Limits.IdleClientAge).
	IdleAge time.Duration
	Logger  *slog.Logger
	Now     func() time.Time

	mu        sync.Mutex // held while pruning
	lastPrune time.Time  // guarded by mu
	// lastSweep and cursor drive the pruning by age that runs before the
	// cap is reached: one batch of registrations (tokens.PruneBatch) per
	// pruneEvery, resuming where the previous batch ended.
	lastSweep time.Time // guarded by mu
	cursor    string    // guarded by mu
}

// newClientCap returns the cap of cfg, or nil without one.
func newClientCap(cfg Config) *clientCap {
	if cfg.Limits.MaxClients <= 0 {
		return nil
	}
	return &clientCap{Store: cfg.Store, Max: cfg.Limits.MaxClients, UnusedAge: cfg.Limits.UnusedClientAge,
		IdleAge: cfg.Limits.IdleClientAge, Logger: cfg.Logger, Now: cfg.Now}
}

// rule is what may be pruned at now.
func (c *clientCap) rule(now time.Time) tokens.PruneRule {
	return PruneRuleOf(Limits{UnusedClientAge: c.UnusedAge, IdleClientAge: c.IdleAge}, now)
}

// PruneRuleOf is the pruning rule of limits at now: never-used
// registrations older than UnusedClientAge and, when IdleClientAge is set,
// registrations unused for that long; both only without a live grant.
// The registration cap, its sweep and the background pruning of
// cmd/mcpgate all prune by it.
func PruneRuleOf(l Limits, now time.Time) tokens.PruneRule {
	unused := l.UnusedClientAge
	if unused <= 0 {
		unused = DefaultUnusedClientAge
	}
	r := tokens.PruneRule{NeverUsedBefore: now.Add(-unused)}
	if l.IdleClientAge > 0 {
		r.IdleBefore = now.Add(-l.IdleClientAge)
	}
	return r
}

// tooManyClients is the answer when the cap holds.
func tooManyClients() *oauthError {
	return &oauthError{
		Code:        wire.TemporarilyUnavailable,
		Description: "too many registered clients; retry later",
		Status:      http.StatusServiceUnavailable,
	}
}

// admit reports whether one more client may be registered, pruning unused
// ones first when the store is full.
func (c *clientCap) admit(ctx context.Context) *oauthError {
	if c == nil {
		return nil
	}
	n, err := c.Store.CountClients(ctx)
	if err != nil {
		c.Logger.LogAttrs(ctx, slog.LevelError, "counting clients failed", slog.String("error", err.Error()))
		return storeUnavailable()
	}
	if n < c.Max {
		c.sweep(ctx)
		return nil
	}
	if !c.mu.TryLock() {
		return tooManyClients() // another registration is pruning right now
	}
	defer c.mu.Unlock()
	now := c.Now()
	if !c.lastPrune.IsZero() && now.Sub(c.lastPrune) < pruneEvery && !now.Before(c.lastPrune) {
		// Pruned moderately recently; a registration may have freed room
		// since (a count is cheap), but another pass would find little.
		return c.recount(ctx)
	}
	c.lastPrune = now
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pruneTimeout)
	defer cancel()
	deleted, err := tokens.PruneClients(pctx, c.Store, c.rule(now))
	if err != nil {
		c.Logger.LogAttrs(ctx, slog.LevelError, "pruning unused clients failed", slog.Int("deleted", deleted), slog.String("error", err.Error()))
	} else {
		c.Logger.LogAttrs(ctx, slog.LevelWarn, "client registrations at the cap: pruned unused clients",
			slog.Int("max_clients", c.Max), slog.Int("deleted", deleted))
	}
	return c.recount(ctx)
}

// sweep prunes one batch of old unused registrations, at most once per
// pruneEvery per replica, so that abandoned registrations go by age long
// before the cap is reached; successive sweeps walk all registrations with
// a cursor, never holding them all. A failure is logged: the registration
// itself goes on.
func (c *clientCap) sweep(ctx context.Context) {
	if !c.mu.TryLock() {
		return // another request is pruning
	}
	defer c.mu.Unlock()
	now := c.Now()
	if !c.lastSweep.IsZero() && now.Sub(c.lastSweep) < pruneEvery && !now.Before(c.lastSweep) {
		return
	}
	c.lastSweep = now
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pruneTimeout)
	defer cancel()
	deleted, next, err := tokens.PruneClientsBatch(pctx, c.Store, c.rule(now), c.cursor, tokens.PruneBatch)
	if err != nil {
		c.Logger.LogAttrs(ctx, slog.LevelError, "pruning unused clients failed", slog.Int("deleted", deleted), slog.String("error", err.Error()))
		c.cursor = ""
		return
	}
	c.cursor = next
	if deleted > 0 {
		c.Logger.LogAttrs(ctx, slog.LevelInfo, "pruned unused client registrations by age", slog.Int("deleted", deleted))
	}
}

func (c *clientCap) recount(ctx context.Context) *oauthError {
	n, err := c.Store.CountClients(ctx)
	if err != nil {
		c.Logger.LogAttrs(ctx, slog.LevelError, "counting clients failed", slog.String("error", err.Error()))
		return storeUnavailable()
	}
	if n >= c.Max {
		c.Logger.LogAttrs(ctx, slog.LevelWarn, "registration refused: too many registered clients", slog.Int("max_clients", c.Max))
		return tooManyClients()
	}
	return nil
}
