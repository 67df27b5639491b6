package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// isLoopbackHost reports whether host (without port) is "localhost" or a
// loopback IP address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// loopbackURL parses raw and requires the given schemes and a loopback host.
func loopbackURL(raw string, schemes ...string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", raw)
	}
	ok := false
	for _, s := range schemes {
		ok = ok || u.Scheme == s
	}
	if !ok {
		return nil, fmt.Errorf("%q: the scheme must be %s", raw, strings.Join(schemes, " or "))
	}
	if u.Hostname() == "" || !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%q: only loopback hosts (localhost, 127.0.0.0/8, [::1]) may be targeted", raw)
	}
	return u, nil
}

// origin is scheme://host[:port] of u.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// errNotLoopback is what dialling anything but a loopback address gives.
var errNotLoopback = errors.New("mcpgate-load dials loopback addresses only")

// newTransport is the one HTTP transport of the run: it can only dial
// loopback addresses (whatever a redirect or a document says), keeps
// enough idle connections for every client, and records every answer in
// stats.
func newTransport(stats *recorder, maxConns int) http.RoundTripper {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("%w: refused %s", errNotLoopback, address)
			}
			return nil
		},
	}
	t := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		Proxy:                 nil, // never a proxy: the targets are local
		MaxIdleConns:          2 * maxConns,
		MaxIdleConnsPerHost:   maxConns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	return &recordingTransport{next: t, stats: stats}
}

// recordingTransport counts every HTTP answer by status, and every request
// that got none.
type recordingTransport struct {
	next  http.RoundTripper
	stats *recorder
}

func (t *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		t.stats.transportError()
		return nil, err
	}
	t.stats.status(resp.StatusCode)
	return resp, nil
}
