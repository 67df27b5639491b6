package memory

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// lockPoll bounds how long a waiting Lock sleeps before it looks at the
// clock again (a held lock can lapse without anyone releasing it).
const lockPoll = 10 * time.Millisecond

// Lock blocks until it holds key or ctx ends (ErrLocked). The hold lapses
// after ttl by the store's clock.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	timer := time.NewTimer(lockPoll)
	defer timer.Stop()
	for {
		now := s.lockedNow()
		l, held := s.locks[key]
		if !held || expired(l.expiresAt, now) {
			s.lockSeq++
			holder := s.lockSeq
			s.locks[key] = lockEntry{holder: holder, expiresAt: now.Add(ttl)}
			s.mu.Unlock()
			return func(context.Context) error {
				s.unlock(key, holder)
				return nil
			}, nil
		}
		wake := s.unlocked
		s.mu.Unlock()

		if ctx.Err() != nil {
			return nil, tokens.ErrLocked
		}
		timer.Reset(lockPoll)
		select {
		case <-ctx.Done():
			return nil, tokens.ErrLocked
		case <-wake:
		case <-timer.C:
		}
	}
}

func (s *Store) unlock(key string, holder uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.locks[key]; ok && l.holder == holder {
		delete(s.locks, key)
		close(s.unlocked)
		s.unlocked = make(chan struct{})
	}
}
