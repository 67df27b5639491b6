package tokens

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RateLimiter counts requests per key, shared by every replica that uses the
// same store, so that an abuse limit holds however a load balancer spreads
// the requests. It is an optional capability of a Store (both the memory and
// the Redis store implement it; handlers type-assert for it).
//
// The algorithm is the sliding window counter: time is cut into fixed
// windows aligned on the Unix epoch, each key counts its admitted requests
// per window, and a request at elapsed time e into the current window sees
//
//	estimate = previous·(window−e)/window + current
//
// (the previous window's count weighted by how much of it still overlaps the
// sliding window that ends now). The request is admitted, and counted, when
// estimate+1 ≤ limit; a refused request is not counted, so a client that
// keeps retrying is not punished beyond the limit. This has neither the
// boundary burst of a fixed window (twice the limit across a window edge)
// nor the memory cost of a log of timestamps. All arithmetic is integral on
// milliseconds of the store's clock, so every implementation gives exactly
// the same answers (the conformance suite checks them).
type RateLimiter interface {
	// Allow admits one request under key if fewer than limit requests are
	// in the sliding window ending now. When it refuses, retryAfter is how
	// long until a request would be admitted (if no other request comes
	// first). limit must be at least 1 and window at least a millisecond.
	// An error means the store failed; the caller decides whether to admit.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retryAfter time.Duration, err error)
}

// ErrBadRate is returned by RateLimiter.Allow for a limit below 1 or a
// window shorter than a millisecond.
var ErrBadRate = errors.New("tokens: rate limit needs limit ≥ 1 and window ≥ 1ms")

// RateWindow is the position of now in the sliding window counter: the
// index of the current fixed window and the milliseconds elapsed in it.
// Implementations of RateLimiter use it so that they agree to the
// millisecond.
func RateWindow(now time.Time, limit int, window time.Duration) (index, elapsedMS, windowMS int64, err error) {
	windowMS = window.Milliseconds()
	if limit < 1 || windowMS < 1 {
		return 0, 0, 0, fmt.Errorf("%w (got limit %d, window %s)", ErrBadRate, limit, window)
	}
	ms := now.UnixMilli()
	index = floorDiv(ms, windowMS)
	return index, ms - index*windowMS, windowMS, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// RateDecision applies the sliding window counter to the counts of the
// previous and the current window: whether one more request is admitted and,
// if not, the milliseconds until one would be. Both stores call it (the
// Redis store runs the same formula in Lua).
func RateDecision(prev, cur, limit, elapsedMS, windowMS int64) (ok bool, retryMS int64) {
	if cur < limit && prev*(windowMS-elapsedMS) <= (limit-cur-1)*windowMS {
		return true, 0
	}
	if cur >= limit {
		// Wait for the next window, and then until this window's count,
		// as the previous one, has slid far enough out.
		return false, (windowMS - elapsedMS) + ceilDiv(windowMS*(cur-limit+1), cur)
	}
	// Still in this window: until prev·(window−e') ≤ (limit−cur−1)·window.
	return false, windowMS - (limit-cur-1)*windowMS/prev - elapsedMS
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
