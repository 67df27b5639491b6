// Package redistest runs a private redis-server for tests: on a free
// loopback port, without persistence, in a temporary directory, stopped when
// the test ends. A missing redis-server binary fails the test: the Redis
// tests are part of the suite, never skipped.
package redistest
