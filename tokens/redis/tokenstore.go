package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

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
	return s.retryCAS(func() error {
		now := s.now()
		raw, g, err := s.liveGrant(ctx, grantID, now)
		if err != nil {
			return err
		}
		g.ExpiresAt = is.GrantExpiresAt
		g.LastUsedAt = now
		g.RefreshGen = is.Refresh.Generation
		gv, err := s.encodeRecord(s.grantKey(grantID), "grant", g)
		if err != nil {
			return err
		}
		keys := []string{
			s.grantKey(grantID),
			s.accessKey(grantID, is.AccessHash),
			s.refreshKey(grantID, is.RefreshHash),
			s.grantSetKey(grantID),
			s.seenKey(grantID, is.AccessHash),
		}
		return scriptCAS(ctx, s.rdb, issueScript, "issue tokens", keys,
			raw, gv, ttlMillis(g.ExpiresAt, now),
			at, ttlMillis(is.Access.ExpiresAt, now),
			rt, ttlMillis(is.Refresh.ExpiresAt, now),
			is.Refresh.ExpiresAt.UnixMilli(), now.UnixMilli(),
			firstSeen(is.Access, now), is.Access.ExpiresAt.UnixMilli())
	})
}

// refreshCAS is the compare-and-set state of a RefreshRead: the grant and
// the refresh token as stored when they were read.
type refreshCAS struct{ grant, token string }

// ReadRefresh reads the client, the grant, the refresh token and its grace
// response in one round trip: a pipeline of a GET of the client (another
// hash slot; Redis Cluster sends each command to its node) and one MGET of
// the grant's three keys (one slot).
func (s *Store) ReadRefresh(ctx context.Context, clientID, grantID, refreshHash string) (tokens.RefreshRead, error) {
	if s.err != nil {
		return tokens.RefreshRead{}, s.err
	}
	read := tokens.RefreshRead{GrantID: grantID, Hash: refreshHash, ClientErr: tokens.ErrNotFound, Err: tokens.ErrNotFound}
	valid := validGrantID(grantID)
	if clientID == "" && !valid {
		return read, nil
	}
	var (
		client *goredis.StringCmd
		vals   *goredis.SliceCmd
	)
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		if clientID != "" {
			client = p.Get(ctx, s.clientKey(clientID))
		}
		if valid {
			vals = p.MGet(ctx, s.refreshKeys(grantID, refreshHash)...)
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return tokens.RefreshRead{}, wrap("read refresh grant", err)
	}
	if client != nil {
		switch raw, err := client.Result(); {
		case err == nil:
			if err := decode("client", raw, &read.Client); err != nil {
				return tokens.RefreshRead{}, err
			}
			read.ClientErr = nil
		case !isNil(err):
			return tokens.RefreshRead{}, wrap("get client", err)
		}
	}
	if vals == nil {
		return read, nil
	}
	v, err := vals.Result()
	if err != nil {
		return tokens.RefreshRead{}, wrap("get refresh token", err)
	}
	graw, g, rraw, r, err := s.refreshFrom(grantID, refreshHash, v, s.now())
	switch {
	case errors.Is(err, tokens.ErrNotFound):
		read.Grant = g // live, or zero
		return read, nil
	case err != nil:
		return tokens.RefreshRead{}, err
	}
	read.Grant, read.Token, read.CAS, read.Err = g, r, refreshCAS{grant: graw, token: rraw}, nil
	if !r.RotatedAt.IsZero() {
		read.Err = tokens.ErrRotated
	}
	return read, nil
}

// refreshKeys are the keys ReadRefresh reads of a grant, in the order
// refreshFrom expects their values: the grant, the refresh token, its
// grace response.
func (s *Store) refreshKeys(grantID, refreshHash string) []string {
	return []string{s.grantKey(grantID), s.refreshKey(grantID, refreshHash), s.graceKey(grantID, refreshHash)}
}

// refreshState reads the grant, a refresh token and its grace response in
// one MGET: see refreshFrom.
func (s *Store) refreshState(ctx context.Context, grantID, refreshHash string, now time.Time) (graw string, g tokens.Grant, rraw string, r tokens.RefreshToken, err error) {
	if !validGrantID(grantID) {
		return "", g, "", r, tokens.ErrNotFound
	}
	vals, err := mget(ctx, s.rdb, "get refresh token", s.refreshKeys(grantID, refreshHash)...)
	if err != nil {
		return "", g, "", r, err
	}
	return s.refreshFrom(grantID, refreshHash, vals, now)
}

