package loadclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/mcpgate/mcpgate/internal/testbrowser"
)

// NewBrowser is the person at the browser for one client: it follows
// redirects with its own cookies over transport, but never off loopback;
// approves mcpgate's consent page; signs in at the (fake) identity
// provider as login when the sign-in page lets it choose ("" keeps the
// preselected account); and stops at the client's redirect URI.
func NewBrowser(transport http.RoundTripper, redirectURI, login string) (*testbrowser.Browser, error) {
	b, err := testbrowser.New(redirectURI, testbrowser.Options{Transport: transport, Redirect: func(to *url.URL) error {
		if !IsLoopbackHost(to.Hostname()) {
			return fmt.Errorf("refusing to follow a redirect off loopback to %s", to.Host)
		}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	if login != "" {
		b.Fields = url.Values{"login": {login}}
	}
	return b, nil
}

// Authorize runs the browser leg from the authorization URL to the
// client's redirect URI and returns the code and state it carries. A page
// the browser could not go past is reported by status and path, without
// its body, to keep a report short.
func Authorize(ctx context.Context, b *testbrowser.Browser, authURL string) (code, state string, err error) {
	res, err := b.Authorize(ctx, authURL)
	if pe, ok := errors.AsType[*testbrowser.PageError](err); ok {
		if pe.Problem != "" {
			return "", "", fmt.Errorf("at %s: %s on the page", pe.URL.Path, pe.Problem)
		}
		return "", "", fmt.Errorf("HTTP %d at %s", pe.Status, pe.URL.Path)
	}
	if err != nil {
		return "", "", err
	}
	if res.Code == "" {
		return "", "", errors.New("the redirect carries no code")
	}
	return res.Code, res.State, nil
}
