package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// lockPoll is how long Lock waits between attempts.
const lockPoll = 25 * time.Millisecond

// Lock takes key across every replica sharing this Redis, polling until it
// is free or ctx ends (ErrLocked). The lock lapses after ttl by its Redis
// TTL (never by a replica's own clock, which may disagree with the others'),
// so a holder that dies never blocks others for longer. unlock deletes it
// only while it still holds this caller's random value.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if s.err != nil {
		return nil, s.err
	}
	var nonce [16]byte
	rand.Read(nonce[:]) // never returns an error
	k := s.lockKey(key)
	timer := time.NewTimer(lockPoll)
	defer timer.Stop()
	for {
		if ctx.Err() != nil {
			return nil, tokens.ErrLocked
		}
		value := hex.EncodeToString(nonce[:])
		ms := max(ttl.Milliseconds(), 1)
		n, err := scriptInt(ctx, s.rdb, lockScript, "lock", []string{k}, value, ms)
		if err != nil {
			if ctx.Err() != nil {
				return nil, tokens.ErrLocked
			}
			return nil, err
		}
		if n == 1 {
			return func(ctx context.Context) error {
				_, err := scriptInt(ctx, s.rdb, unlockScript, "unlock", []string{k}, value)
				return err
			}, nil
		}
		timer.Reset(lockPoll)
		select {
		case <-ctx.Done():
			return nil, tokens.ErrLocked
		case <-timer.C:
		}
	}
}
