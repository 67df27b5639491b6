package tools

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// CallLimiter counts requests per key across every replica that shares the
// store (tokens.RateLimiter, which the memory and Redis stores implement).
type CallLimiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retryAfter time.Duration, err error)
}

// CallLimit bounds each person's tools/call requests per minute (YAML
// tools.rate_limit), counted in the store so that the bound holds however
// requests are spread over replicas (the sliding window counter of
// tokens.RateLimiter). A call over the bound is answered as a tool error
// (isError) that says when to retry, as GitHub's own rate limits are, so
// the model can wait and the client sees no protocol error. When the store
// cannot count, the call is admitted: the limit protects GitHub quotas and
// the server, and refusing every call during a store outage would take the
// tools down with it (the bearer check already needs the store).
type CallLimit struct {
	// Limiter counts the calls; PerMinute is the bound (at least 1).
	Limiter   CallLimiter
	PerMinute int
	// Caller returns the caller's user ID (the key of the count) and the
	// IDs to log; ok is false for a call without a verified caller, which
	// is not counted (tools.RequireScopes refuses it).
	Caller func(*mcp.CallToolRequest) (ids CallerIDs, ok bool)
	// Logger receives a line per refused call and per store failure, with
	// IDs only; nil discards them.
	Logger *slog.Logger
	// Now is the clock of the retry time in the message; nil is time.Now.
	Now func() time.Time
}

// CallerIDs identify a tool call's caller in logs and in the count.
type CallerIDs struct {
	UserID, ClientID, GrantID string
}

// callLimitWindow is the window of CallLimit.PerMinute.
const callLimitWindow = time.Minute

// callLimitKeyPrefix starts the store's key of a person's count.
const callLimitKeyPrefix = "tools/call:"

// Middleware is the receiving middleware (mcp.Server.
// AddReceivingMiddleware) that applies the limit to tools/call.
func (l CallLimit) Middleware(next mcp.MethodHandler) mcp.MethodHandler {
	if l.Limiter == nil || l.PerMinute < 1 || l.Caller == nil {
		return next
	}
	logger := l.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := l.Now
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		call, ok := req.(*mcp.CallToolRequest)
		if method != methodToolsCall || !ok || call.Params == nil {
			return next(ctx, method, req)
		}
		ids, ok := l.Caller(call)
		if !ok || ids.UserID == "" {
			return next(ctx, method, req)
		}
		admitted, retry, err := l.Limiter.Allow(ctx, callLimitKeyPrefix+ids.UserID, l.PerMinute, callLimitWindow)
		attrs := []slog.Attr{slog.String("user_id", ids.UserID), slog.String("client_id", ids.ClientID),
			slog.String("grant_id", ids.GrantID), slog.String("tool", displayName(call.Params.Name))}
		switch {
		case err != nil:
			logger.LogAttrs(ctx, slog.LevelWarn, "tools/call rate limiter unavailable; call admitted",
				append(attrs, slog.String("error", err.Error()))...)
			return next(ctx, method, req)
		case admitted:
			return next(ctx, method, req)
		}
		logger.LogAttrs(ctx, slog.LevelWarn, "tools/call refused by the per-user rate limit",
			append(attrs, slog.Int("limit_per_minute", l.PerMinute), slog.Duration("retry_after", retry))...)
		res := &mcp.CallToolResult{}
		res.SetError(&toolError{msg: callLimitMessage(l.PerMinute, retry, now())})
		return res, nil
	}
}

// callLimitMessage says what the limit is and when to retry: the wait
// rounded up to the second, and the UTC time it ends.
func callLimitMessage(perMinute int, retry time.Duration, now time.Time) string {
	wait := (retry + time.Second - 1).Truncate(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	return fmt.Sprintf("Too many tool calls: this server allows %d per minute per person. Retry in %s (after %s UTC); nothing was sent to GitHub.",
		perMinute, wait, now.Add(wait).UTC().Format("15:04:05"))
}

// displayName bounds a tool name written to logs.
func displayName(name string) string {
	const maxLogged = 64
	if len(name) > maxLogged {
		return name[:maxLogged] + "…"
	}
	return name
}
