package observe

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Audit writes one JSON object per line to its own stream (MCPGATE_AUDIT_LOG),
// separate from the operational log so that it can be kept, shipped and
// searched on its own. The field names are a contract (README "Audit log").
type Audit struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewAudit writes to w; now stamps events (time.Now when nil).
func NewAudit(w io.Writer, now func() time.Time) *Audit {
	if now == nil {
		now = time.Now
	}
	return &Audit{w: w, now: now}
}

// auditLine is the JSON shape of one event. Empty fields are omitted.
type auditLine struct {
	Time            string  `json:"time"`
	Event           Kind    `json:"event"`
	RequestID       string  `json:"request_id,omitempty"`
	TraceID         string  `json:"trace_id,omitempty"`
	ClientID        string  `json:"client_id,omitempty"`
	GrantID         string  `json:"grant_id,omitempty"`
	UserID          string  `json:"user_id,omitempty"`
	Provider        string  `json:"provider,omitempty"`
	By              string  `json:"by,omitempty"`
	Result          string  `json:"result,omitempty"`
	GrantType       string  `json:"grant_type,omitempty"`
	Tool            string  `json:"tool,omitempty"`
	Repository      string  `json:"repository,omitempty"`
	Backend         string  `json:"backend,omitempty"`
	DurationMS      float64 `json:"duration_ms,omitempty"`
	GitHubRequestID string  `json:"github_request_id,omitempty"`
	Reason          string  `json:"reason,omitempty"`
}

func (a *Audit) record(ctx context.Context, e Event) {
	line := auditLine{
		Time:            a.now().UTC().Format(time.RFC3339Nano),
		Event:           e.Kind,
		RequestID:       RequestID(ctx),
		ClientID:        e.ClientID,
		GrantID:         e.GrantID,
		UserID:          e.UserID,
		Provider:        e.Provider,
		By:              e.By,
		Result:          e.Result,
		GrantType:       e.GrantType,
		Tool:            e.Tool,
		Repository:      e.Repository,
		Backend:         e.Backend,
		GitHubRequestID: e.GitHubRequestID,
		Reason:          e.Reason,
	}
	if e.Duration > 0 {
		line.DurationMS = float64(e.Duration.Microseconds()) / 1000
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		line.TraceID = sc.TraceID().String()
	}
	b, err := json.Marshal(line)
	if err != nil {
		return // cannot happen: every field is a string or a number
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	// A failed write (disk full) must not fail the request it describes;
	// the operational log has the same outcome at Info.
	_, _ = a.w.Write(b)
}
