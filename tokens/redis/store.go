package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	// Keys protect what the store writes (required): grant, code and
	// token records carry a MAC bound to their key, and pending sign-ins
	// are sealed (tokens.RecordKeys; pass the server's *tokens.Keyring).
	Keys tokens.RecordKeys
	// Logger receives a warning for every record that fails its MAC
	// (default slog.Default()).
	Logger *slog.Logger
	// SlidingBucket is how often, at most, the use of one sliding access
	// token is written (default tokens.DefaultSlidingBucket; access.go).
	SlidingBucket time.Duration
}

// Store is the Redis tokens.Store, for one or many replicas sharing a
// standalone, Sentinel or Cluster deployment.
type Store struct {
	rdb    goredis.UniversalClient
	prefix string
	now    func() time.Time
	keys   tokens.RecordKeys
	logger *slog.Logger
	bucket time.Duration
	// err is set when the options are invalid; every call returns it.
	err error
}

// New returns a store on client. The store owns the client: Close closes
// it. Invalid options (a Prefix with braces) make every call, Ping
// included, fail with an error that says so.
func New(client goredis.UniversalClient, opts Options) *Store {
	s := &Store{rdb: client, prefix: opts.Prefix, now: opts.Now, keys: opts.Keys, logger: opts.Logger, bucket: opts.SlidingBucket}
	if s.bucket <= 0 {
		s.bucket = tokens.DefaultSlidingBucket
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch {
	case strings.ContainsAny(s.prefix, "{}"):
		s.err = fmt.Errorf("redis store: key prefix %q must not contain '{' or '}'", s.prefix)
	case s.keys == nil:
		s.err = errors.New("redis store: Options.Keys is required (records are MACed and pending sign-ins sealed under the server secret)")
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

// encodeRecord encodes a grant, code or token record stored under key,
// with its MAC (storage format v3: tokens.EncodeRecord, MessagePack).
func (s *Store) encodeRecord(key, what string, v any) (string, error) {
	b, err := tokens.EncodeRecord(v)
	if err != nil {
		return "", fmt.Errorf("redis store: encoding %s: %w", what, err)
	}
	return string(s.keys.MACRecord(s.recordName(key), b)), nil
}

// decodeRecord verifies and decodes what encodeRecord stored under key,
// or a record of format v2 (JSON) written before. A record whose MAC
// fails (written without the server secret, or by a version before format
// v2) is logged and is ErrNotFound: a Redis writer can delete a token but
// not extend or widen one.
func (s *Store) decodeRecord(key, what, raw string, v any) error {
	body, format, err := s.keys.VerifyRecord(s.recordName(key), []byte(raw))
	if err != nil {
		s.logger.Warn("redis store: a stored record fails its MAC; treated as absent",
			slog.String("record", what), slog.String("grant_id", grantOfKey(key)))
		return tokens.ErrNotFound
	}
	if err := tokens.DecodeRecord(format, body, v); err != nil {
		return fmt.Errorf("redis store: decoding %s: %w", what, err)
	}
	tokens.SetGrantID(v, grantOfKey(key))
	return nil
}

// recordName is a key without the store's prefix: what a record's MAC is
// bound to, so that records survive a change of prefix but not a move to
// another name.
func (s *Store) recordName(key string) string { return strings.TrimPrefix(key, s.prefix+":") }

// grantOfKey extracts the grant ID of a per-grant key, for logs.
func grantOfKey(key string) string {
	_, rest, ok := strings.Cut(key, "{g:")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "}")
	return id
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
