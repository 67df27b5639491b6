package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/tokens"
)

var _ tokens.Store = (*Store)(nil)

// DefaultPrefix starts every key when Options.Prefix is empty.
const DefaultPrefix = "mcpgate"

// maxCASAttempts bounds how often a compare-and-set write is retried when
// another writer changed the grant in between.
const maxCASAttempts = 16

// Options configure a Store.
type Options struct {
	// Prefix starts every key (default "mcpgate"). It must not contain '{'
	// or '}', which would break the per-grant hash tags.
	Prefix string
	// Now is the store's clock for expiry decisions (default time.Now).
	Now func() time.Time
}

// Store is the Redis tokens.Store, for one or many replicas sharing a
// standalone, Sentinel or Cluster deployment.
type Store struct {
	rdb    goredis.UniversalClient
	prefix string
	now    func() time.Time
	// err is set when the options are invalid; every call returns it.
	err error
}

// New returns a store on client. The store owns the client: Close closes
// it. Invalid options (a Prefix with braces) make every call, Ping
// included, fail with an error that says so.
func New(client goredis.UniversalClient, opts Options) *Store {
	s := &Store{rdb: client, prefix: opts.Prefix, now: opts.Now}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	if strings.ContainsAny(s.prefix, "{}") {
		s.err = fmt.Errorf("redis store: key prefix %q must not contain '{' or '}'", s.prefix)
	}
	return s
}

// NewFromURL connects to the redis:// or rediss:// URL (see
// goredis.ParseURL for its query parameters). The URL is not repeated in
// errors, since it may hold a password.
func NewFromURL(redisURL string, opts Options) (*Store, error) {
	o, err := goredis.ParseURL(redisURL)
	if err != nil {
		return nil, errors.New("redis store: invalid Redis URL (want redis://[user:password@]host:port/db or rediss://...)")
	}
	s := New(goredis.NewClient(o), opts)
	if s.err != nil {
		s.rdb.Close()
		return nil, s.err
	}
	return s, nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis store: ping: %w", err)
	}
	return nil
}

// Close closes the client.
func (s *Store) Close() error { return s.rdb.Close() }

// expired reports whether a record lapsing at t is gone at now.
func expired(t, now time.Time) bool { return !now.Before(t) }

// ttlMillis is the Redis TTL, in milliseconds, of a record lapsing at t:
// at least 1, since Redis refuses zero; the logical check on read still
// treats a lapsed record as gone.
func ttlMillis(t, now time.Time) int64 {
	d := t.Sub(now)
	ms := d.Milliseconds()
	if d%time.Millisecond != 0 {
		ms++
	}
	return max(ms, 1)
}

func encode(what string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("redis store: encoding %s: %w", what, err)
	}
	return string(b), nil
}

func decode(what, raw string, v any) error {
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return fmt.Errorf("redis store: decoding %s: %w", what, err)
	}
	return nil
}

// wrap turns goredis.Nil into tokens.ErrNotFound and annotates other
// failures.
func wrap(op string, err error) error {
	if errors.Is(err, goredis.Nil) {
		return tokens.ErrNotFound
	}
	return fmt.Errorf("redis store: %s: %w", op, err)
}

// mget returns the values of an MGET reply, one per key, nil for a
// missing key.
func mget(ctx context.Context, rdb goredis.UniversalClient, op string, keys ...string) ([]any, error) {
	vals, err := rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, wrap(op, err)
	}
	if len(vals) != len(keys) {
		return nil, fmt.Errorf("redis store: %s: MGET returned %d values for %d keys", op, len(vals), len(keys))
	}
	return vals, nil
}

// mget2 returns the two values of an MGET reply, with ok false for a
// missing key.
func mget2(ctx context.Context, rdb goredis.UniversalClient, op string, k1, k2 string) (v1 string, ok1 bool, v2 string, ok2 bool, err error) {
	vals, err := rdb.MGet(ctx, k1, k2).Result()
	if err != nil {
		return "", false, "", false, wrap(op, err)
	}
	if len(vals) != 2 {
		return "", false, "", false, fmt.Errorf("redis store: %s: MGET returned %d values", op, len(vals))
	}
	v1, ok1 = vals[0].(string)
	v2, ok2 = vals[1].(string)
	return v1, ok1, v2, ok2, nil
}
