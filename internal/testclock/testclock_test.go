package testclock

import (
	"sync"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		move func(*Clock)
		want time.Time
	}{
		{"stands still", func(*Clock) {}, start},
		{"advance", func(c *Clock) { c.Advance(90 * time.Second) }, start.Add(90 * time.Second)},
		{"advance back", func(c *Clock) { c.Advance(-time.Hour) }, start.Add(-time.Hour)},
		{"set", func(c *Clock) { c.Set(start.AddDate(1, 0, 0)) }, start.AddDate(1, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(start)
			tt.move(c)
			if got := c.Now(); !got.Equal(tt.want) {
				t.Errorf("Now() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestClockConcurrent: readers and a mover share the clock (run with
// -race); every advance is kept.
func TestClockConcurrent(t *testing.T) {
	start := time.Unix(0, 0)
	c := New(start)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				_ = c.Now()
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			c.Advance(time.Second)
		}
	})
	wg.Wait()
	if got := c.Now(); !got.Equal(start.Add(100 * time.Second)) {
		t.Errorf("Now() = %v after 100 advances of 1s", got)
	}
}
