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
