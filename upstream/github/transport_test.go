package github

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// recordingTransport answers 200 and remembers the Authorization header of
// every request it sends.
type recordingTransport struct {
	seen map[string]string // URL -> Authorization
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.seen[r.URL.String()] = r.Header.Get("Authorization")
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("{}")), Header: http.Header{}, Request: r}, nil
}

// TestUserTransportSendsTokenOnlyToAPIHost checks that the upstream
// token goes to the provider's API origin only: a redirect that http.Client
// follows through this transport to another host, scheme or port must not
// carry it, even when the redirected request still has the header.
func TestUserTransportSendsTokenOnlyToAPIHost(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		wantAuth string
	}{
		{"api host", "https://api.github.example/repos/o/r", "Bearer gho_upstream"},
		{"api host other case", "https://API.github.example/user", "Bearer gho_upstream"},
		{"other host", "https://objects.cdn.example/blob", ""},
		{"plain http to api host", "http://api.github.example/user", ""},
		{"other port", "https://api.github.example:8443/user", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingTransport{seen: map[string]string{}}
			tr := &userTransport{
				next: rec, src: nil, used: "gho_upstream", logger: slog.New(slog.DiscardHandler),
				apiScheme: "https", apiHost: "api.github.example",
			}
			req, err := http.NewRequest(http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			// As if copied from the original request by a redirect.
			req.Header.Set("Authorization", "Bearer gho_upstream")
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := rec.seen[tt.url]; got != tt.wantAuth {
				t.Errorf("Authorization sent to %s = %q, want %q", tt.url, got, tt.wantAuth)
			}
		})
	}
}
