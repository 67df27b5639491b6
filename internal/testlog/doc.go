// Package testlog holds the log sink of tests that read what a server
// logged while its goroutines (or a child process's output copiers) may
// still be writing: a bytes.Buffer behind a mutex, so that the race
// detector sees the writes and the test's reads ordered.
package testlog
