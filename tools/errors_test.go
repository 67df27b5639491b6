package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-github/v92/github"

	"github.com/mcpgate/mcpgate/upstream"
)

// TestAPIErrorMessages covers the GitHub answers the fake GitHub does not
// produce (secondary limits, permission and server errors) next to the
// ones it does, with exact messages.
func TestAPIErrorMessages(t *testing.T) {
	now := time.Date(2026, 5, 4, 14, 52, 30, 0, time.UTC)
	ts := &toolset{deps: Deps{Now: func() time.Time { return now }}}
	repo := target{what: "issue #7", repo: repoRef{Owner: "mona", Repo: "hello-world"}}
	resp := func(status int) *http.Response {
		return &http.Response{StatusCode: status, Request: &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "api.github.com", Path: "/repos/mona/hello-world/issues/7"}}}
	}
	retry := 30 * time.Second

	cases := []struct {
		name string
		err  error
		t    target
		want string
	}{
		{"primary limit", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(12*time.Minute + 10*time.Second)}}, Response: resp(403)}, repo,
			"GitHub rate limit reached; it resets at 15:05 UTC (in 13m)."},
		{"primary limit in hours", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(65 * time.Minute)}}, Response: resp(429)}, repo,
			"GitHub rate limit reached; it resets at 15:58 UTC (in 1h5m)."},
		{"primary limit about to reset", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(20 * time.Second)}}, Response: resp(403)}, repo,
			"GitHub rate limit reached; it resets at 14:53 UTC (in under a minute)."},
		{"primary limit on the minute", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: time.Date(2026, 5, 4, 15, 4, 0, 0, time.UTC)}}, Response: resp(403)}, repo,
			"GitHub rate limit reached; it resets at 15:04 UTC (in 12m)."},
		{"primary limit without reset", &github.RateLimitError{Response: resp(403)}, repo,
			"GitHub rate limit reached; try again later."},
		{"primary limit, wrapped", fmt.Errorf("listing: %w", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(2 * time.Minute)}}, Response: resp(403)}), repo,
			"GitHub rate limit reached; it resets at 14:55 UTC (in 2m)."},
		{"secondary limit", &github.AbuseRateLimitError{Response: resp(403), RetryAfter: &retry}, repo,
			"GitHub secondary rate limit; retry after 30s."},
		{"secondary limit without retry-after", &github.AbuseRateLimitError{Response: resp(429)}, repo,
			"GitHub secondary rate limit; wait a minute before retrying."},
		{"not found", &github.ErrorResponse{Response: resp(404), Message: "Not Found"}, repo,
			"issue #7 not found, or your GitHub account has no access to mona/hello-world."},
		{"not found without repository", &github.ErrorResponse{Response: resp(404), Message: "Not Found"}, target{what: "your GitHub user"},
			"your GitHub user not found on GitHub."},
		{"unauthorized", &github.ErrorResponse{Response: resp(401), Message: "Bad credentials"}, repo, reconnectMessage},
		{"forbidden", &github.ErrorResponse{Response: resp(403), Message: "Resource not accessible by integration"}, repo,
			"GitHub refused this (403): your GitHub account lacks permission on mona/hello-world, or an organization policy restricts mcpgate's access. GitHub said: Resource not accessible by integration."},
		{"forbidden without repository", &github.ErrorResponse{Response: resp(403)}, target{},
			"GitHub refused this (403): your GitHub account lacks permission for this, or an organization policy restricts mcpgate's access."},
		{"validation", &github.ErrorResponse{Response: resp(422), Message: "Validation Failed", Errors: []github.Error{
			{Resource: "Issue", Field: "title", Code: "missing_field"},
			{Resource: "Issue", Field: "labels", Code: "custom", Message: "labels are too long"},
			{Message: "plain text error"},
		}}, repo,
			"GitHub rejected the request as invalid: Validation Failed (title missing_field; labels: labels are too long; plain text error)."},
		{"gone", &github.ErrorResponse{Response: resp(410), Message: "Issues are disabled for this repo"}, repo,
			"GitHub says this is gone (410): Issues are disabled for this repo."},
		{"server error", &github.ErrorResponse{Response: resp(502), Message: "Server Error"}, repo,
			"GitHub API error (status 502): Server Error."},
		{"server error without message", &github.ErrorResponse{Response: resp(503)}, repo,
			"GitHub API error (status 503): Service Unavailable."},
		{"cancelled", fmt.Errorf("get: %w", context.Canceled), repo,
			"could not complete the GitHub request: the request was cancelled"},
		{"timeout", context.DeadlineExceeded, repo,
			"could not complete the GitHub request: GitHub did not answer in time"},
		{"redirect", &github.RedirectionError{Response: resp(301), StatusCode: 301}, repo,
			"could not complete the GitHub request: GitHub answered with a redirect (status 301)"},
		{"already a tool error", &toolError{msg: "GitHub returned file content this tool cannot decode: bad"}, repo,
			"GitHub returned file content this tool cannot decode: bad"},
		{"network", &url.Error{Op: "Get", URL: "https://api.github.com/user", Err: errors.New("connection refused")}, repo,
			`could not complete the GitHub request: Get "https://api.github.com/user": connection refused`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ts.apiError(tc.err, tc.t)
			if got := err.Error(); got != tc.want {
				t.Errorf("message = %q\nwant        %q", got, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("the mapped error does not wrap the cause")
			}
		})
	}
}

func TestClientErrorMessages(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"revoked", fmt.Errorf("grant g-1: refresh: %w", upstream.ErrRevoked), reconnectMessage},
		{"other", errors.New("store unavailable"), "could not reach GitHub for your account: store unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := clientError(tc.err)
			if got := err.Error(); got != tc.want {
				t.Errorf("message = %q, want %q", got, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("the mapped error does not wrap the cause")
			}
		})
	}
}

func TestCutUTF8(t *testing.T) {
	cases := []struct {
		name          string
		in            string
		limit         int
		want          string
		wantTruncated bool
	}{
		{"short", "abc", 5, "abc", false},
		{"exact", "abcde", 5, "abcde", false},
		{"ascii cut", "abcdef", 5, "abcde", true},
		{"inside a two-byte rune", "abcdé", 5, "abcd", true},
		{"inside a four-byte rune", "ab😀", 4, "ab", true},
		{"after a rune", "abé!", 4, "abé", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, truncated := cutUTF8([]byte(tc.in), tc.limit)
			if string(got) != tc.want || truncated != tc.wantTruncated {
				t.Errorf("cutUTF8(%q, %d) = %q, %v; want %q, %v", tc.in, tc.limit, got, truncated, tc.want, tc.wantTruncated)
			}
		})
	}
}

func TestIsBinary(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"text", "hello\nworld\n", false},
		{"utf-8", "grüße 😀", false},
		{"empty", "", false},
		{"nul", "abc\x00def", true},
		{"latin-1", "gr\xfc\xdfe", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := isBinary([]byte(tc.in)); got != tc.want {
				t.Errorf("isBinary(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestCleanPath(t *testing.T) {
	cases := []struct {
		in, want string
		wantErr  bool
	}{
		{"", "", false},
		{"/", "", false},
		{"README.md", "README.md", false},
		{"/docs/api.md/", "docs/api.md", false},
		{"docs//api.md", "", true},
		{"../x", "", true},
		{"docs/./api.md", "", true},
		{"docs/..", "", true},
		{".github/workflows", ".github/workflows", false},
	}
	for _, tc := range cases {
		got, err := cleanPath(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("cleanPath(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
