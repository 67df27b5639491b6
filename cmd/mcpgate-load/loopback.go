package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

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
	if u.Hostname() == "" || !loadclient.IsLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%q: only loopback hosts (localhost, 127.0.0.0/8, [::1]) may be targeted", raw)
	}
	return u, nil
}

// origin is scheme://host[:port] of u.
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// newTransport is the one HTTP transport of the run: it can only dial
// loopback addresses (whatever a redirect or a document says, see
// loadclient.NewTransport), keeps enough idle connections for every
// client, and records every answer in stats.
func newTransport(stats *recorder, maxConns int) http.RoundTripper {
	return &recordingTransport{next: loadclient.NewTransport(maxConns), stats: stats}
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
