// Package fakegithubtest starts an upstream/fakegithub fake for a test: on an
// httptest server that closes when the test ends. It is apart from
// package fakegithub so that `mcpgate demo`, which serves the fake itself with
// fakegithub.New, links neither testing nor httptest into the binary.
package fakegithubtest
