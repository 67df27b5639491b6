package testwait

import (
	"testing"
	"time"
)

// Deadline is how long Recv waits.
const Deadline = time.Minute

// Recv returns the next value from ch, or fails the test (naming what) if
// none arrives within Deadline.
func Recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(Deadline)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("waited %v for %s", Deadline, what)
		var zero T
		return zero
	}
}
