package observe

import (
	"context"
	"log/slog"
)

// QuietHandler passes records to h one level lower: Info becomes Debug
// (Warn and Error stay). The go-sdk logs several Info lines for every
// /mcp request; behind it mcpgate's access log already has one, so they
// show only at MCPGATE_LOG_LEVEL=debug.
func QuietHandler(h slog.Handler) slog.Handler { return quiet{h} }

type quiet struct{ h slog.Handler }

func demote(l slog.Level) slog.Level {
	if l >= slog.LevelInfo && l < slog.LevelWarn {
		return slog.LevelDebug
	}
	return l
}

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool { return q.h.Enabled(ctx, demote(l)) }

func (q quiet) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demote(r.Level)
	return q.h.Handle(ctx, r)
}

func (q quiet) WithAttrs(as []slog.Attr) slog.Handler { return quiet{q.h.WithAttrs(as)} }
func (q quiet) WithGroup(name string) slog.Handler    { return quiet{q.h.WithGroup(name)} }

// ContextHandler adds the request ID (and the trace ID when a span is
// recording) of the record's context to every log line, so the
// operational log, the access log and the audit log meet on one ID.
func ContextHandler(h slog.Handler) slog.Handler { return withIDs{h} }

type withIDs struct{ h slog.Handler }

func (w withIDs) Enabled(ctx context.Context, l slog.Level) bool { return w.h.Enabled(ctx, l) }

func (w withIDs) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if id := RequestID(ctx); id != "" {
			r = r.Clone()
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return w.h.Handle(ctx, r)
}

func (w withIDs) WithAttrs(as []slog.Attr) slog.Handler { return withIDs{w.h.WithAttrs(as)} }
func (w withIDs) WithGroup(name string) slog.Handler    { return withIDs{w.h.WithGroup(name)} }

// Quiet is l with QuietHandler, for the go-sdk's loggers; nil stays nil.
func Quiet(l *slog.Logger) *slog.Logger {
	if l == nil {
		return nil
	}
	return slog.New(QuietHandler(l.Handler()))
}
