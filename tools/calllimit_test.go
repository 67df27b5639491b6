package tools_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/tokens/memory"
	"github.com/mcpgate/mcpgate/tools"
)

// brokenLimiter is a store that cannot count.
type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string, int, time.Duration) (bool, time.Duration, error) {
	return false, 0, errors.New("redis: connection refused")
}

// TestCallLimit: each person's tools/call requests are counted in the
// store; the call over the bound is a tool error saying when to retry,
// and never reaches the tool; other people, other methods and calls
// without a verified caller are not limited; a store that cannot count
// admits the call and says so in the log, with IDs only.
func TestCallLimit(t *testing.T) {
	clock := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	var logs bytes.Buffer
	ran := 0
	next := func(context.Context, string, mcp.Request) (mcp.Result, error) {
		ran++
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ok"}}}, nil
	}
	// user is the caller of the next call; "" is a call without one.
	user := ""
	caller := func(*mcp.CallToolRequest) (tools.CallerIDs, bool) {
		return tools.CallerIDs{UserID: user, ClientID: "client-1", GrantID: "grant-1"}, user != ""
	}
	limit := tools.CallLimit{Limiter: memory.New(clock.Now), PerMinute: 2, Caller: caller,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clock.Now}
	h := limit.Middleware(next)
	callAs := func(h mcp.MethodHandler, who string) *mcp.CallToolResult {
		t.Helper()
		user = who
		res, err := h(t.Context(), "tools/call", &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "issue_read"}})
		if err != nil {
			t.Fatalf("tools/call: %v, want no protocol error", err)
		}
		return res.(*mcp.CallToolResult)
	}
	do := func(who string) *mcp.CallToolResult { t.Helper(); return callAs(h, who) }
	for range 2 {
		if res := do("github:1001"); res.IsError {
			t.Fatalf("call within the limit refused: %q", res.Content[0].(*mcp.TextContent).Text)
		}
	}
	before := ran
	res := do("github:1001")
	if !res.IsError {
		t.Fatal("third call in a minute with a limit of 2 was admitted")
	}
	if ran != before {
		t.Error("the refused call reached the tool")
	}
	// The suite's clock is 5 s into a minute: the window frees a call 55 s
	// later, plus half of the next window (2·(60−e)/60 ≤ 1 at e = 30 s).
	want := "Too many tool calls: this server allows 2 per minute per person. Retry in 1m25s (after 03:05:30 UTC); nothing was sent to GitHub."
	if got := res.Content[0].(*mcp.TextContent).Text; got != want {
		t.Errorf("message\n %q\nwant\n %q", got, want)
	}
	if res := do("github:1002"); res.IsError {
		t.Error("another person's call was refused")
	}
	// Not tools/call, or without a caller: not counted.
	if _, err := h(t.Context(), "tools/list", &mcp.ListToolsRequest{}); err != nil {
		t.Errorf("tools/list: %v", err)
	}
	for range 3 {
		if res := do(""); res.IsError {
			t.Errorf("call without a verified caller refused, want it passed on (RequireScopes refuses it)")
		}
	}
	clock.Advance(85 * time.Second)
	if res := do("github:1001"); res.IsError {
		t.Error("call at the retry time refused")
	}
	if log := logs.String(); !strings.Contains(log, "tools/call refused by the per-user rate limit") ||
		!strings.Contains(log, "user_id=github:1001") || !strings.Contains(log, "grant_id=grant-1") {
		t.Errorf("refusal log:\n%s", log)
	}

	logs.Reset()
	broken := tools.CallLimit{Limiter: brokenLimiter{}, PerMinute: 1, Caller: caller, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	bh := broken.Middleware(next)
	for range 3 {
		if res := callAs(bh, "github:1001"); res.IsError {
			t.Fatal("call with the store down refused, want it admitted")
		}
	}
	if !strings.Contains(logs.String(), "tools/call rate limiter unavailable; call admitted") {
		t.Errorf("store failure not logged:\n%s", logs.String())
	}
}
