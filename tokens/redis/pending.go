package redis

import (
	"context"
	"encoding/json"
	"fmt"
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
	b, err := json.Marshal(pendingRecord{ExpiresAt: exp, Pending: p})
	if err != nil {
		return fmt.Errorf("redis store: encoding pending: %w", err)
	}
	// Sealed: the upstream PKCE verifier, the OIDC nonce and the client's
	// state never sit in Redis in clear (issue 10 item 7).
	v, err := s.keys.SealPending(stateHash, b)
	if err != nil {
		return fmt.Errorf("redis store: sealing pending: %w", err)
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
	body, err := s.keys.OpenPending(stateHash, []byte(raw))
	if err != nil {
		s.logger.Warn("redis store: a pending sign-in does not open; treated as absent")
		return tokens.Pending{}, tokens.ErrNotFound
	}
	var rec pendingRecord
	if err := decode("pending", string(body), &rec); err != nil {
		return tokens.Pending{}, err
	}
	if expired(rec.ExpiresAt, s.now()) {
		return tokens.Pending{}, tokens.ErrNotFound
	}
	return rec.Pending, nil
}
