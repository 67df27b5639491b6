package memory

import (
	"context"
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

// CountClients returns the number of registrations.
func (s *Store) CountClients(context.Context) (int, error) {
	s.lockedNow()
	defer s.mu.Unlock()
	return len(s.clients), nil
}
