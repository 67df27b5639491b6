package storetest

import (
	"time"

	"github.com/mcpgate/mcpgate/internal/testclock"
)

// Clock is a controllable clock for stores under test. Its Now method is
// the store's clock; Advance moves it, which is how the suite tests expiry
// without sleeping. It is safe for concurrent use.
type Clock = testclock.Clock

// NewClock returns a clock that starts at a fixed instant (2030-01-02
// 03:04:05 UTC), so that tests never depend on the wall clock.
func NewClock() *Clock {
	return testclock.New(time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC))
}
