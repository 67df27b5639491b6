package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/tokens"
)

// CreateClient stores a registration (no TTL: registrations are durable);
// ErrAlreadyExists if the ID is taken.
func (s *Store) CreateClient(ctx context.Context, c tokens.Client) error {
	if s.err != nil {
		return s.err
	}
	v, err := encode("client", c)
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, s.clientKey(c.ID), v, 0).Result()
	if err != nil {
		return wrap("create client", err)
	}
	if !ok {
		return tokens.ErrAlreadyExists
	}
	if err := s.rdb.SAdd(ctx, s.clientsKey(), c.ID).Err(); err != nil {
		return wrap("index client", err)
	}
	return nil
}

// GetClient returns a registration or ErrNotFound.
func (s *Store) GetClient(ctx context.Context, id string) (tokens.Client, error) {
	if s.err != nil {
		return tokens.Client{}, s.err
	}
	raw, err := s.rdb.Get(ctx, s.clientKey(id)).Result()
	if err != nil {
		return tokens.Client{}, wrap("get client", err)
	}
	var c tokens.Client
	if err := decode("client", raw, &c); err != nil {
		return tokens.Client{}, err
	}
	return c, nil
}

// DeleteClient removes a registration; ErrNotFound if there is none.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if s.err != nil {
		return s.err
	}
	n, err := s.rdb.Del(ctx, s.clientKey(id)).Result()
	if err != nil {
		return wrap("delete client", err)
	}
	if err := s.rdb.SRem(ctx, s.clientsKey(), id).Err(); err != nil {
		return wrap("unindex client", err)
	}
	if n == 0 {
		return tokens.ErrNotFound
	}
	return nil
}

// ListClients returns every registration, oldest first.
func (s *Store) ListClients(ctx context.Context) ([]tokens.Client, error) {
	if s.err != nil {
		return nil, s.err
	}
	ids, err := s.rdb.SMembers(ctx, s.clientsKey()).Result()
	if err != nil {
		return nil, wrap("list clients", err)
	}
	recs, stale, err := s.getEach(ctx, "list clients", ids, s.clientKey)
	if err != nil {
		return nil, err
	}
	if len(stale) > 0 {
		if err := s.rdb.SRem(ctx, s.clientsKey(), stale...).Err(); err != nil {
			return nil, wrap("prune client index", err)
		}
	}
	out := make([]tokens.Client, 0, len(recs))
	for _, r := range recs {
		var c tokens.Client
		if err := decode("client", r.raw, &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b tokens.Client) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ScanClients returns one SSCAN batch of the client index, read in one
// pipeline; the cursor is SSCAN's.
func (s *Store) ScanClients(ctx context.Context, cursor string, count int) ([]tokens.Client, string, error) {
	if s.err != nil {
		return nil, "", s.err
	}
	var cur uint64
	if cursor != "" {
		var err error
		if cur, err = strconv.ParseUint(cursor, 10, 64); err != nil {
			return nil, "", fmt.Errorf("redis store: scan clients: invalid cursor %q", cursor)
		}
	}
	ids, next, err := s.rdb.SScan(ctx, s.clientsKey(), cur, "", int64(max(count, 1))).Result()
	if err != nil {
		return nil, "", wrap("scan clients", err)
	}
	recs, _, err := s.getEach(ctx, "scan clients", ids, s.clientKey)
	if err != nil {
		return nil, "", err
	}
	out := make([]tokens.Client, 0, len(recs))
	for _, r := range recs {
		var c tokens.Client
		if err := decode("client", r.raw, &c); err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	if next == 0 {
		return out, "", nil
	}
	return out, strconv.FormatUint(next, 10), nil
}

// record is a value read by getEach, with the ID it was read for.
type record struct{ id, raw string }

// getEach GETs key(id) for every id in one pipeline of single-key
// commands (keys may sit in different cluster slots). It returns the
// records found and the IDs whose keys are gone.
func (s *Store) getEach(ctx context.Context, op string, ids []string, key func(string) string) (found []record, stale []any, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	cmds := make([]*goredis.StringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, key(id))
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, nil, wrap(op, err)
	}
	for i, cmd := range cmds {
		raw, err := cmd.Result()
		switch {
		case isNil(err):
			stale = append(stale, ids[i])
		case err != nil:
			return nil, nil, wrap(op, err)
		default:
			found = append(found, record{id: ids[i], raw: raw})
		}
	}
	return found, stale, nil
}

func isNil(err error) bool { return errors.Is(err, goredis.Nil) }
