package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// sensitiveKeys are attribute keys whose values never reach a log line,
// whoever logs them (the go-sdk, a handler, a library). Call sites log IDs;
// this is the structural backstop.
var sensitiveKeys = []string{
	"token", "code", "code_verifier", "secret", "password", "cookie", "set-cookie",
	"authorization", "state", "nonce", "key",
}

// sensitiveSuffixes catch the compound names (access_token, client_secret).
var sensitiveSuffixes = []string{"_token", "_secret", "_password", "_cookie", "_verifier", "_key"}

// redact replaces the value of any attribute whose key names a secret, or
// that sits in a group whose name does (slog.Group("token", …),
// Logger.WithGroup): slog calls ReplaceAttr for a group's members only,
// never for the group itself.
func redact(groups []string, a slog.Attr) slog.Attr {
	if sensitiveKey(a.Key) || slices.ContainsFunc(groups, sensitiveKey) {
		return slog.String(a.Key, "[redacted]")
	}
	return a
}

// sensitiveKey reports whether an attribute or group name names a secret.
func sensitiveKey(name string) bool {
	key := strings.ToLower(name)
	return slices.Contains(sensitiveKeys, key) || slices.ContainsFunc(sensitiveSuffixes, func(s string) bool {
		return strings.HasSuffix(key, s)
	})
}

// newLogger builds the process logger: text or JSON on w, at level.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if level == "" {
		level = "info"
	}
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: redact}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("log format %q: use text or json", format)
	}
}

// redisLogger routes go-redis's own messages (connection pool failures)
// into the process logger at warn level, instead of raw lines on stderr.
type redisLogger struct{ logger *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.logger.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}
