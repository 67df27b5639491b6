package observe

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// RedisHook measures (and, with tracing on, traces) every command the
// store sends: add it with client.AddHook. redis.Nil (no such key) is an
// answer, not an error. Nil when the Observer has neither metrics nor
// tracing.
func (o *Observer) RedisHook() redis.Hook {
	if o == nil || (o.Metrics == nil && o.Tracer == nil) {
		return nil
	}
	return redisHook{o: o}
}

type redisHook struct{ o *Observer }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		done := h.start(ctx, commandLabel(cmd.Name()))
		err := next(ctx, cmd)
		done(err)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		done := h.start(ctx, "pipeline")
		err := next(ctx, cmds)
		done(err)
		return err
	}
}

func (h redisHook) start(ctx context.Context, command string) func(error) {
	begin := time.Now()
	var span trace.Span
	if h.o.Tracer != nil && trace.SpanContextFromContext(ctx).IsValid() {
		// Only inside a traced request: background work would otherwise
		// start a root span per command.
		_, span = h.o.Tracer.Tracer(tracerName).Start(ctx, "redis "+command, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("db.system.name", "redis"), attribute.String("db.operation.name", command)))
	}
	return func(err error) {
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		if m := h.o.Metrics; m != nil {
			result := "ok"
			if err != nil {
				result = "error"
			}
			m.storeCommands.WithLabelValues(command, result).Inc()
			m.storeDuration.WithLabelValues(command).Observe(time.Since(begin).Seconds())
		}
		if span != nil {
			if err != nil {
				span.SetStatus(codes.Error, "redis error")
			}
			span.End()
		}
	}
}

// commandLabel bounds the command label: the store sends a fixed set of
// commands, so anything unexpected (or long) is "other".
func commandLabel(name string) string {
	if name == "" || len(name) > 24 {
		return labelOther
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c == '.' || c == '_') {
			return labelOther
		}
	}
	return name
}
