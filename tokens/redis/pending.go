package redis

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// pendingRecord carries its expiry so that reads honour the store's clock.
type pendingRecord struct {
	ExpiresAt time.Time      `json:"expires_at"`
	Pending   tokens.Pending `json:"pending"`
}

// PutPending stores an approved request for ttl; ErrAlreadyExists if the
// state hash is taken.
func (s *Store) PutPending(ctx context.Context, stateHash string, p tokens.Pending, ttl time.Duration) error {
	if s.err != nil {
		return s.err
	}
	now := s.now()
	exp := now.Add(ttl)
	v, err := encode("pending", pendingRecord{ExpiresAt: exp, Pending: p})
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, s.pendingKey(stateHash), v, time.Duration(ttlMillis(exp, now))*time.Millisecond).Result()
	if err != nil {
		return wrap("put pending", err)
	}
	if !ok {
		return tokens.ErrAlreadyExists
	}
	return nil
}

// TakePending reads and deletes a pending request in one step (GETDEL).
func (s *Store) TakePending(ctx context.Context, stateHash string) (tokens.Pending, error) {
	if s.err != nil {
		return tokens.Pending{}, s.err
	}
	raw, err := s.rdb.GetDel(ctx, s.pendingKey(stateHash)).Result()
	if err != nil {
		return tokens.Pending{}, wrap("take pending", err)
	}
	var rec pendingRecord
	if err := decode("pending", raw, &rec); err != nil {
		return tokens.Pending{}, err
	}
	if expired(rec.ExpiresAt, s.now()) {
		return tokens.Pending{}, tokens.ErrNotFound
	}
	return rec.Pending, nil
}
