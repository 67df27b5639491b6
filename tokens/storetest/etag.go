package storetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// conditionalCache returns the store's ConditionalCache; every mcpgate
// store has one.
func (f *fixture) conditionalCache(t *testing.T) tokens.ConditionalCache {
	t.Helper()
	c, ok := f.s.(tokens.ConditionalCache)
	if !ok {
		t.Fatalf("%T does not implement tokens.ConditionalCache", f.s)
	}
	return c
}

func (f *fixture) getETag(t *testing.T, c tokens.ConditionalCache, user, entry string) []byte {
	t.Helper()
	v, err := c.GetETag(f.ctx, user, entry)
	if err != nil {
		t.Fatalf("GetETag(%s, %s): %v", user, entry, err)
	}
	return v
}

func (f *fixture) putETag(t *testing.T, c tokens.ConditionalCache, user, entry string, value []byte, ttl time.Duration, maxBytes int) {
	t.Helper()
	if err := c.PutETag(f.ctx, user, entry, value, ttl, maxBytes); err != nil {
		t.Fatalf("PutETag(%s, %s): %v", user, entry, err)
	}
}

const (
	etagUserA = "aaaa0001"
	etagUserB = "bbbb0002"
)

// testETagRoundTrip: a value comes back under its user and entry only,
// replaced by a later Put, and the store keeps its own copy.
func testETagRoundTrip(t *testing.T, f *fixture) {
	c := f.conditionalCache(t)
	value := []byte("sealed answer one")
	f.putETag(t, c, etagUserA, "e1", value, time.Hour, 1<<20)
	value[0] = 'X'
	if got := f.getETag(t, c, etagUserA, "e1"); string(got) != "sealed answer one" {
		t.Fatalf("GetETag = %q, want the value as put", got)
	}
	if got := f.getETag(t, c, etagUserB, "e1"); got != nil {
		t.Errorf("another user's GetETag = %q, want nothing", got)
	}
	if got := f.getETag(t, c, etagUserA, "e2"); got != nil {
		t.Errorf("GetETag of an entry never put = %q, want nothing", got)
	}
	f.putETag(t, c, etagUserA, "e1", []byte("sealed answer two"), time.Hour, 1<<20)
	got := f.getETag(t, c, etagUserA, "e1")
	if string(got) != "sealed answer two" {
		t.Errorf("GetETag after a second Put = %q", got)
	}
	got[0] = 'X'
	if again := f.getETag(t, c, etagUserA, "e1"); string(again) != "sealed answer two" {
		t.Errorf("changing a returned value changed the stored one: %q", again)
	}
}

// testETagLapses: a user's entries lapse ttl after their last Put, by the
// store's clock; a Put extends them all.
func testETagLapses(t *testing.T, f *fixture) {
	c := f.conditionalCache(t)
	f.putETag(t, c, etagUserA, "e1", []byte("one"), time.Hour, 1<<20)
	f.clock.Advance(50 * time.Minute)
	f.putETag(t, c, etagUserA, "e2", []byte("two"), time.Hour, 1<<20)
	f.clock.Advance(50 * time.Minute)
	if got := f.getETag(t, c, etagUserA, "e1"); string(got) != "one" {
		t.Errorf("e1 100 minutes after it was put, 50 after the user's last Put: %q, want it kept", got)
	}
	f.clock.Advance(10 * time.Minute)
	for _, e := range []string{"e1", "e2"} {
		if got := f.getETag(t, c, etagUserA, e); got != nil {
			t.Errorf("%s an hour after the user's last Put: %q, want it lapsed", e, got)
		}
	}
	// A Put after the lapse starts afresh: nothing old comes back.
	f.putETag(t, c, etagUserA, "e3", []byte("three"), time.Hour, 1<<20)
	if got := f.getETag(t, c, etagUserA, "e1"); got != nil {
		t.Errorf("e1 came back after the lapse: %q", got)
	}
}

// testETagBounded: a user's entries (names and values) never exceed the
// bound; the entry just put is always kept; other users are untouched.
func testETagBounded(t *testing.T, f *fixture) {
	c := f.conditionalCache(t)
	value := bytes.Repeat([]byte("v"), 98) // 100 bytes with a 2-digit name
	f.putETag(t, c, etagUserB, "b1", value, time.Hour, 250)
	names := []string{"a1", "a2", "a3", "a4", "a5"}
	for _, e := range names {
		f.putETag(t, c, etagUserA, e, value, time.Hour, 250)
		if got := f.getETag(t, c, etagUserA, e); !bytes.Equal(got, value) {
			t.Fatalf("%s right after its Put: %q, want it kept", e, got)
		}
	}
	kept := 0
	for _, e := range names {
		if f.getETag(t, c, etagUserA, e) != nil {
			kept++
		}
	}
	if kept != 2 {
		t.Errorf("%d entries of 100 bytes kept under a bound of 250, want 2", kept)
	}
	if got := f.getETag(t, c, etagUserB, "b1"); !bytes.Equal(got, value) {
		t.Errorf("another user's entry was dropped: %q", got)
	}
	// Replacing an entry counts its new size only once.
	f.putETag(t, c, etagUserB, "b1", value, time.Hour, 250)
	f.putETag(t, c, etagUserB, "b2", value, time.Hour, 250)
	if f.getETag(t, c, etagUserB, "b1") == nil || f.getETag(t, c, etagUserB, "b2") == nil {
		t.Errorf("two entries of 100 bytes under a bound of 250, one of them put twice: one was dropped")
	}
}

// testETagBadArguments: names that are not hex, empty or oversized
// values and bounds below 1 are refused with ErrCacheEntry.
func testETagBadArguments(t *testing.T, f *fixture) {
	c := f.conditionalCache(t)
	for _, tc := range []struct {
		name, user, entry string
		value             []byte
		ttl               time.Duration
		max               int
	}{
		{"user with a brace", "ab{c}", "e1", []byte("v"), time.Hour, 100},
		{"upper-case entry", etagUserA, "E1", []byte("v"), time.Hour, 100},
		{"empty user", "", "e1", []byte("v"), time.Hour, 100},
		{"long entry", etagUserA, strings.Repeat("a", tokens.MaxCacheName+1), []byte("v"), time.Hour, 100},
		{"empty value", etagUserA, "e1", nil, time.Hour, 100},
		{"value over the bound", etagUserA, "e1", bytes.Repeat([]byte("v"), 100), time.Hour, 100},
		{"no ttl", etagUserA, "e1", []byte("v"), 0, 100},
	} {
		if err := c.PutETag(f.ctx, tc.user, tc.entry, tc.value, tc.ttl, tc.max); !errors.Is(err, tokens.ErrCacheEntry) {
			t.Errorf("%s: PutETag = %v, want ErrCacheEntry", tc.name, err)
		}
	}
	if _, err := c.GetETag(f.ctx, "ab{c}", "e1"); !errors.Is(err, tokens.ErrCacheEntry) {
		t.Errorf("GetETag with a bad user name = %v, want ErrCacheEntry", err)
	}
}
