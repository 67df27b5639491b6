// Package fakegithubtest starts an upstream/fakegithub fake for a test: on an
// httptest server that closes when the test ends. It is apart from
// package fakegithub so that `mcpgate demo`, which serves the fake itself with
// fakegithub.New, links neither testing nor httptest into the binary.
package fakegithubtest

import (
	"net/http/httptest"
	"testing"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

// NewServer starts a fakegithub.Fake built from opts on httptest.NewServer,
// sets its URL and closes the server when the test ends.
func NewServer(t testing.TB, opts fakegithub.Options) *fakegithub.Fake {
	t.Helper()
	f := fakegithub.New(opts)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.SetURL(srv.URL)
	return f
}
