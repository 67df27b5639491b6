package tools_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
)

// TestRateLimitAnswers covers GitHub's other rate-limit answers, which the
// fake's SetRateLimited (403, primary) does not produce: 429 for the
// primary limit and the secondary limit with Retry-After, with GitHub's
// own messages.
func TestRateLimitAnswers(t *testing.T) {
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	reset := now.Add(12 * time.Minute)
	cases := []struct {
		name    string
		status  int
		headers map[string]string
		body    string
		want    string
	}{
		{"primary limit as 429", http.StatusTooManyRequests,
			map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "5000", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)},
			`{"message":"API rate limit exceeded for user ID 1001.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`,
			"GitHub rate limit reached; it resets at 20:12 UTC (in 12m)."},
		{"secondary limit with Retry-After", http.StatusForbidden,
			map[string]string{"Retry-After": "90", "X-RateLimit-Remaining": "4000"},
			`{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
			"GitHub secondary rate limit; retry after 1m30s."},
		{"secondary limit as 429 without Retry-After", http.StatusTooManyRequests, nil,
			`{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
			"GitHub secondary rate limit; wait a minute before retrying."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tc.headers {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			base := srv.URL + "/"
			cs := connect(t, tools.Deps{
				GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
					return github.NewClient(github.WithAuthToken("gho_x"), github.WithURLs(&base, &base))
				},
				Now: func() time.Time { return now },
			})
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "actions_list", Arguments: map[string]any{
				"method": "list_workflows", "owner": "mona", "repo": "hello-world",
			}})
			if err != nil {
				t.Fatal(err)
			}
			if got := errorText(t, res); !strings.Contains(got, tc.want) {
				t.Errorf("error = %q, want %q", got, tc.want)
			}
		})
	}
}
