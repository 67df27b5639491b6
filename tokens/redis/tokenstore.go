package redis

import (
	"context"
	"errors"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// IssueTokens stores a first token pair and extends the grant, atomically
// and only if the grant is still the one just read.
func (s *Store) IssueTokens(ctx context.Context, grantID string, is tokens.Issue) error {
	if s.err != nil {
		return s.err
	}
	at, rt, err := s.encodePair(grantID, is)
	if err != nil {
		return err
	}
	err = s.retryCAS(func() error {
		now := s.now()
		raw, g, err := s.liveGrant(ctx, grantID, now)
		if err != nil {
			return err
		}
		g.ExpiresAt = is.GrantExpiresAt
		g.LastUsedAt = now
		gv, err := s.encodeRecord(s.grantKey(grantID), "grant", g)
		if err != nil {
			return err
		}
		keys := []string{
			s.grantKey(grantID),
			s.accessKey(grantID, is.AccessHash),
			s.refreshKey(grantID, is.RefreshHash),
			s.grantSetKey(grantID),
		}
		return scriptCAS(ctx, s.rdb, issueScript, "issue tokens", keys,
			raw, gv, ttlMillis(g.ExpiresAt, now),
			at, ttlMillis(is.Access.ExpiresAt, now),
			rt, ttlMillis(is.Refresh.ExpiresAt, now),
			is.Access.ExpiresAt.UnixMilli(), is.Refresh.ExpiresAt.UnixMilli(), now.UnixMilli())
	})
	if err != nil {
		return err
	}
	return s.startSliding(ctx, grantID, is) // access.go
}

// refreshState reads the grant, a refresh token and its grace response in
// one MGET. It returns the raw values (for compare-and-set) and the decoded
// records, with the grace response in r.GraceResponse; ErrNotFound if the
// grant or the token is missing or lapsed. It does not look at RotatedAt.
func (s *Store) refreshState(ctx context.Context, grantID, refreshHash string, now time.Time) (graw string, g tokens.Grant, rraw string, r tokens.RefreshToken, err error) {
	if !validGrantID(grantID) {
		return "", g, "", r, tokens.ErrNotFound
	}
	vals, err := mget(ctx, s.rdb, "get refresh token", s.grantKey(grantID), s.refreshKey(grantID, refreshHash), s.graceKey(grantID, refreshHash))
	if err != nil {
		return "", g, "", r, err
	}
	graw, gok := vals[0].(string)
	rraw, rok := vals[1].(string)
	if !gok || !rok {
		return "", g, "", r, tokens.ErrNotFound
	}
	if g, err = s.decodeGrant(grantID, graw, now); err != nil {
		return "", g, "", r, err
	}
	if err := s.decodeRecord(s.refreshKey(grantID, refreshHash), "refresh token", rraw, &r); err != nil {
		return "", g, "", r, err
	}
	if expired(r.ExpiresAt, now) {
		return "", g, "", r, tokens.ErrNotFound
	}
	r.GraceResponse = nil
	if raw, ok := vals[2].(string); ok && !r.RotatedAt.IsZero() {
		var gr graceRecord
		err := s.decodeRecord(s.graceKey(grantID, refreshHash), "grace response", raw, &gr)
		if err != nil && !errors.Is(err, tokens.ErrNotFound) {
			return "", g, "", r, err
		}
		if err == nil && !expired(gr.ExpiresAt, now) {
			r.GraceResponse = gr.Response
		}
	}
	return graw, g, rraw, r, nil
}

// GetRefresh returns a refresh token record of a live grant, with
// ErrRotated if it was rotated.
func (s *Store) GetRefresh(ctx context.Context, grantID, refreshHash string) (tokens.RefreshToken, error) {
	if s.err != nil {
		return tokens.RefreshToken{}, s.err
	}
	_, _, _, r, err := s.refreshState(ctx, grantID, refreshHash, s.now())
	if err != nil {
		return tokens.RefreshToken{}, err
	}
	if !r.RotatedAt.IsZero() {
		return r, tokens.ErrRotated
	}
	return r, nil
}

// RotateRefresh replaces oldHash by its tombstone, keeps the grace response
// for its window and stores the next pair, in one script that applies only
// if neither the grant nor the old token changed since they were read. Of
// several concurrent rotations of one token exactly one succeeds; the
// others read the token again, find it rotated and return ErrRotated.
func (s *Store) RotateRefresh(ctx context.Context, grantID, oldHash string, rot tokens.Rotation, next tokens.Issue) error {
	if s.err != nil {
		return s.err
	}
	next.Refresh.Predecessor = oldHash
	at, rt, err := s.encodePair(grantID, next)
	if err != nil {
		return err
	}
	err = s.retryCAS(func() error {
		clock := s.now()
		graw, g, oraw, old, err := s.refreshState(ctx, grantID, oldHash, clock)
		if err != nil {
			return err
		}
		if !old.RotatedAt.IsZero() {
			return tokens.ErrRotated
		}
		ov, err := s.encodeRecord(s.refreshKey(grantID, oldHash), "refresh token", old.Tombstone(rot.At))
		if err != nil {
			return err
		}
		g.ExpiresAt = next.GrantExpiresAt
		g.LastUsedAt = rot.At
		gv, err := s.encodeRecord(s.grantKey(grantID), "grant", g)
		if err != nil {
			return err
		}
		grace, until := "", rot.GraceUntil()
		if len(rot.GraceResponse) > 0 && until.After(clock) {
			if grace, err = s.encodeRecord(s.graceKey(grantID, oldHash), "grace response", graceRecord{ExpiresAt: until, Response: rot.GraceResponse}); err != nil {
				return err
			}
		}
		predecessor := old.Predecessor
		if predecessor == "" {
			predecessor = "-" // no key has this name; DEL of it does nothing
		}
		keys := []string{
			s.grantKey(grantID),
			s.refreshKey(grantID, oldHash),
			s.accessKey(grantID, next.AccessHash),
			s.refreshKey(grantID, next.RefreshHash),
			s.grantSetKey(grantID),
			s.graceKey(grantID, oldHash),
			s.graceKey(grantID, predecessor),
		}
		return scriptCAS(ctx, s.rdb, rotateScript, "rotate refresh token", keys,
			graw, oraw, gv, ttlMillis(g.ExpiresAt, clock), ov,
			at, ttlMillis(next.Access.ExpiresAt, clock),
			rt, ttlMillis(next.Refresh.ExpiresAt, clock),
			next.Access.ExpiresAt.UnixMilli(), next.Refresh.ExpiresAt.UnixMilli(), clock.UnixMilli(),
			grace, ttlMillis(until, clock), until.UnixMilli())
	})
	if err != nil {
		return err
	}
	return s.startSliding(ctx, grantID, next) // access.go
}

// graceRecord is the grace response of a rotated refresh token, with its
// expiry so that reads honour the store's clock.
type graceRecord struct {
	ExpiresAt time.Time `json:"expires_at"`
	Response  []byte    `json:"response"`
}

// encodePair encodes the access and refresh token records of a token pair.
func (s *Store) encodePair(grantID string, is tokens.Issue) (access, refresh string, err error) {
	if access, err = s.encodeRecord(s.accessKey(grantID, is.AccessHash), "access token", is.Access); err != nil {
		return "", "", err
	}
	if refresh, err = s.encodeRecord(s.refreshKey(grantID, is.RefreshHash), "refresh token", is.Refresh); err != nil {
		return "", "", err
	}
	return access, refresh, nil
}
