package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/tokens"
)

// errCASConflict ends a compare-and-set attempt that lost to another
// writer; the caller reads again and retries.
var errCASConflict = errors.New("redis store: concurrent update")

// errContention is returned when maxCASAttempts all lost.
var errContention = errors.New("redis store: too many concurrent updates of one grant")

// CreateGrant stores a new grant with a TTL of its ExpiresAt and indexes it
// for listing (all grants, the user's, the client's); ErrAlreadyExists if
// the ID is taken.
func (s *Store) CreateGrant(ctx context.Context, g tokens.Grant) error {
	if s.err != nil {
		return s.err
	}
	if !validGrantID(g.ID) {
		return errors.New("redis store: grant ID must be non-empty and without braces")
	}
	v, err := s.encodeRecord(s.grantKey(g.ID), "grant", g)
	if err != nil {
		return err
	}
	ttl := time.Duration(ttlMillis(g.ExpiresAt, s.now())) * time.Millisecond
	ok, err := s.rdb.SetNX(ctx, s.grantKey(g.ID), v, ttl).Result()
	if err != nil {
		return wrap("create grant", err)
	}
	if !ok {
		return tokens.ErrAlreadyExists
	}
	return s.indexGrant(ctx, g)
}

// liveGrant reads the grant: its raw value (for compare-and-set) and
// decoded record. ErrNotFound if it is missing or lapsed.
func (s *Store) liveGrant(ctx context.Context, grantID string, now time.Time) (string, tokens.Grant, error) {
	if !validGrantID(grantID) {
		return "", tokens.Grant{}, tokens.ErrNotFound
	}
	raw, err := s.rdb.Get(ctx, s.grantKey(grantID)).Result()
	if err != nil {
		return "", tokens.Grant{}, wrap("get grant", err)
	}
	g, err := s.decodeGrant(grantID, raw, now)
	return raw, g, err
}

// decodeGrant verifies and decodes grant grantID and checks its expiry.
func (s *Store) decodeGrant(grantID, raw string, now time.Time) (tokens.Grant, error) {
	var g tokens.Grant
	if err := s.decodeRecord(s.grantKey(grantID), "grant", raw, &g); err != nil {
		return tokens.Grant{}, err
	}
	if expired(g.ExpiresAt, now) {
		return tokens.Grant{}, tokens.ErrNotFound
	}
	return g, nil
}

// GetGrant returns a live grant or ErrNotFound.
func (s *Store) GetGrant(ctx context.Context, id string) (tokens.Grant, error) {
	if s.err != nil {
		return tokens.Grant{}, s.err
	}
	_, g, err := s.liveGrant(ctx, id, s.now())
	return g, err
}

// SetUpstream replaces the grant's sealed upstream token, keeping its TTL.
func (s *Store) SetUpstream(ctx context.Context, grantID string, sealed []byte) error {
	if s.err != nil {
		return s.err
	}
	return s.retryCAS(func() error {
		raw, g, err := s.liveGrant(ctx, grantID, s.now())
		if err != nil {
			return err
		}
		g.Upstream = sealed
		v, err := s.encodeRecord(s.grantKey(grantID), "grant", g)
		if err != nil {
			return err
		}
		return scriptCAS(ctx, s.rdb, casGrantScript, "set upstream", []string{s.grantKey(grantID)}, raw, v)
	})
}

// retryCAS runs attempt until it does not report a lost compare-and-set.
func (s *Store) retryCAS(attempt func() error) error {
	for range maxCASAttempts {
		if err := attempt(); !errors.Is(err, errCASConflict) {
			return err
		}
	}
	return errContention
}

// RevokeGrant deletes the grant with all its codes and tokens in one
// script, then drops it from the listing sets.
func (s *Store) RevokeGrant(ctx context.Context, grantID string) error {
	if s.err != nil {
		return s.err
	}
	if !validGrantID(grantID) {
		return nil
	}
	raw, err := revokeScript.Run(ctx, s.rdb, []string{s.grantKey(grantID), s.grantSetKey(grantID)}).Text()
	if err != nil && !isNil(err) {
		return wrap("revoke grant", err)
	}
	return s.unindexGrant(ctx, grantID, raw)
}

// scriptCAS runs a compare-and-set script that answers 1 when it applied
// and 0 when a value it compared had changed (errCASConflict, which
// retryCAS retries).
func scriptCAS(ctx context.Context, rdb goredis.UniversalClient, sc *goredis.Script, op string, keys []string, args ...any) error {
	n, err := scriptInt(ctx, rdb, sc, op, keys, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return errCASConflict
	}
	return nil
}

// scriptInt runs a script that answers with an integer.
func scriptInt(ctx context.Context, rdb goredis.UniversalClient, sc *goredis.Script, op string, keys []string, args ...any) (int, error) {
	n, err := sc.Run(ctx, rdb, keys, args...).Int()
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}
