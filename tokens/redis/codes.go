package redis

import (
	"context"
	"fmt"

	"github.com/mcpgate/mcpgate/tokens"
)

// Code records are stored as one state byte followed by the JSON record:
// '0' while the code is unused, '1' once consumed (the tombstone).
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

// ConsumeCode takes a code once in one script, leaving a tombstone that
// keeps the code's TTL: the first call returns the code, later ones return
// it with ErrCodeReused.
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
	if len(res) != 3 {
		return tokens.AuthCode{}, fmt.Errorf("redis store: consume code: script returned %d values", len(res))
	}
	consumed, _ := res[0].(int64)
	codeRaw, _ := res[1].(string)
	grantRaw, _ := res[2].(string)
	if _, err := s.decodeGrant(grantID, grantRaw, now); err != nil {
		return tokens.AuthCode{}, err
	}
	var c tokens.AuthCode
	if err := s.decodeRecord(s.codeKey(grantID, codeHash), "code", codeRaw, &c); err != nil {
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
