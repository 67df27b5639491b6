package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ConditionalCache keeps the answers of conditional GitHub requests (ETag
// and body, sealed by the caller) so that every replica using the same
// store can revalidate them with If-None-Match and get GitHub's 304, which
// costs no quota (package upstream/github, SharedCache). It is an optional
// capability of a Store; both the memory and the Redis store implement it.
//
// The store sees only names and opaque bytes: user is a keyed hash that
// identifies one person's upstream token, entry a keyed hash of one
// request, and value is sealed under a key derived from that token, so a
// copy of the store without the token reads nothing. The store bounds each
// user's entries: all of them lapse ttl after the user's last Put, and when
// their total size (names and values) would exceed maxBytes, other entries
// of the user are dropped (the oldest first where the store can tell) until
// it does not.
type ConditionalCache interface {
	// GetETag returns the value stored under user and entry, or nil when
	// there is none (or it lapsed).
	GetETag(ctx context.Context, user, entry string) ([]byte, error)
	// PutETag stores value under user and entry, replacing any, and
	// bounds the user's entries by ttl and maxBytes. A value larger than
	// maxBytes by itself is not stored (ErrCacheEntry).
	PutETag(ctx context.Context, user, entry string, value []byte, ttl time.Duration, maxBytes int) error
}

// ErrCacheEntry is returned by ConditionalCache.PutETag for a name that is
// not 1 to MaxCacheName lower-case hex digits, an empty value, a value that
// alone exceeds maxBytes, or a ttl or maxBytes below 1.
var ErrCacheEntry = errors.New("tokens: invalid conditional cache entry")

// MaxCacheName bounds the length of a ConditionalCache user or entry name.
const MaxCacheName = 128

// CheckCacheNames validates the names of a ConditionalCache call.
func CheckCacheNames(user, entry string) error {
	if !cacheName(user) || !cacheName(entry) {
		return fmt.Errorf("%w: names must be 1 to %d lower-case hex digits", ErrCacheEntry, MaxCacheName)
	}
	return nil
}

// CheckCacheEntry validates the arguments of ConditionalCache.PutETag.
// Both stores call it, so they refuse the same entries.
func CheckCacheEntry(user, entry string, value []byte, ttl time.Duration, maxBytes int) error {
	if err := CheckCacheNames(user, entry); err != nil {
		return err
	}
	switch {
	case len(value) == 0, ttl < time.Millisecond, maxBytes < 1:
		return fmt.Errorf("%w: empty value, or ttl or size bound below 1", ErrCacheEntry)
	case CacheEntrySize(entry, value) > maxBytes:
		return fmt.Errorf("%w: %d bytes exceed the bound of %d", ErrCacheEntry, CacheEntrySize(entry, value), maxBytes)
	}
	return nil
}

// CacheEntrySize is what an entry counts against its user's bound.
func CacheEntrySize(entry string, value []byte) int { return len(entry) + len(value) }

func cacheName(s string) bool {
	if s == "" || len(s) > MaxCacheName {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
