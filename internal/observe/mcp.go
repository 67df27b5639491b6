package observe

import (
	"context"
	"encoding/json"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// methodToolsCall is the MCP method that runs a tool.
const methodToolsCall = "tools/call"

// Caller names who makes a tool call; the caller's tokens stay out.
type Caller struct {
	UserID, ClientID, GrantID, Provider string
}

// CallerFunc reads the caller of a tool call from the request (the
// protected resource puts it in the request's TokenInfo).
type CallerFunc func(*mcp.CallToolRequest) (Caller, bool)

// MCPMiddleware returns a receiving middleware for an mcp.Server that
// audits and measures every tools/call: tool, caller, the repository when
// the arguments name one (owner and repo), outcome, duration and the
// GitHub request ID of the last API call the tool made. Arguments and
// results are never recorded. With tracing on, each call gets a span whose
// parent is the traceparent in the request's _meta when the client sent
// one, else the HTTP request's span.
func (o *Observer) MCPMiddleware(caller CallerFunc) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			call, ok := req.(*mcp.CallToolRequest)
			if o == nil || method != methodToolsCall || !ok || call.Params == nil {
				return next(ctx, method, req)
			}
			start := time.Now()
			ctx, notes := withNotes(ctx)
			var span trace.Span
			if o.Tracer != nil {
				ctx, span = o.toolSpan(ctx, call)
			}
			res, err := next(ctx, method, req)
			outcome := "ok"
			switch r, _ := res.(*mcp.CallToolResult); {
			case err != nil:
				outcome = "error"
			case r != nil && r.IsError:
				outcome = "tool_error"
			}
			e := Event{Kind: ToolCalled, Tool: call.Params.Name, Result: outcome, Duration: time.Since(start),
				Repository: repository(call.Params.Arguments), GitHubRequestID: notes.GitHubRequestID()}
			if c, ok := caller(call); ok {
				e.UserID, e.ClientID, e.GrantID, e.Provider = c.UserID, c.ClientID, c.GrantID, c.Provider
			}
			if span != nil {
				if outcome != "ok" {
					span.SetStatus(codes.Error, outcome)
				}
				span.End()
			}
			o.Record(ctx, e)
			return res, err
		}
	}
}

// toolSpan starts the span of one tool call. A client's _meta.traceparent
// becomes the parent (it names the client's own span for this message); the
// HTTP request's span, then only a link, still ties the two together.
func (o *Observer) toolSpan(ctx context.Context, call *mcp.CallToolRequest) (context.Context, trace.Span) {
	tool := call.Params.Name
	if o.Metrics != nil {
		_, tool = o.Metrics.toolLabels("", tool)
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("mcp.method.name", methodToolsCall), attribute.String("gen_ai.tool.name", tool))}
	parent := ctx
	if carrier := metaCarrier(call.Params.Meta); carrier != nil {
		if remote := propagator.Extract(context.Background(), carrier); trace.SpanContextFromContext(remote).IsValid() {
			if local := trace.SpanContextFromContext(ctx); local.IsValid() {
				opts = append(opts, trace.WithLinks(trace.Link{SpanContext: local}))
			}
			parent = trace.ContextWithRemoteSpanContext(ctx, trace.SpanContextFromContext(remote))
		}
	}
	return o.Tracer.Tracer(tracerName).Start(parent, methodToolsCall+" "+tool, opts...)
}

// metaCarrier holds the W3C fields of an MCP _meta, or nil without a
// traceparent.
func metaCarrier(meta mcp.Meta) propagation.MapCarrier {
	tp, _ := meta["traceparent"].(string)
	if tp == "" {
		return nil
	}
	c := propagation.MapCarrier{"traceparent": tp}
	if ts, ok := meta["tracestate"].(string); ok {
		c["tracestate"] = ts
	}
	return c
}

// repository is "owner/repo" when the arguments have both as GitHub
// names, else "". Only these two values are read.
func repository(args json.RawMessage) string {
	var a struct {
		Owner any `json:"owner"`
		Repo  any `json:"repo"`
	}
	if len(args) == 0 || json.Unmarshal(args, &a) != nil {
		return ""
	}
	owner, _ := a.Owner.(string)
	repo, _ := a.Repo.(string)
	if !gitHubName(owner) || !gitHubName(repo) {
		return ""
	}
	return owner + "/" + repo
}

// gitHubName reports whether s could be a GitHub owner or repository name
// (letters, digits, - _ ., at most 100): anything else is not logged, so
// the audit log holds no free text from a client.
func gitHubName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
