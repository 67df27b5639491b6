package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestLoggerRedactsSecrets checks the logger's redaction backstop on plain
// attributes, compound keys, any letter case, nested groups whose name
// marks them secret, and both formats.
func TestLoggerRedactsSecrets(t *testing.T) {
	const secret = "mcp_at_supersecretvalue"
	tests := []struct {
		name string
		attr slog.Attr
	}{
		{"plain key", slog.String("token", secret)},
		{"compound key", slog.String("access_token", secret)},
		{"upper case", slog.String("Authorization", "Bearer "+secret)},
		{"inside a group", slog.Group("request", slog.String("refresh_token", secret))},
		{"group named for a secret", slog.Group("token", slog.String("value", secret))},
		{"nested group named for a secret", slog.Group("upstream", slog.Group("client_secret", slog.String("v", secret)))},
		{"header map in a secret group", slog.Group("authorization", slog.Any("raw", []string{secret}))},
	}
	for _, format := range []string{"text", "json"} {
		for _, tt := range tests {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				logger, err := newLogger(&buf, "debug", format)
				if err != nil {
					t.Fatal(err)
				}
				logger.LogAttrs(t.Context(), slog.LevelInfo, "msg", tt.attr, slog.String("grant_id", "g1"))
				out := buf.String()
				if strings.Contains(out, secret) {
					t.Errorf("log line carries the secret: %s", out)
				}
				if !strings.Contains(out, "[redacted]") || !strings.Contains(out, "g1") {
					t.Errorf("log line lacks the redaction marker or the ID: %s", out)
				}
			})
		}
	}
}