// refreshFrom decodes the values of refreshKeys. It returns the raw values
// (for compare-and-set) and the decoded records, with the grace response
// in r.GraceResponse; ErrNotFound if the grant or the token is missing or
// lapsed, with the grant when it is live. It does not look at RotatedAt.
func (s *Store) refreshFrom(grantID, refreshHash string, vals []any, now time.Time) (graw string, g tokens.Grant, rraw string, r tokens.RefreshToken, err error) {
	if len(vals) != 3 {
		return "", g, "", r, fmt.Errorf("redis store: get refresh token: MGET returned %d values for 3 keys", len(vals))
	}
	graw, gok := vals[0].(string)
	rraw, rok := vals[1].(string)
	if !gok {
		return "", g, "", r, tokens.ErrNotFound
	}
	if g, err = s.decodeGrant(grantID, graw, now); err != nil {
		return "", tokens.Grant{}, "", r, err
	}
	if !rok {
		return "", g, "", r, tokens.ErrNotFound
	}
	if err := s.decodeRecord(s.refreshKey(grantID, refreshHash), "refresh token", rraw, &r); err != nil {
		if errors.Is(err, tokens.ErrNotFound) {
			return "", g, "", tokens.RefreshToken{}, err
		}
		return "", tokens.Grant{}, "", r, err
	}
	if expired(r.ExpiresAt, now) {
		return "", g, "", tokens.RefreshToken{}, tokens.ErrNotFound
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

// RotateRefresh replaces the token read found by its tombstone, keeps the
// grace response for its window and stores the next pair, in one script
// that applies only if neither the grant nor the old token changed since
// they were read: one round trip. Of several concurrent rotations of one
// token exactly one succeeds; each other one reads the token again, finds
// it rotated and returns ErrRotated. When only the grant changed (its
// upstream token was refreshed, another token of it was issued), the
// rotation is computed again from what was read anew.
func (s *Store) RotateRefresh(ctx context.Context, read tokens.RefreshRead, rot tokens.Rotation, next tokens.Issue) error {
	if s.err != nil {
		return s.err
	}
	if read.Err != nil {
		return read.Err
	}
	cas, ok := read.CAS.(refreshCAS)
	if !ok {
		return errors.New("redis store: RotateRefresh needs what ReadRefresh of this store read")
	}
	grantID, oldHash := read.GrantID, read.Hash
	next.Refresh.Predecessor = oldHash
	at, rt, err := s.encodePair(grantID, next)
	if err != nil {
		return err
	}
	g, old := read.Grant, read.Token
	for range maxCASAttempts {
		err := s.rotate(ctx, grantID, oldHash, cas, g, old, rot, next, at, rt)
		if !errors.Is(err, errCASConflict) {
			return err
		}
		var graw, rraw string
		if graw, g, rraw, old, err = s.refreshState(ctx, grantID, oldHash, s.now()); err != nil {
			return err
		}
		if !old.RotatedAt.IsZero() {
			return tokens.ErrRotated
		}
		cas = refreshCAS{grant: graw, token: rraw}
	}
	return errContention
}

// rotate runs rotateScript once for the grant g and token old stored as
// cas; errCASConflict if either changed.
func (s *Store) rotate(ctx context.Context, grantID, oldHash string, cas refreshCAS, g tokens.Grant, old tokens.RefreshToken,
	rot tokens.Rotation, next tokens.Issue, at, rt string) error {
	clock := s.now()
	tomb := old.Tombstone(rot)
	ov, err := s.encodeRecord(s.refreshKey(grantID, oldHash), "refresh token", tomb)
	if err != nil {
		return err
	}
	g.ExpiresAt = next.GrantExpiresAt
	g.LastUsedAt = rot.At
	g.RefreshGen = next.Refresh.Generation
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
	var retired [2]string // the access tokens to retire, "-" (no such key, in the grant's slot) for none
	for i := range retired {
		retired[i] = "-"
		if i < len(rot.Retire) {
			retired[i] = rot.Retire[i]
		}
	}
	keys := []string{
		s.grantKey(grantID),
		s.refreshKey(grantID, oldHash),
		s.accessKey(grantID, next.AccessHash),
		s.refreshKey(grantID, next.RefreshHash),
		s.grantSetKey(grantID),
		s.graceKey(grantID, oldHash),
		s.graceKey(grantID, predecessor),
		s.seenKey(grantID, next.AccessHash),
		s.accessKey(grantID, retired[0]),
		s.seenKey(grantID, retired[0]),
		s.accessKey(grantID, retired[1]),
		s.seenKey(grantID, retired[1]),
	}
	return scriptCAS(ctx, s.rdb, rotateScript, "rotate refresh token", keys,
		cas.grant, cas.token, gv, ttlMillis(g.ExpiresAt, clock), ov,
		at, ttlMillis(next.Access.ExpiresAt, clock),
		rt, ttlMillis(next.Refresh.ExpiresAt, clock),
		next.Refresh.ExpiresAt.UnixMilli(), clock.UnixMilli(),
		grace, ttlMillis(until, clock), until.UnixMilli(),
		firstSeen(next.Access, clock), next.Access.ExpiresAt.UnixMilli(),
		ttlMillis(tomb.ExpiresAt, clock), boolArg(tomb.ExpiresAt.Before(old.ExpiresAt)))
}

// boolArg is a script argument for a flag: "1" or "".
func boolArg(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// graceRecord is the grace response of a rotated refresh token, with its
// expiry so that reads honour the store's clock.
type graceRecord struct {
	ExpiresAt time.Time `json:"expires_at" msgpack:"x"`
	Response  []byte    `json:"response" msgpack:"v"`
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
