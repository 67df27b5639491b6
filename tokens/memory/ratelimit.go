package memory

import (
	"context"
	"strconv"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

var _ tokens.RateLimiter = (*Store)(nil)

// rateTable holds the sliding window counters of Allow, one per key and
// window length. Counters whose windows have both passed are swept away,
// so the table holds only keys seen in the last two windows.
type rateTable struct {
	counters  map[string]*rateCounter
	lastSweep time.Time
}

// rateCounter is one key's count in its current fixed window (index) and
// in the window before it.
type rateCounter struct {
	windowMS  int64
	index     int64
	cur, prev int64
}

// Allow implements tokens.RateLimiter with the sliding window counter, on
// the store's clock.
func (s *Store) Allow(_ context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	now := s.lockedNow()
	defer s.mu.Unlock()
	index, elapsed, windowMS, err := tokens.RateWindow(now, limit, window)
	if err != nil {
		return false, 0, err
	}
	t := &s.rates
	if t.counters == nil {
		t.counters = make(map[string]*rateCounter)
	}
	if now.Sub(t.lastSweep) >= sweepEvery || now.Before(t.lastSweep) {
		t.sweep(now)
		t.lastSweep = now
	}
	id := strconv.FormatInt(windowMS, 10) + "\x00" + key
	c := t.counters[id]
	if c == nil {
		c = &rateCounter{windowMS: windowMS, index: index}
		t.counters[id] = c
	}
	c.advance(index)
	ok, retryMS := tokens.RateDecision(c.prev, c.cur, int64(limit), elapsed, windowMS)
	if !ok {
		return false, time.Duration(retryMS) * time.Millisecond, nil
	}
	c.cur++
	return true, 0, nil
}

// advance moves the counter to the fixed window index: the current count
// becomes the previous one after one window, and both are zero after two.
func (c *rateCounter) advance(index int64) {
	switch {
	case c.index == index:
	case c.index == index-1:
		c.prev, c.cur = c.cur, 0
	default:
		c.prev, c.cur = 0, 0
	}
	c.index = index
}

// sweep deletes the counters that no longer weigh on any decision: their
// last window ended more than a window ago.
func (t *rateTable) sweep(now time.Time) {
	ms := now.UnixMilli()
	for id, c := range t.counters {
		if (c.index+2)*c.windowMS <= ms {
			delete(t.counters, id)
		}
	}
}
