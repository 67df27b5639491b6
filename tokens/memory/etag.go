package memory

import (
	"context"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

var _ tokens.ConditionalCache = (*Store)(nil)

// etagTable holds the conditional cache (tokens.ConditionalCache) by user.
// Lapsed users are swept away at most once per sweepEvery, on a Put.
type etagTable struct {
	users     map[string]*etagUser
	lastSweep time.Time
}

// etagUser is one user's entries, in the order they were last put.
type etagUser struct {
	entries   map[string][]byte
	order     []string
	size      int
	expiresAt time.Time
}

// GetETag implements tokens.ConditionalCache on the store's clock.
func (s *Store) GetETag(_ context.Context, user, entry string) ([]byte, error) {
	if err := tokens.CheckCacheNames(user, entry); err != nil {
		return nil, err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	u := s.etags.users[user]
	if u == nil || !now.Before(u.expiresAt) {
		return nil, nil
	}
	return slices.Clone(u.entries[entry]), nil
}

// PutETag implements tokens.ConditionalCache: the user's oldest entries
// go first when the bound is exceeded.
func (s *Store) PutETag(_ context.Context, user, entry string, value []byte, ttl time.Duration, maxBytes int) error {
	if err := tokens.CheckCacheEntry(user, entry, value, ttl, maxBytes); err != nil {
		return err
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	t := &s.etags
	if t.users == nil {
		t.users = map[string]*etagUser{}
	}
	if now.Sub(t.lastSweep) >= sweepEvery || now.Before(t.lastSweep) {
		for name, u := range t.users {
			if !now.Before(u.expiresAt) {
				delete(t.users, name)
			}
		}
		t.lastSweep = now
	}
	u := t.users[user]
	if u == nil || !now.Before(u.expiresAt) {
		u = &etagUser{entries: map[string][]byte{}}
		t.users[user] = u
	}
	if old, ok := u.entries[entry]; ok {
		u.size -= tokens.CacheEntrySize(entry, old)
		u.order = slices.DeleteFunc(u.order, func(e string) bool { return e == entry })
	}
	u.entries[entry] = slices.Clone(value)
	u.order = append(u.order, entry)
	u.size += tokens.CacheEntrySize(entry, value)
	for u.size > maxBytes && len(u.order) > 1 {
		oldest := u.order[0]
		u.size -= tokens.CacheEntrySize(oldest, u.entries[oldest])
		delete(u.entries, oldest)
		u.order = u.order[1:]
	}
	u.expiresAt = now.Add(ttl)
	return nil
}
