package handlers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/safehttp"
)

// TestCIMDFetchOutageAtTokenIs503 checks that a metadata document host
// that cannot be reached (connection refused, timeout) is an outage at the
// token endpoint: 503 temporarily_unavailable, which clients retry, and
// not 401 invalid_client, which makes them discard their registration and
// tokens. The failure is cached for cimdNegativeTTL (retries inside it
// cost no fetch), and the refresh token works again once the host answers
// and that time has passed.
func TestCIMDFetchOutageAtTokenIs503(t *testing.T) {
	outages := []struct {
		name string
		err  error
	}{
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}},
		{"timeout", context.DeadlineExceeded},
		{"host answers 503", &safehttp.StatusError{Code: http.StatusServiceUnavailable}},
		{"host answers 429", &safehttp.StatusError{Code: http.StatusTooManyRequests}},
	}
	for _, tt := range outages {
		t.Run(tt.name, func(t *testing.T) {
			var down atomic.Bool
			f := newFakeFetcher(func(u string) ([]byte, http.Header, error) {
				if down.Load() {
					return nil, nil, tt.err
				}
				return []byte(cimdTestdata(t, "app.json", u)), http.Header{}, nil
			})
			s := newTestServer(t, func(c *Config) { c.FetchClientMetadata = f.fetch })
			c := cimdClient("https://app.example.net/clients/app.json", cimdAppRedirect)
			pair := s.tokenPair(c)

			s.clock.Advance(cimdDefaultTTL + time.Second) // the cached document is stale
			down.Store(true)
			want503(t, s.refresh(c, pair.RefreshToken))

			down.Store(false)
			fetches := f.count("https://app.example.net/clients/app.json")
			want503(t, s.refresh(c, pair.RefreshToken))
			if n := f.count("https://app.example.net/clients/app.json"); n != fetches {
				t.Errorf("a retry inside the negative cache's TTL fetched the document again")
			}
			s.clock.Advance(cimdNegativeTTL)
			if resp := s.refresh(c, pair.RefreshToken); resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh after the document host recovered: %d %s", resp.StatusCode, readBody(t, resp))
			}
		})
	}
}
