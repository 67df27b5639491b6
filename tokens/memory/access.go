package memory

import (
	"context"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// SetSlidingBucket sets how often, at most, the use of one sliding access
// token is recorded (default tokens.DefaultSlidingBucket); d must be
// positive. Tests shorten or lengthen it; the Redis store takes the same
// setting in its Options.
func (s *Store) SetSlidingBucket(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.bucket = d
	}
}

// startSliding records the issue of a sliding access token as its first
// use. The caller holds s.mu.
func startSliding(g *grantEntry, is tokens.Issue, now time.Time) {
	if is.Access.IdleTimeout > 0 {
		g.seen[is.AccessHash] = tokens.Seen{Last: now}
	}
}

// retire makes the access tokens of rot.Retire (issued with the rotated
// refresh token) die when the rotation's grace window ends
// (tokens.Seen.Retired). The caller holds s.mu.
func retire(g *grantEntry, rot tokens.Rotation) {
	for _, h := range rot.Retire {
		if _, ok := g.access[h]; ok {
			seen := g.seen[h]
			seen.Retired = rot.GraceUntil()
			g.seen[h] = seen
		}
	}
}

// GetAccess returns a live access token of a live grant.
func (s *Store) GetAccess(ctx context.Context, grantID, accessHash string) (tokens.AccessToken, error) {
	a, _, err := s.GetAccessGrant(ctx, grantID, accessHash)
	return a, err
}

// GetAccessGrant returns a live access token and its live grant, without
// recording a use.
func (s *Store) GetAccessGrant(_ context.Context, grantID, accessHash string) (tokens.AccessToken, tokens.Grant, error) {
	now := s.lockedNow()
	defer s.mu.Unlock()
	g, a, ok := s.liveAccess(grantID, accessHash, now)
	if !ok {
		return tokens.AccessToken{}, tokens.Grant{}, tokens.ErrNotFound
	}
	return cloneAccess(a), cloneGrant(g.grant), nil
}

// UseAccess returns a live access token and its live grant, and records
// the use of a sliding token when its last record is a bucket old.
func (s *Store) UseAccess(_ context.Context, grantID, accessHash string) (tokens.AccessUse, error) {
	now := s.lockedNow()
	defer s.mu.Unlock()
	g, a, ok := s.liveAccess(grantID, accessHash, now)
	if !ok {
		return tokens.AccessUse{}, tokens.ErrNotFound
	}
	use := tokens.AccessUse{Access: cloneAccess(a), Grant: cloneGrant(g.grant)}
	if seen := g.seen[accessHash]; a.IdleTimeout > 0 && seen.Retired.IsZero() && now.Sub(seen.Last) >= s.bucket {
		g.seen[accessHash] = tokens.Seen{Last: now}
		use.Extended = true
	}
	return use, nil
}

// liveAccess finds a live access token of a live grant (tokens.AccessToken
// LiveAt), dropping a dead one. The caller holds s.mu.
func (s *Store) liveAccess(grantID, accessHash string, now time.Time) (*grantEntry, tokens.AccessToken, bool) {
	g := s.liveGrant(grantID, now)
	if g == nil {
		return nil, tokens.AccessToken{}, false
	}
	a, ok := g.access[accessHash]
	if !ok || !a.LiveAt(g.seen[accessHash], now) {
		delete(g.access, accessHash)
		delete(g.seen, accessHash)
		return nil, tokens.AccessToken{}, false
	}
	return g, a, true
}
