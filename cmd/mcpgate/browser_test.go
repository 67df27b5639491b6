package main

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/mcpgate/mcpgate/internal/testbrowser"
)

// browser plays the person in front of the browser (internal/testbrowser):
// it follows redirects with cookies, approves mcpgate's consent page (the
// button labelled Approve), signs in at the fake GitHub or OpenID Provider
// (with Fields overriding form fields), stops at the MCP client's redirect
// URI, and records what it saw (Seen).
type browser struct {
	*testbrowser.Browser
}

// newBrowser is a browser with its own cookie jar that stops at redirectURL.
func newBrowser(tb testing.TB, redirectURL string) *browser {
	tb.Helper()
	b, err := testbrowser.New(redirectURL, testbrowser.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return &browser{b}
}

// fetch is an auth.AuthorizationCodeFetcher.
func (b *browser) fetch(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
	res, err := b.Authorize(ctx, args.URL)
	if err != nil {
		return nil, err
	}
	return &auth.AuthorizationResult{Code: res.Code, State: res.State, Iss: res.Iss}, nil
}
