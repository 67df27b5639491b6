package testbrowser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
)

// MaxPageBytes bounds every page the browser reads.
const MaxPageBytes = 1 << 20

// MaxSteps bounds the pages the browser submits for one sign-in (the
// consent page and an identity provider's sign-in page, with room to
// spare).
const MaxSteps = 5

// maxRedirects bounds the redirects followed for one request.
const maxRedirects = 10

// DefaultApprove is the label of the button pressed when Browser.Approve
// is empty: the first consent button, and the fake providers' sign-in
// button.
const DefaultApprove = "approve"

// fallbackApprove is the label of the demo GitHub's sign-in button.
const fallbackApprove = "authorize"

// Options are how a Browser connects.
type Options struct {
	// Transport carries the requests; http.DefaultTransport when nil.
	Transport http.RoundTripper
	// Redirect, when set, vets every redirect the browser would follow
	// (not the one to the redirect URI): an error stops the request.
	Redirect func(to *url.URL) error
}

// Browser is one person's browser. It is not safe for concurrent use.
type Browser struct {
	// Client is the browser's HTTP client, with its cookie jar.
	Client *http.Client
	// Approve is the label (lower case) of the consent button to press,
	// such as "approve with google"; DefaultApprove when empty.
	Approve string
	// Fields override the values of these form fields on any page that
	// has them, such as the account to sign in as.
	Fields url.Values

	redirectURI string
	seen        []string
}

// Result is what the redirect to the client's redirect URI carries.
type Result struct {
	Code, State, Iss string
}

// PageError is a page the browser could not go past: an answer other than
// 200 OK, or a page without the form to submit.
type PageError struct {
	// URL is the page's address.
	URL *url.URL
	// Status is the HTTP status the page was served with.
	Status int
	// Problem says what was wrong with a 200 page; empty otherwise.
	Problem string
	// Page is the page's body.
	Page string
}

func (e *PageError) Error() string {
	if e.Problem == "" {
		return fmt.Sprintf("browser: %s answered %d: %s", e.URL, e.Status, e.Page)
	}
	return fmt.Sprintf("browser at %s: %s in page:\n%s", e.URL, e.Problem, e.Page)
}

// New returns a browser with an empty cookie jar that stops when it is
// redirected to a URL starting with redirectURI.
func New(redirectURI string, o Options) (*Browser, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	b := &Browser{redirectURI: redirectURI}
	b.Client = &http.Client{Transport: o.Transport, Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		b.seen = append(b.seen, req.URL.String())
		if strings.HasPrefix(req.URL.String(), b.redirectURI) {
			return http.ErrUseLastResponse
		}
		if o.Redirect != nil {
			if err := o.Redirect(req.URL); err != nil {
				return err
			}
		}
		if len(via) > maxRedirects {
			return errors.New("too many redirects")
		}
		return nil
	}}
	return b, nil
}

// Seen returns every URL the browser requested or was redirected to, in
// order; a POST is recorded as its URL followed by "?" and the posted form.
func (b *Browser) Seen() []string { return slices.Clone(b.seen) }

// Authorize runs the browser leg from the authorization URL to the
// client's redirect URI: on every page it presses the Approve button (or,
// on an identity provider's own sign-in page, its approve or authorize
// button) with Fields applied. An error redirect (RFC 6749 §4.1.2.1) is an
// error.
func (b *Browser) Authorize(ctx context.Context, authURL string) (Result, error) {
	resp, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return Result{}, err
	}
	for range MaxSteps {
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && strings.HasPrefix(loc, b.redirectURI) {
			resp.Body.Close()
			return redirectResult(loc)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPageBytes))
		resp.Body.Close()
		if err != nil {
			return Result{}, fmt.Errorf("browser: reading %s: %w", resp.Request.URL, err)
		}
		if resp.StatusCode != http.StatusOK {
			return Result{}, &PageError{URL: resp.Request.URL, Status: resp.StatusCode, Page: string(body)}
		}
		form, err := b.pick(resp.Request.URL, string(body))
		if err != nil {
			return Result{}, &PageError{URL: resp.Request.URL, Status: resp.StatusCode, Problem: err.Error(), Page: string(body)}
		}
		for name, values := range b.Fields {
			if form.values.Has(name) {
				form.values[name] = values
			}
		}
		resp, err = b.do(ctx, http.MethodPost, form.action, form.values)
		if err != nil {
			return Result{}, err
		}
	}
	resp.Body.Close()
	return Result{}, fmt.Errorf("browser: never reached %s after %d pages", b.redirectURI, MaxSteps)
}

// pick finds the form to submit on page: the one with the Approve button,
// else (an identity provider's own sign-in page) the first approve button,
// else the demo GitHub's authorize button.
func (b *Browser) pick(base *url.URL, page string) (*htmlForm, error) {
	approve := b.Approve
	if approve == "" {
		approve = DefaultApprove
	}
	form, err := findForm(base, page, approve)
	if err != nil && approve != DefaultApprove {
		form, err = findForm(base, page, DefaultApprove)
	}
	if err != nil {
		form, err = findForm(base, page, fallbackApprove)
	}
	return form, err
}

// do sends a GET (form nil) or a form POST and records it in seen.
func (b *Browser) do(ctx context.Context, method, u string, form url.Values) (*http.Response, error) {
	var body io.Reader
	seen := u
	if form != nil {
		body = strings.NewReader(form.Encode())
		seen = u + "?" + form.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	b.seen = append(b.seen, seen)
	return b.Client.Do(req)
}

// redirectResult reads the authorization response (RFC 6749 §4.1.2,
// RFC 9207 §2) from the redirect's Location.
func redirectResult(location string) (Result, error) {
	u, err := url.Parse(location)
	if err != nil {
		return Result{}, err
	}
	q := u.Query()
	if e := q.Get("error"); e != "" {
		return Result{}, fmt.Errorf("authorization failed: %s: %s", e, q.Get("error_description"))
	}
	return Result{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
}
