package memory

import (
	"context"
	"slices"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// TouchClient sets the client's LastUsedAt to at unless it is already
// later; ErrNotFound if there is no such client.
func (s *Store) TouchClient(_ context.Context, id string, at time.Time) error {
	s.lockedNow()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return tokens.ErrNotFound
	}
	if at.After(c.LastUsedAt) {
		c.LastUsedAt = at
		s.clients[id] = c
	}
	return nil
}

// SetClientSecretHash replaces the client's SecretHash if it is still
// oldHash.
func (s *Store) SetClientSecretHash(_ context.Context, id, oldHash, newHash string) error {
	s.lockedNow()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return tokens.ErrNotFound
	}
	if c.SecretHash == oldHash {
		c.SecretHash = newHash
		s.clients[id] = c
	}
	return nil
}

// ScanClients returns up to count clients in ID order after cursor (the
// last ID of the previous batch).
func (s *Store) ScanClients(_ context.Context, cursor string, count int) ([]tokens.Client, string, error) {
	s.lockedNow()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.clients))
	for id := range s.clients {
		if id > cursor {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	count = max(count, 1)
	next := ""
	if len(ids) > count {
		ids = ids[:count]
		next = ids[count-1]
	}
	out := make([]tokens.Client, len(ids))
	for i, id := range ids {
		out[i] = cloneClient(s.clients[id])
	}
	return out, next, nil
}

// CountClients returns the number of registrations.
func (s *Store) CountClients(context.Context) (int, error) {
	s.lockedNow()
	defer s.mu.Unlock()
	return len(s.clients), nil
}
