package tokens

import (
	"context"
	"errors"
	"time"
)

// PruneBatch is how many registrations one pruning step reads.
const PruneBatch = 500

// PruneStore is what pruning needs from a store.
type PruneStore interface {
	ClientStore
	GrantStore
}

// PruneUnusedClients deletes the registrations that were never used: no
// authorization code was ever exchanged (LastUsedAt is zero), they were
// created before createdBefore, and no live grant names them (a grant
// without LastUsedAt is an authorization in progress, or a client
// registered before LastUsedAt existed). It returns how many it deleted.
// It walks the registrations in batches (PruneUnusedClientsBatch), never
// holding them all.
//
// Claude registers a new client on every fresh connection and mcp-remote
// re-registers when its port changes, so abandoned registrations pile up;
// a client that ever obtained tokens is kept forever (registrations are
// durable). A registration that is pruned and later presented gets
// invalid_client, on which clients register again.
//
// Several callers may prune at once (replicas, the operator command): a
// client deleted by another is skipped.
func PruneUnusedClients(ctx context.Context, s PruneStore, createdBefore time.Time) (int, error) {
	return PruneClients(ctx, s, PruneRule{NeverUsedBefore: createdBefore})
}

// PruneClients walks every registration in batches and deletes those that
// rule matches and no live grant names (PruneClientsBatch); it returns how
// many it deleted.
func PruneClients(ctx context.Context, s PruneStore, rule PruneRule) (int, error) {
	deleted, cursor := 0, ""
	for {
		n, next, err := PruneClientsBatch(ctx, s, rule, cursor, PruneBatch)
		deleted += n
		if err != nil || next == "" {
			return deleted, err
		}
		cursor = next
	}
}

// PruneUnusedClientsBatch prunes (as PruneUnusedClients does) among one
// batch of about count registrations from cursor ("" for the first), and
// returns how many it deleted and the cursor of the next batch ("" when
// the walk is complete). Each candidate's grants are looked up through the
// per-client listing, so memory stays bounded by the batch.
func PruneUnusedClientsBatch(ctx context.Context, s PruneStore, createdBefore time.Time, cursor string, count int) (int, string, error) {
	return PruneClientsBatch(ctx, s, PruneRule{NeverUsedBefore: createdBefore}, cursor, count)
}

// PruneRule says which registrations without a live grant may go.
type PruneRule struct {
	// NeverUsedBefore: a client that never exchanged an authorization
	// code (LastUsedAt zero) and was created before this.
	NeverUsedBefore time.Time
	// IdleBefore, when not zero: any client whose last use (LastUsedAt,
	// or CreatedAt if it was never used) is before this, whether or not
	// it ever got tokens (issue 14: Claude leaves a registration behind
	// at every re-registration, and its last grant lapses unused).
	IdleBefore time.Time
}

// matches reports whether c is old enough under r (its grants are
// checked apart).
func (r PruneRule) matches(c Client) bool {
	if c.LastUsedAt.IsZero() && c.CreatedAt.Before(r.NeverUsedBefore) {
		return true
	}
	if r.IdleBefore.IsZero() {
		return false
	}
	last := c.CreatedAt
	if c.LastUsedAt.After(last) {
		last = c.LastUsedAt
	}
	return last.Before(r.IdleBefore)
}

// PruneClientsBatch deletes, among one batch of about count registrations
// from cursor, those that rule matches and that no live grant names; it
// returns how many it deleted and the next cursor ("" when the walk is
// complete).
func PruneClientsBatch(ctx context.Context, s PruneStore, rule PruneRule, cursor string, count int) (int, string, error) {
	clients, next, err := s.ScanClients(ctx, cursor, count)
	if err != nil {
		return 0, "", err
	}
	deleted := 0
	for _, c := range clients {
		if !rule.matches(c) {
			continue
		}
		grants, err := s.ListGrants(ctx, "", c.ID)
		if err != nil {
			return deleted, "", err
		}
		if len(grants) > 0 {
			continue
		}
		switch err := s.DeleteClient(ctx, c.ID); {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return deleted, "", err
		default:
			deleted++
		}
	}
	return deleted, next, nil
}
