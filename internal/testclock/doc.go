// Package testclock is the clock tests move by hand. Code under test takes
// its clock as a `Now func() time.Time` dependency; a test passes
// Clock.Now and decides expiry by moving the clock instead of sleeping.
package testclock
