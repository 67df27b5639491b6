package redis

import (
	"cmp"
	"context"
	"errors"
	"slices"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/tokens"
)

// Grants are listed through three sets of grant IDs: all grants, the
// grants of one user and the grants of one client (keys.go). They live
// outside the grants' hash tags (one set spans many grants, so many slots)
// and are kept best effort: CreateGrant adds to them after storing the
// grant, RevokeGrant removes from them after deleting it, and a grant that
// lapses by its TTL stays listed until a listing finds it gone and prunes
// it. Every command on them is a single-key command, sent in pipelines,
// which Redis Cluster accepts whatever slots the keys fall in.

// indexGrant adds the grant's ID to the listing sets.
func (s *Store) indexGrant(ctx context.Context, g tokens.Grant) error {
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.SAdd(ctx, s.grantsKey(), g.ID)
		p.SAdd(ctx, s.userGrantsKey(g.UserID), g.ID)
		p.SAdd(ctx, s.clientGrantsKey(g.ClientID), g.ID)
		return nil
	})
	if err != nil {
		return wrap("index grant", err)
	}
	return nil
}

// unindexGrant removes a revoked grant's ID from the listing sets. raw is
// the grant as the revocation found it, which names its user and client;
// when it was already gone (or unreadable) only the set of all grants is
// known, and the ID stays in the others until a listing of them prunes it.
func (s *Store) unindexGrant(ctx context.Context, grantID, raw string) error {
	keys := []string{s.grantsKey()}
	var g tokens.Grant
	if raw != "" && s.decodeRecord(s.grantKey(grantID), "grant", raw, &g) == nil {
		keys = append(keys, s.userGrantsKey(g.UserID), s.clientGrantsKey(g.ClientID))
	}
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, k := range keys {
			p.SRem(ctx, k, grantID)
		}
		return nil
	})
	if err != nil {
		return wrap("unindex grant", err)
	}
	return nil
}

// ListGrants returns live grants, oldest first, filtered by user and client
// when those are non-empty. It reads the most selective listing set (the
// user's, else the client's, else all grants), so listing one user's
// grants costs that user's grants, not everyone's. IDs in that set whose
// grant is gone, or belongs to another user or client (an ID reused after
// its grant lapsed), are pruned from it as a side effect.
func (s *Store) ListGrants(ctx context.Context, userID, clientID string) ([]tokens.Grant, error) {
	if s.err != nil {
		return nil, s.err
	}
	key := s.grantsKey()
	belongs := func(tokens.Grant) bool { return true }
	switch {
	case userID != "":
		key = s.userGrantsKey(userID)
		belongs = func(g tokens.Grant) bool { return g.UserID == userID }
	case clientID != "":
		key = s.clientGrantsKey(clientID)
		belongs = func(g tokens.Grant) bool { return g.ClientID == clientID }
	}
	members, err := s.rdb.SMembers(ctx, key).Result()
	if err != nil {
		return nil, wrap("list grants", err)
	}
	var ids []string
	var stale []any
	for _, id := range members {
		if validGrantID(id) {
			ids = append(ids, id)
		} else {
			stale = append(stale, id)
		}
	}
	recs, gone, err := s.getEach(ctx, "list grants", ids, s.grantKey)
	if err != nil {
		return nil, err
	}
	stale = append(stale, gone...)
	now := s.now()
	out := []tokens.Grant{}
	for _, r := range recs {
		var g tokens.Grant
		if err := s.decodeRecord(s.grantKey(r.id), "grant", r.raw, &g); err != nil {
			if errors.Is(err, tokens.ErrNotFound) {
				continue // forged: not listed
			}
			return nil, err
		}
		if !belongs(g) {
			stale = append(stale, r.id)
			continue
		}
		if expired(g.ExpiresAt, now) || (userID != "" && g.UserID != userID) || (clientID != "" && g.ClientID != clientID) {
			continue
		}
		out = append(out, g)
	}
	if len(stale) > 0 {
		if err := s.rdb.SRem(ctx, key, stale...).Err(); err != nil {
			return nil, wrap("prune grant index", err)
		}
	}
	slices.SortFunc(out, func(a, b tokens.Grant) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
