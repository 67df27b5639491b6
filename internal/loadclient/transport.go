package loadclient

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"
)

// ErrNotLoopback is what dialling anything but a loopback address gives.
var ErrNotLoopback = errors.New("the load client dials loopback addresses only")

// NewTransport is an HTTP transport that can dial loopback addresses only
// (the check is on the address dialled, after name resolution) and keeps
// up to conns idle connections to each server, so that conns concurrent
// clients reuse theirs. It never uses a proxy: the targets are local.
// Callers may tune the result further (MaxConnsPerHost, compression).
func NewTransport(conns int) *http.Transport {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("%w: refused %s", ErrNotLoopback, address)
			}
			return nil
		},
	}
	return &http.Transport{
		DialContext:           dialer.DialContext,
		Proxy:                 nil,
		MaxIdleConns:          2 * conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
}

// NewClient is an HTTP client on t that never follows redirects: API
// answers are read as they come (a browser, browser.go, follows its own).
// A timeout of zero leaves requests bounded by their contexts only.
func NewClient(t http.RoundTripper, timeout time.Duration) *http.Client {
	return &http.Client{Transport: t, Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}
