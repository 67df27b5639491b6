package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // substring; "" means success
	}{
		{"start replicas", []string{"-redis", "redis://127.0.0.1:6379/0"}, ""},
		{"targets", []string{"-target", "http://127.0.0.1:8080, http://localhost:8081/"}, ""},
		{"IPv6 loopback target", []string{"-target", "http://[::1]:8080"}, ""},
		{"no redis and no target", nil, "-redis is required"},
		{"remote target", []string{"-target", "https://mcp.example.com"}, "only loopback hosts"},
		{"one remote target among local ones", []string{"-target", "http://127.0.0.1:8080,http://10.0.0.1:8080"}, "only loopback hosts"},
		{"remote redis", []string{"-redis", "redis://redis.example.com:6379/0"}, "only loopback hosts"},
		{"redis URL without scheme", []string{"-redis", "127.0.0.1:6379"}, "not a URL"},
		{"http URL for redis", []string{"-redis", "http://127.0.0.1:6379"}, "scheme must be redis"},
		{"target with redis", []string{"-target", "http://127.0.0.1:8080", "-redis", "redis://127.0.0.1:6379"}, "already running"},
		{"too many clients", []string{"-redis", "redis://127.0.0.1:6379", "-clients", "100000"}, "-clients"},
		{"no duration", []string{"-redis", "redis://127.0.0.1:6379", "-duration", "0s"}, "-duration"},
		{"too long", []string{"-redis", "redis://127.0.0.1:6379", "-duration", "5h"}, "-duration"},
		{"upstream TTL inside the refresh margin", []string{"-redis", "redis://127.0.0.1:6379", "-upstream-ttl", "20s"}, "-upstream-ttl"},
		{"stray argument", []string{"-redis", "redis://127.0.0.1:6379", "extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, io.Discard)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("parseFlags(%q): %v", tt.args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("parseFlags(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			case tt.wantErr == "" && o.clients != 200:
				t.Errorf("default -clients = %d, want 200", o.clients)
			}
		})
	}
}

func TestParseFlagsNormalisesTargets(t *testing.T) {
	o, err := parseFlags([]string{"-target", "http://127.0.0.1:8080/, http://localhost:9090/mcp"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://127.0.0.1:8080", "http://localhost:9090"}
	if strings.Join(o.targets, " ") != strings.Join(want, " ") {
		t.Errorf("targets = %q, want %q", o.targets, want)
	}
}

// TestTransportDialsLoopbackOnly: whatever URL a document or a redirect
// names, the load generator's HTTP client cannot reach off the machine.
func TestTransportDialsLoopbackOnly(t *testing.T) {
	hc := &http.Client{Transport: newTransport(newRecorder(), 4)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// 192.0.2.0/24 is TEST-NET-1 (RFC 5737): the dial is refused before
	// any packet is sent.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://192.0.2.1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hc.Do(req); !errors.Is(err, loadclient.ErrNotLoopback) {
		t.Errorf("GET off loopback: %v, want loadclient.ErrNotLoopback", err)
	}
}

func TestOnReplica(t *testing.T) {
	got := onReplica("http://127.0.0.1:8080/token?x=1", "http://127.0.0.1:9090")
	if got != "http://127.0.0.1:9090/token?x=1" {
		t.Errorf("onReplica = %q", got)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 0.5, 0},
		{ms(7), 0.99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 1, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
		}
	}
}
