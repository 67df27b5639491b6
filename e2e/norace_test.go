//go:build !race

package e2e

// raceEnabled tells the harness that the tests run under the race detector
// (see race_test.go).
const raceEnabled = false
