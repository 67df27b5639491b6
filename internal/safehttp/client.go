package safehttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Defaults of Options.
const (
	DefaultTimeout  = 5 * time.Second
	DefaultMaxBytes = 64 << 10
	// DefaultUserAgent identifies the fetcher to the servers it reads.
	DefaultUserAgent = "mcpgate (+https://github.com/mcpgate/mcpgate)"
	// maxHeaderBytes bounds the response headers.
	maxHeaderBytes = 16 << 10
)

// Errors of a fetch, for errors.Is. Network failures, timeouts and TLS
// errors come as the net/http errors they are.
var (
	// ErrNotHTTPS: the URL is not an absolute https URL.
	ErrNotHTTPS = errors.New("safehttp: only https URLs may be fetched")
	// ErrCredentials: the URL or the request carries credentials.
	ErrCredentials = errors.New("safehttp: requests must not carry credentials")
	// ErrRedirect: the server answered with a redirect.
	ErrRedirect = errors.New("safehttp: redirects are not followed")
	// ErrStatus: the server answered with a status other than 200.
	ErrStatus = errors.New("safehttp: unexpected HTTP status")
	// ErrContentType: the answer is not application/json.
	ErrContentType = errors.New("safehttp: the response is not application/json")
	// ErrTooLarge: the body exceeds Options.MaxBytes.
	ErrTooLarge = errors.New("safehttp: the response is too large")
)

// StatusError is a status other than 200; it matches ErrStatus with
// errors.Is, and Temporary tells a host that is down or overloaded (5xx,
// 429) from one that refuses the request.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("%v %d", ErrStatus, e.Code) }

// Is makes errors.Is(err, ErrStatus) hold.
func (e *StatusError) Is(target error) bool { return target == ErrStatus }

// Temporary reports a status that may go away by itself: 429 or 5xx.
func (e *StatusError) Temporary() bool {
	return e.Code == http.StatusTooManyRequests || e.Code >= 500
}

// Options configure a client. The zero value is the production policy.
type Options struct {
	// Timeout bounds a whole fetch: connecting, TLS, headers and body.
	// Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds the body Client.Get reads. Zero means
	// DefaultMaxBytes.
	MaxBytes int64
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// AllowLoopback lets the client connect to 127.0.0.0/8 and ::1.
	// TEST ONLY: it exists so that tests can serve documents from a local
	// httptest TLS server. Production code must never set it; every other
	// forbidden range stays forbidden.
	AllowLoopback bool
	// RootCAs replaces the system roots. Tests only (the certificate of an
	// httptest server); nil means the system roots.
	RootCAs *x509.CertPool
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	return o
}

// NewClient returns an http.Client for untrusted URLs (see the package
// documentation): https only, public addresses only (checked at dial
// time), no redirects, no cookies, no proxy, a total timeout. It does not
// cap the body; Client.Get does.
func NewClient(opts Options) *http.Client {
	opts = opts.withDefaults()
	dialer := &net.Dialer{
		Timeout: opts.Timeout,
		Control: dialControl(opts.AllowLoopback),
	}
	transport := &http.Transport{
		Proxy:       nil, // never a proxy from HTTP(S)_PROXY: it would dial on our behalf, unchecked
		DialContext: dialer.DialContext,
		TLSClientConfig: &tls.Config{
			RootCAs:    opts.RootCAs,
			MinVersion: tls.VersionTLS12,
		},
		TLSHandshakeTimeout:    opts.Timeout,
		ResponseHeaderTimeout:  opts.Timeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        30 * time.Second,
	}
	return &http.Client{
		Transport: &guard{next: transport},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return ErrRedirect
		},
		Jar:     nil,
		Timeout: opts.Timeout,
	}
}

// guard refuses requests that are not plain https without credentials,
// whoever builds them.
type guard struct {
	next *http.Transport
}

func (g *guard) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := checkURL(r.URL); err != nil {
		closeBody(r)
		return nil, err
	}
	if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" || r.Header.Get("Proxy-Authorization") != "" {
		closeBody(r)
		return nil, ErrCredentials
	}
	return g.next.RoundTrip(r)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (g *guard) CloseIdleConnections() { g.next.CloseIdleConnections() }

func closeBody(r *http.Request) {
	if r.Body != nil {
		r.Body.Close()
	}
}

func checkURL(u *url.URL) error {
	switch {
	case u == nil || u.Scheme != "https" || u.Host == "" || u.Hostname() == "" || u.Opaque != "":
		return ErrNotHTTPS
	case u.User != nil:
		return ErrCredentials
	}
	return nil
}

// Client fetches JSON documents from untrusted URLs.
type Client struct {
	http      *http.Client
	maxBytes  int64
	userAgent string
}

// New returns a Client with the policy of NewClient and the body cap of
// opts.
func New(opts Options) *Client {
	opts = opts.withDefaults()
	return &Client{http: NewClient(opts), maxBytes: opts.MaxBytes, userAgent: opts.UserAgent}
}

// Get fetches rawURL and returns the body and headers of a 200 answer whose
// Content-Type is application/json (parameters such as charset allowed).
// Anything else is an error: another status, another type, a redirect, a
// body over the size cap, a forbidden address, a timeout.
func (c *Client) Get(ctx context.Context, rawURL string) ([]byte, http.Header, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, ErrNotHTTPS
	}
	if err := checkURL(u); err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, ErrNotHTTPS
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, &StatusError{Code: resp.StatusCode}
	}
	mediaType, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/json" {
		return nil, nil, ErrContentType
	}
	if resp.ContentLength > c.maxBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes announced, at most %d accepted", ErrTooLarge, resp.ContentLength, c.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(body)) > c.maxBytes {
		return nil, nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.maxBytes)
	}
	return body, resp.Header, nil
}
