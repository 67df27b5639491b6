package loadclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDoJSON(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		want        string // the decoded "value"; "" when an error is wanted
		wantStatus  int    // of the *HTTPFailure
		wantDetail  string
		wantFailure bool
	}{
		{name: "the status wanted", status: http.StatusOK, body: `{"value":"v"}`, want: "v"},
		{name: "an OAuth error", status: http.StatusBadRequest, body: `{"error":"invalid_grant"}`,
			wantFailure: true, wantStatus: 400, wantDetail: "invalid_grant"},
		{name: "an OAuth error with its description", status: http.StatusUnauthorized,
			body:        `{"error":"invalid_client","error_description":"unknown client"}`,
			wantFailure: true, wantStatus: 401, wantDetail: "invalid_client: unknown client"},
		{name: "a page, not JSON", status: http.StatusBadGateway, body: "bad gateway\nmore lines",
			wantFailure: true, wantStatus: 502, wantDetail: "bad gateway"},
		{name: "another success status", status: http.StatusCreated, body: `{"value":"v"}`,
			wantFailure: true, wantStatus: 201, wantDetail: `{"value":"v"}`},
		{name: "undecodable", status: http.StatusOK, body: `{"value":`,
			wantFailure: true, wantStatus: 200, wantDetail: "undecodable JSON answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			var dst struct {
				Value string `json:"value"`
			}
			err = DoJSON(NewClient(NewTransport(1), 0), req, http.StatusOK, &dst)
			if !tt.wantFailure {
				if err != nil || dst.Value != tt.want {
					t.Fatalf("DoJSON: %q, %v; want %q", dst.Value, err, tt.want)
				}
				return
			}
			wantFailure(t, "DoJSON", err, tt.wantStatus, tt.wantDetail)
		})
	}
}

// wantFailure fails the test unless err is an *HTTPFailure with status
// and detail.
func wantFailure(t *testing.T, call string, err error, status int, detail string) {
	t.Helper()
	if hf, ok := errors.AsType[*HTTPFailure](err); !ok || hf.Status != status || hf.Detail != detail {
		t.Fatalf("%s: %v, want HTTP %d %q", call, err, status, detail)
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"one line", "one line"},
		{"first\nsecond", "first"},
		{strings.Repeat("x", 300), strings.Repeat("x", 200)},
	}
	for _, tt := range tests {
		if got := Excerpt([]byte(tt.in)); got != tt.want {
			t.Errorf("Excerpt(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
