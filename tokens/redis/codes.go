package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// A live code is stored as the state byte '0' followed by the record.
// Consuming it deletes the key; its name stays in the grant's key index,
// scored by the code's expiry, and is the tombstone that detects a reuse
// until then, at no cost of a key of its own. (Before format v3 a consumed
// code kept its key as '1' + the record; such tombstones are still read.)
// The index entry carries no MAC: a Redis writer who adds one for a live
// code can make its exchange revoke the grant, which deleting the grant
// does as well.
const codeLive = "0"

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
		n, err := scriptInt(ctx, s.rdb, putCodeScript, "put code", keys, raw, codeLive+v, ttlMillis(c.ExpiresAt, now),
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

// ConsumeCode takes a code once in one script, leaving its index entry as
// the tombstone until the code's expiry: the first call returns the code,
// later ones its grant ID and expiry with ErrCodeReused.
func (s *Store) ConsumeCode(ctx context.Context, grantID, codeHash string) (tokens.AuthCode, error) {
	if s.err != nil {
		return tokens.AuthCode{}, s.err
	}
	if !validGrantID(grantID) {
		return tokens.AuthCode{}, tokens.ErrNotFound
	}
	now := s.now()
	keys := []string{s.grantKey(grantID), s.codeKey(grantID, codeHash), s.grantSetKey(grantID)}
	res, err := consumeCodeScript.Run(ctx, s.rdb, keys).Slice()
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
		ms, err := strconv.ParseFloat(expiry, 64)
		if err != nil {
			return tokens.AuthCode{}, fmt.Errorf("redis store: consume code: tombstone expiry %q", expiry)
		}
		c = tokens.AuthCode{GrantID: grantID, ExpiresAt: time.UnixMilli(int64(ms)).UTC()}
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
