// Package testwait bounds a test's waits on channels, so that a broken
// server fails the test with a message naming what never happened instead
// of hanging it until go test's ten-minute timeout. t.Context() alone is no
// bound: it is cancelled only after the test returns. Nothing is timed by
// it; a passing test never comes near the deadline.
//
// The handlers tests use handlers/internal/mcptest.HangGuard, the same
// deadline, for their HTTP requests and streams.
package testwait
