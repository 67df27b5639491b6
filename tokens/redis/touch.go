package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/tokens"
)

// touchScript replaces a client record only while it is still the one the
// new value was computed from (compare-and-set), keeping it free of TTL.
// KEYS client; ARGV expected, new. Returns 0 if the record is gone, 2 if it
// changed meanwhile, 1 when replaced.
var touchScript = goredis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
if v ~= ARGV[1] then return 2 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`)

// SetClientSecretHash replaces the client's SecretHash if it is still
// oldHash, by compare-and-set on the whole record.
func (s *Store) SetClientSecretHash(ctx context.Context, id, oldHash, newHash string) error {
	return s.updateClient(ctx, id, "set client secret hash", func(c *tokens.Client) bool {
		if c.SecretHash != oldHash {
			return false
		}
		c.SecretHash = newHash
		return true
	})
}

// TouchClient sets the client's LastUsedAt to at unless it is already
// later; ErrNotFound if there is no such client.
func (s *Store) TouchClient(ctx context.Context, id string, at time.Time) error {
	return s.updateClient(ctx, id, "touch client", func(c *tokens.Client) bool {
		if !at.After(c.LastUsedAt) {
			return false
		}
		c.LastUsedAt = at
		return true
	})
}

// updateClient applies change to a client record by compare-and-set,
// retried while other writers change it; change reports whether it changed
// anything.
func (s *Store) updateClient(ctx context.Context, id, op string, change func(*tokens.Client) bool) error {
	if s.err != nil {
		return s.err
	}
	k := s.clientKey(id)
	return s.retryCAS(func() error {
		raw, err := s.rdb.Get(ctx, k).Result()
		if err != nil {
			return wrap(op, err)
		}
		var c tokens.Client
		if err := decode("client", raw, &c); err != nil {
			return err
		}
		if !change(&c) {
			return nil
		}
		v, err := encode("client", c)
		if err != nil {
			return err
		}
		switch n, err := scriptInt(ctx, s.rdb, touchScript, op, []string{k}, raw, v); {
		case err != nil:
			return err
		case n == 0:
			return tokens.ErrNotFound
		case n == 2:
			return errCASConflict
		}
		return nil
	})
}

// CountClients returns the size of the client index (SCARD). The index can
// be off by the few entries that a failure between a client's write and its
// index update leaves behind; ListClients repairs it.
func (s *Store) CountClients(ctx context.Context) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.rdb.SCard(ctx, s.clientsKey()).Result()
	if err != nil {
		return 0, wrap("count clients", err)
	}
	return int(n), nil
}
