// Package fakeoidctest starts an upstream/fakeoidc fake for a test: on an
// httptest server that closes when the test ends. It is apart from
// package fakeoidc so that `mcpgate demo`, which serves the fake itself with
// fakeoidc.New, links neither testing nor httptest into the binary.
package fakeoidctest
