package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// Code records are stored as one state byte, the code's expiry (Unix ms)
// and ":" then the record while the code is unused ('0'); once consumed,
// only the state byte '1' and the expiry remain (the tombstone), which is
// all reuse detection needs. (Before format v3 the record followed the
// state byte directly and stayed in the tombstone; such codes are still
// read.) The tombstone carries no MAC: a Redis writer who forges one for a
// live code can make its exchange revoke the grant, which deleting the
// grant does as well.
const (
	codeLive     = "0"
	codeConsumed = "1"
)

// PutCode stores an authorization code of a live grant until its
// ExpiresAt; ErrNotFound if the grant is gone.
func (s *Store) PutCode(ctx context.Context, codeHash string, c tokens.AuthCode) error {
	if s.err != nil {
		return s.err
	}
	v, err := s.encodeRecord(s.codeKey(c.GrantID, codeHash), "code", c)
	if err != nil {
		return err
	}
	return s.retryCAS(func() error {
		now := s.now()
		raw, _, err := s.liveGrant(ctx, c.GrantID, now)
		if err != nil {
			return err
		}
		keys := []string{s.grantKey(c.GrantID), s.codeKey(c.GrantID, codeHash), s.grantSetKey(c.GrantID)}
		live := codeLive + strconv.FormatInt(c.ExpiresAt.UnixMilli(), 10) + ":" + v
		n, err := scriptInt(ctx, s.rdb, putCodeScript, "put code", keys, raw, live, ttlMillis(c.ExpiresAt, now),
			c.ExpiresAt.UnixMilli(), now.UnixMilli())
		switch {
		case err != nil:
			return err
		case n == 0:
			return errCASConflict
		case n == 2:
			return tokens.ErrAlreadyExists
		}
		return nil
	})
}

// ConsumeCode takes a code once in one script, leaving a tombstone that
// keeps the code's TTL: the first call returns the code, later ones return
// its grant ID and expiry with ErrCodeReused.
func (s *Store) ConsumeCode(ctx context.Context, grantID, codeHash string) (tokens.AuthCode, error) {
	if s.err != nil {
		return tokens.AuthCode{}, s.err
	}
	if !validGrantID(grantID) {
		return tokens.AuthCode{}, tokens.ErrNotFound
	}
	now := s.now()
	res, err := consumeCodeScript.Run(ctx, s.rdb, []string{s.grantKey(grantID), s.codeKey(grantID, codeHash)}).Slice()
	if err != nil {
		return tokens.AuthCode{}, wrap("consume code", err)
	}
	if len(res) != 4 {
		return tokens.AuthCode{}, fmt.Errorf("redis store: consume code: script returned %d values", len(res))
	}
	consumed, _ := res[0].(int64)
	codeRaw, _ := res[1].(string)
	grantRaw, _ := res[2].(string)
	expiry, _ := res[3].(string)
	if _, err := s.decodeGrant(grantID, grantRaw, now); err != nil {
		return tokens.AuthCode{}, err
	}
	var c tokens.AuthCode
	if consumed == 1 && codeRaw == "" {
		ms, err := strconv.ParseInt(expiry, 10, 64)
		if err != nil {
			return tokens.AuthCode{}, fmt.Errorf("redis store: consume code: tombstone expiry %q", expiry)
		}
		c = tokens.AuthCode{GrantID: grantID, ExpiresAt: time.UnixMilli(ms).UTC()}
	} else if err := s.decodeRecord(s.codeKey(grantID, codeHash), "code", codeRaw, &c); err != nil {
		return tokens.AuthCode{}, err
	}
	if expired(c.ExpiresAt, now) {
		return tokens.AuthCode{}, tokens.ErrNotFound
	}
	if consumed == 1 {
		return c, tokens.ErrCodeReused
	}
	return c, nil
}
