package fakeoidctest

import (
	"net/http/httptest"
	"testing"

	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
)

// NewServer starts a fakeoidc.Fake built from opts on httptest.NewServer,
// sets its URL and closes the server when the test ends.
func NewServer(t testing.TB, opts fakeoidc.Options) *fakeoidc.Fake {
	t.Helper()
	f := fakeoidc.New(opts)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.SetURL(srv.URL)
	return f
}
