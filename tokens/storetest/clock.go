package storetest

import (
	"sync"
	"time"
)

// Clock is a controllable clock for stores under test. Its Now method is
// the store's clock; Advance moves it, which is how the suite tests expiry
// without sleeping. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that starts at a fixed instant (2030-01-02
// 03:04:05 UTC), so that tests never depend on the wall clock.
func NewClock() *Clock {
	return &Clock{now: time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC)}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
