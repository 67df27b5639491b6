//go:build race

package e2e

// raceEnabled tells the harness that the tests run under the race detector;
// it then builds mcpgate with -race too and fails a test whose server
// reported a data race.
const raceEnabled = true
