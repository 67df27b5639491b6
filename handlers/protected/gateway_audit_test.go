package protected

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/internal/testlog"
)

// gwAuditLine is what the test reads of an audit line.
type gwAuditLine struct {
	Event    string `json:"event"`
	UserID   string `json:"user_id"`
	ClientID string `json:"client_id"`
	GrantID  string `json:"grant_id"`
	Provider string `json:"provider"`
	Tool     string `json:"tool"`
	Backend  string `json:"backend"`
	Result   string `json:"result"`
}

// waitAudit waits until the audit log holds n lines and returns them: the
// event is recorded when the handler returns, which may be just after the
// client has read the answer.
func waitAudit(t *testing.T, buf *testlog.Buffer, n int) []gwAuditLine {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		var lines []gwAuditLine
		sc := bufio.NewScanner(strings.NewReader(buf.String()))
		for sc.Scan() {
			var l gwAuditLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("audit line %q: %v", sc.Text(), err)
			}
			lines = append(lines, l)
		}
		if len(lines) >= n {
			return lines
		}
		select {
		case <-deadline:
			t.Fatalf("the audit log holds %d lines after 10s, want %d:\n%s", len(lines), n, buf.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestGatewayAuditsToolCalls: every forwarded or refused tools/call gets
// one tool.called audit line naming the person, client, grant, tool and
// backend, with the outcome; tools/list gets none, and neither arguments
// nor results nor tokens are written.
func TestGatewayAuditsToolCalls(t *testing.T) {
	const secretArg = "argument-value-never-logged"
	tests := []struct {
		name   string
		scopes []string
		deny   []string
		down   bool
		call   string
		want   string
	}{
		{name: "forwarded", scopes: []string{gwRead, gwWrite}, call: "echo_auth", want: "ok"},
		{name: "read-only grant, write tool", scopes: []string{gwRead}, call: "create_issue", want: "denied"},
		{name: "denied by name", scopes: []string{gwRead, gwWrite}, deny: []string{"secret_read"}, call: "secret_read", want: "denied"},
		{name: "backend down", scopes: []string{gwRead, gwWrite}, down: true, call: "echo_auth", want: "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newGWBackend(t, gwBackendOptions{})
			url := b.srv.URL + "/mcp"
			if tt.down {
				dead := httptest.NewServer(http.NotFoundHandler())
				url = dead.URL + "/mcp"
				dead.Close()
			}
			audit := &testlog.Buffer{}
			f := newGWFixture(t, url, func(g *Gateway) {
				g.Backend.Deny = tt.deny
				g.Events = &observe.Observer{Audit: observe.NewAudit(audit, nil)}
			})
			tok := f.signIn(t, "github:1", "up-alice", tt.scopes...)
			if !tt.down {
				cs := f.connect(t, tok)
				listNames(t, cs) // not a tool call: no audit line
			}
			body := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"` + tt.call + `","arguments":{"title":"` + secretArg + `"}}}`
			resp := f.rawPost(t, tok, "", body)
			resp.Body.Close()
			lines := waitAudit(t, audit, 1)
			if len(lines) != 1 {
				t.Fatalf("audit lines = %+v, want one", lines)
			}
			got := lines[0]
			if got.Event != string(observe.ToolCalled) || got.Tool != tt.call || got.Backend != "gh" || got.Result != tt.want {
				t.Errorf("audit line %+v, want tool.called %s on gh with result %s (HTTP %d)", got, tt.call, tt.want, resp.StatusCode)
			}
			if got.UserID != "github:1" || got.ClientID != mcpTestClientID || got.GrantID == "" || got.Provider != "github" {
				t.Errorf("audit line %+v lacks the caller's IDs", got)
			}
			for _, secret := range []string{secretArg, "up-alice", tok, "Bearer"} {
				if strings.Contains(audit.String(), secret) {
					t.Errorf("the audit log holds %q:\n%s", secret, audit.String())
				}
			}
		})
	}
}

// A session's calls through the go-sdk client are audited too, one line
// per call.
func TestGatewayAuditsSessionCalls(t *testing.T) {
	b := newGWBackend(t, gwBackendOptions{stateful: true})
	audit := &testlog.Buffer{}
	f := newGWFixture(t, b.srv.URL+"/mcp", func(g *Gateway) {
		g.Events = &observe.Observer{Audit: observe.NewAudit(audit, nil)}
	})
	cs := f.connect(t, f.signIn(t, "github:1", "up-alice", gwRead, gwWrite))
	callText(t, cs, "echo_auth")
	if _, err := cs.CallTool(mcptest.Bounded(t), &mcp.CallToolParams{Name: "create_issue", Arguments: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	// Each line is written when its request's answer has been streamed to
	// the end, which can come after the client already has the result and
	// sent the next call: the two lines may come in either order.
	lines := waitAudit(t, audit, 2)
	tools := map[string]string{}
	for _, l := range lines {
		tools[l.Tool] = l.Result
	}
	if len(lines) != 2 || tools["echo_auth"] != "ok" || tools["create_issue"] != "ok" {
		t.Fatalf("audit lines = %+v, want echo_auth and create_issue, ok", lines)
	}
}
