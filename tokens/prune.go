package tokens

import (
	"context"
	"errors"
	"time"
)

// PruneUnusedClients deletes the registrations that were never used: no
// authorization code was ever exchanged (LastUsedAt is zero), they were
// created before createdBefore, and no live grant names them (a grant
// without LastUsedAt is an authorization in progress, or a client
// registered before LastUsedAt existed). It returns how many it deleted.
//
// Claude registers a new client on every fresh connection and mcp-remote
// re-registers when its port changes, so abandoned registrations pile up;
// a client that ever obtained tokens is kept forever (registrations are
// durable). A registration that is pruned and later presented gets
// invalid_client, on which clients register again.
//
// Several callers may prune at once (replicas, the operator command): a
// client deleted by another is skipped.
func PruneUnusedClients(ctx context.Context, s interface {
	ClientStore
	GrantStore
}, createdBefore time.Time) (int, error) {
	clients, err := s.ListClients(ctx)
	if err != nil {
		return 0, err
	}
	var candidates []Client
	for _, c := range clients {
		if c.LastUsedAt.IsZero() && c.CreatedAt.Before(createdBefore) {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) == 0 {
		return 0, nil
	}
	grants, err := s.ListGrants(ctx, "", "")
	if err != nil {
		return 0, err
	}
	granted := make(map[string]bool, len(grants))
	for _, g := range grants {
		granted[g.ClientID] = true
	}
	deleted := 0
	for _, c := range candidates {
		if granted[c.ID] {
			continue
		}
		switch err := s.DeleteClient(ctx, c.ID); {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return deleted, err
		default:
			deleted++
		}
	}
	return deleted, nil
}
