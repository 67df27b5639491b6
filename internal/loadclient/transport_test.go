package loadclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestNewTransportDialsLoopbackOnly: whatever URL a document or a redirect
// names, the client cannot reach off the machine, and reaches loopback.
func TestNewTransportDialsLoopbackOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	hc := NewClient(NewTransport(4), 0)
	tests := []struct {
		name, url string
		wantErr   error
	}{
		{"loopback", srv.URL, nil},
		// 192.0.2.0/24 is TEST-NET-1 (RFC 5737): the dial is refused
		// before any packet is sent.
		{"TEST-NET-1", "http://192.0.2.1/", ErrNotLoopback},
		{"IPv6 documentation address", "http://[2001:db8::1]/", ErrNotLoopback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hc.Do(req)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("GET %s: %v", tt.url, err)
				}
				resp.Body.Close()
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("GET %s: %v, want %v", tt.url, err, tt.wantErr)
			}
		})
	}
}

// TestNewClientReadsRedirects: an API answer that redirects is read as it
// comes, not followed.
func TestNewClientReadsRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	resp, err := NewClient(NewTransport(1), 5*time.Second).Get(srv.URL + "/moved")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/elsewhere" {
		t.Errorf("answer %d to %q, want the 302 itself", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestIsLoopbackHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LOCALHOST", true},
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"[::1]", true},
		{"", false},
		{"10.0.0.1", false},
		{"192.0.2.1", false},
		{"example.com", false},
		{"localhost.example.com", false},
		{"[2001:db8::1]", false},
	}
	for _, tt := range tests {
		if got := IsLoopbackHost(tt.host); got != tt.want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}
