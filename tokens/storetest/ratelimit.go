package storetest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// rateLimiter returns the store's RateLimiter; every mcpgate store has one.
func (f *fixture) rateLimiter(t *testing.T) tokens.RateLimiter {
	t.Helper()
	rl, ok := f.s.(tokens.RateLimiter)
	if !ok {
		t.Fatalf("%T does not implement tokens.RateLimiter", f.s)
	}
	return rl
}

// allow calls Allow and fails the test unless the decision is want.
func allow(t *testing.T, f *fixture, rl tokens.RateLimiter, key string, limit int, window time.Duration, want bool) time.Duration {
	t.Helper()
	ok, retry, err := rl.Allow(f.ctx, key, limit, window)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	if ok != want {
		t.Fatalf("Allow(%q) at %s = %v, want %v", key, f.now().Format(time.RFC3339Nano), ok, want)
	}
	if ok && retry != 0 {
		t.Fatalf("Allow(%q) admitted with retryAfter %s, want 0", key, retry)
	}
	if !ok && retry <= 0 {
		t.Fatalf("Allow(%q) refused with retryAfter %s, want > 0", key, retry)
	}
	return retry
}

// testRateLimitExact checks the sliding window counter to the millisecond:
// the suite's clock starts 5 s into a minute, so three requests fill a
// limit of 3; the fourth must wait the 55 s left of this window plus a
// third of the next (when 3·(60−e)/60 ≤ 2), and is admitted exactly then.
// Refused requests are not counted.
func testRateLimitExact(t *testing.T, f *fixture) {
	rl := f.rateLimiter(t)
	for range 3 {
		allow(t, f, rl, "token:client-a", 3, time.Minute, true)
	}
	retry := allow(t, f, rl, "token:client-a", 3, time.Minute, false)
	if want := 75 * time.Second; retry != want {
		t.Fatalf("retryAfter = %s, want %s", retry, want)
	}
	for range 10 { // hammering while refused changes nothing
		allow(t, f, rl, "token:client-a", 3, time.Minute, false)
	}
	f.clock.Advance(retry - time.Millisecond)
	allow(t, f, rl, "token:client-a", 3, time.Minute, false)
	f.clock.Advance(time.Millisecond)
	allow(t, f, rl, "token:client-a", 3, time.Minute, true)
}

// testRateLimitSlides checks the weight of the previous window: ten
// requests fill a window; half-way through the next one they count as
// five, so five more fit, and the sixth waits until the previous window's
// weight falls to four (6 s later).
func testRateLimitSlides(t *testing.T, f *fixture) {
	rl := f.rateLimiter(t)
	for range 10 {
		allow(t, f, rl, "register:ip:192.0.2.1", 10, time.Minute, true)
	}
	allow(t, f, rl, "register:ip:192.0.2.1", 10, time.Minute, false)
	f.clock.Advance(85 * time.Second) // 30 s into the next minute
	for range 5 {
		allow(t, f, rl, "register:ip:192.0.2.1", 10, time.Minute, true)
	}
	retry := allow(t, f, rl, "register:ip:192.0.2.1", 10, time.Minute, false)
	if want := 6 * time.Second; retry != want {
		t.Fatalf("retryAfter = %s, want %s", retry, want)
	}
	// Two idle windows later nothing of the past weighs any more.
	f.clock.Advance(2 * time.Minute)
	for range 10 {
		allow(t, f, rl, "register:ip:192.0.2.1", 10, time.Minute, true)
	}
	allow(t, f, rl, "register:ip:192.0.2.1", 10, time.Minute, false)
}

// testRateLimitKeysIndependent checks that keys, and window lengths of one
// key, count apart, including long keys and keys with braces (which a
// Redis store must not let into its hash tags as they are).
func testRateLimitKeysIndependent(t *testing.T, f *fixture) {
	rl := f.rateLimiter(t)
	long := strings.Repeat("x", 1000)
	keys := []string{"a", "b", "{g:evil}", "}{", long + "1", long + "2", "authorize:" + strings.Repeat("é", 300)}
	for _, k := range keys {
		allow(t, f, rl, k, 1, time.Minute, true)
	}
	for _, k := range keys {
		allow(t, f, rl, k, 1, time.Minute, false)
		allow(t, f, rl, k, 1, time.Hour, true)
	}
}

// testRateLimitConcurrent checks that concurrent requests (replicas) never
// admit more than the limit.
func testRateLimitConcurrent(t *testing.T, f *fixture) {
	rl := f.rateLimiter(t)
	const limit, callers = 20, 60
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted int
	)
	for range callers {
		wg.Go(func() {
			ok, _, err := rl.Allow(f.ctx, "token:ip:198.51.100.7", limit, time.Hour)
			if err != nil {
				t.Errorf("Allow: %v", err)
				return
			}
			if ok {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if admitted != limit {
		t.Fatalf("%d of %d concurrent requests admitted, want exactly %d", admitted, callers, limit)
	}
}

func testRateLimitBadArguments(t *testing.T, f *fixture) {
	rl := f.rateLimiter(t)
	for _, tc := range []struct {
		limit  int
		window time.Duration
	}{{0, time.Minute}, {-1, time.Minute}, {1, 0}, {1, time.Microsecond}} {
		if _, _, err := rl.Allow(f.ctx, "k", tc.limit, tc.window); !errors.Is(err, tokens.ErrBadRate) {
			t.Errorf("Allow(limit %d, window %s) error %v, want ErrBadRate", tc.limit, tc.window, err)
		}
	}
}
