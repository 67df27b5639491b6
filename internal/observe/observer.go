package observe

import (
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Observer is what the handlers call. Each part is optional; a nil
// Observer records nothing but still gives requests an ID.
type Observer struct {
	// Audit receives the security-relevant events.
	Audit *Audit
	// Metrics counts events, requests, tool calls and upstream calls.
	Metrics *Metrics
	// AccessLog gets one line per HTTP request at Info; nil logs none.
	AccessLog *slog.Logger
	// Tracer starts server spans; nil traces nothing.
	Tracer trace.TracerProvider
}
