package memory

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// The token pairs of a grant: issue, refresh reads and rotation (the
// memory twin of tokens/redis/tokenstore.go).

// IssueTokens stores a first token pair and extends the grant.
func (s *Store) IssueTokens(_ context.Context, grantID string, is tokens.Issue) error {
	now := s.lockedNow()
	defer s.mu.Unlock()
	g := s.liveGrant(grantID, now)
	if g == nil {
		return tokens.ErrNotFound
	}
	s.issue(g, is, now)
	return nil
}

func (s *Store) issue(g *grantEntry, is tokens.Issue, now time.Time) {
	g.access[is.AccessHash] = cloneAccess(is.Access)
	startSliding(g, is, now)
	g.refresh[is.RefreshHash] = cloneRefresh(is.Refresh)
	g.grant.ExpiresAt = is.GrantExpiresAt
	g.grant.LastUsedAt = now
	g.grant.RefreshGen = is.Refresh.Generation
}

// GetRefresh returns a refresh token record, with ErrRotated (and the
// grace response while it lasts) if it was rotated.
func (s *Store) GetRefresh(_ context.Context, grantID, refreshHash string) (tokens.RefreshToken, error) {
	now := s.lockedNow()
	defer s.mu.Unlock()
	_, r, err := s.refreshOf(grantID, refreshHash, now)
	return r, err
}

// refreshOf returns the live grant entry and a copy of refresh token
// refreshHash of it, with ErrRotated (and the grace response while it
// lasts) for a rotated one; ErrNotFound for a missing token, with the
// grant entry if it is live. s.mu is held.
func (s *Store) refreshOf(grantID, refreshHash string, now time.Time) (*grantEntry, tokens.RefreshToken, error) {
	g := s.liveGrant(grantID, now)
	if g == nil {
		return nil, tokens.RefreshToken{}, tokens.ErrNotFound
	}
	r, ok := g.refresh[refreshHash]
	if !ok || expired(r.ExpiresAt, now) {
		delete(g.refresh, refreshHash)
		return g, tokens.RefreshToken{}, tokens.ErrNotFound
	}
	r = cloneRefresh(r)
	if !r.RotatedAt.IsZero() {
		if e, ok := g.graces[refreshHash]; ok && !expired(e.until, now) {
			r.GraceResponse = clone(e.response)
		}
		return g, r, tokens.ErrRotated
	}
	return g, r, nil
}

// ReadRefresh returns the client (unless clientID is ""), the grant and
// the refresh token, read together under the store's lock.
func (s *Store) ReadRefresh(_ context.Context, clientID, grantID, refreshHash string) (tokens.RefreshRead, error) {
	now := s.lockedNow()
	defer s.mu.Unlock()
	read := tokens.RefreshRead{GrantID: grantID, Hash: refreshHash, ClientErr: tokens.ErrNotFound}
	if c, ok := s.clients[clientID]; ok && clientID != "" {
		read.Client, read.ClientErr = cloneClient(c), nil
	}
	g, r, err := s.refreshOf(grantID, refreshHash, now)
	read.Err = err
	if g != nil {
		read.Grant, read.Token = cloneGrant(g.grant), r
	}
	return read, nil
}

// RotateRefresh replaces the token read found by its tombstone, keeps the
// grace response for its window, withdraws the predecessor's, and stores
// the next pair, atomically. The memory store needs no compare-and-set
// state: it checks the token again under its lock.
func (s *Store) RotateRefresh(_ context.Context, read tokens.RefreshRead, rot tokens.Rotation, next tokens.Issue) error {
	clock := s.lockedNow()
	defer s.mu.Unlock()
	g, old, err := s.refreshOf(read.GrantID, read.Hash, clock)
	if err != nil {
		return err
	}
	if old.Predecessor != "" {
		delete(g.graces, old.Predecessor)
	}
	g.refresh[read.Hash] = old.Tombstone(rot)
	retire(g, rot)
	if until := rot.GraceUntil(); len(rot.GraceResponse) > 0 && until.After(clock) {
		g.graces[read.Hash] = graceEntry{response: clone(rot.GraceResponse), until: until}
	}
	next.Refresh.Predecessor = read.Hash
	s.issue(g, next, rot.At)
	return nil
}
