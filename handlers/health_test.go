package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakePinger answers Ping with err and records the deadline it was given.
type fakePinger struct {
	err         error
	deadline    time.Time
	hasDeadline bool
	calls       int
}

func (p *fakePinger) Ping(ctx context.Context) error {
	p.calls++
	p.deadline, p.hasDeadline = ctx.Deadline()
	return p.err
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		pingErr    error
		wantStatus int
		wantBody   healthStatus
		wantPings  int
	}{
		{"live with a healthy store", "/healthz", nil, http.StatusOK, healthStatus{Status: "ok"}, 0},
		{"live with the store down", "/healthz", errors.New("dial tcp 10.0.0.7:6379: connection refused"), http.StatusOK, healthStatus{Status: "ok"}, 0},
		{"ready", "/readyz", nil, http.StatusOK, healthStatus{Status: "ready"}, 1},
		{"not ready", "/readyz", errors.New("dial tcp 10.0.0.7:6379: connection refused"), http.StatusServiceUnavailable,
			healthStatus{Status: "unavailable", Error: "store unreachable"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakePinger{err: tt.pingErr}
			mux := http.NewServeMux()
			(&Health{Store: p}).Mount(mux)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			end := time.Now()
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			raw := rec.Body.String()
			var got healthStatus
			if err := json.Unmarshal([]byte(raw), &got); err != nil {
				t.Fatalf("body %q: %v", raw, err)
			}
			if got != tt.wantBody {
				t.Errorf("body = %+v, want %+v", got, tt.wantBody)
			}
			if strings.Contains(raw, "10.0.0.7") {
				t.Errorf("body leaks internal details: %s", raw)
			}
			if p.calls != tt.wantPings {
				t.Errorf("pings = %d, want %d", p.calls, tt.wantPings)
			}
			if tt.wantPings > 0 && (!p.hasDeadline || p.deadline.After(end.Add(readyTimeout))) {
				t.Errorf("ping deadline = %v (set %v), want at most %v after the request", p.deadline, p.hasDeadline, readyTimeout)
			}
		})
	}
}

func TestHealthOnlyGET(t *testing.T) {
	mux := http.NewServeMux()
	(&Health{Store: &fakePinger{}}).Mount(mux)
	for _, path := range []string{"/healthz", "/readyz"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: status = %d, want 405", path, rec.Code)
		}
	}
}
