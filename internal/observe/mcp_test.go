package observe

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

type toolArgs struct {
	Owner  string `json:"owner,omitempty"`
	Repo   string `json:"repo,omitempty"`
	Secret string `json:"secret,omitempty"`
	Fail   bool   `json:"fail,omitempty"`
}

// TestMCPMiddlewareAuditsToolCalls runs tool calls through a real go-sdk
// server and client (in-memory transports): the audit line names the
// caller, tool, repository, outcome, duration and GitHub request ID, never
// another argument or the result; a _meta.traceparent parents the span.
func TestMCPMiddlewareAuditsToolCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-GitHub-Request-Id", "C0DE:42")
		w.Write([]byte("{}"))
	}))
	defer api.Close()
	var audit bytes.Buffer
	rec := tracetest.NewSpanRecorder()
	o := &Observer{Audit: NewAudit(&audit, nil), Metrics: NewMetrics(MetricsOptions{Tools: []string{"list_issues"}}),
		Tracer: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))}
	gh := &http.Client{Transport: o.Transport("github", nil)}

	server := mcp.NewServer(&mcp.Implementation{Name: "t"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "list_issues"}, func(ctx context.Context, _ *mcp.CallToolRequest, in toolArgs) (*mcp.CallToolResult, any, error) {
		if in.Fail {
			return nil, nil, errTool
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", api.URL, nil)
		resp, err := gh.Do(req)
		if err != nil {
			return nil, nil, err
		}
		resp.Body.Close()
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "RESULT-TEXT"}}}, nil, nil
	})
	server.AddReceivingMiddleware(o.MCPMiddleware(func(*mcp.CallToolRequest) (Caller, bool) {
		return Caller{UserID: "github:1", ClientID: "c1", GrantID: "g1", Provider: "github"}, true
	}))
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	const traceID = "0af7651916cd43dd8448eb211c80319c"
	ok := &mcp.CallToolParams{Name: "list_issues", Arguments: map[string]any{"owner": "mona", "repo": "hello-world", "secret": "ARGUMENT-SECRET"}}
	ok.Meta = mcp.Meta{"traceparent": "00-" + traceID + "-b7ad6b7169203331-01"}
	if res, err := cs.CallTool(ctx, ok); err != nil || res.IsError {
		t.Fatalf("call: %v %v", err, res)
	}
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_issues", Arguments: map[string]any{"owner": "bad owner!", "repo": "x", "fail": true}}); err != nil || !res.IsError {
		t.Fatalf("failing call: %v %v", err, res)
	}
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "no_such_tool"}); err == nil {
		t.Fatal("an unknown tool was called")
	}

	lines := strings.Split(strings.TrimSpace(audit.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d audit lines, want 3:\n%s", len(lines), audit.String())
	}
	for i, want := range []string{
		`"event":"tool.called","trace_id":"` + traceID + `","client_id":"c1","grant_id":"g1","user_id":"github:1","provider":"github","result":"ok","tool":"list_issues","repository":"mona/hello-world","duration_ms":`,
		`"tool":"list_issues","duration_ms":`, // no repository: the owner is not a GitHub name
		`"result":"error","tool":"no_such_tool"`,
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("audit line %d\n%s\nlacks\n%s", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[0], `"github_request_id":"C0DE:42"`) || !strings.Contains(lines[1], `"result":"tool_error"`) {
		t.Errorf("audit lines lack the GitHub request ID or the tool error:\n%s", audit.String())
	}
	for _, secret := range []string{"ARGUMENT-SECRET", "RESULT-TEXT", "bad owner"} {
		if strings.Contains(audit.String(), secret) {
			t.Errorf("%q reached the audit log", secret)
		}
	}
	var parented bool
	for _, s := range rec.Ended() {
		if s.Name() == "tools/call list_issues" && s.SpanContext().TraceID().String() == traceID && s.Parent().SpanID().String() == "b7ad6b7169203331" {
			parented = true
		}
	}
	if !parented {
		t.Error("the tool span does not continue the _meta.traceparent")
	}
}
