package protected

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
)

// protocolClient is one way a client talks to mcpgate. run performs the
// whole session a client of that kind performs (handshake, tools/list,
// tools/call whoami) with version as the version it asks for ("" for the
// client's default) and returns the version the server settled on and the
// grant the tool saw.
type protocolClient func(t *testing.T, fx *sseFixture, token, version string) (negotiated, grantID string)

// TestProtocolVersions proves which protocol versions each transport
// serves. /mcp is stateless streamable HTTP: every client initializing at a
// version the server supports gets it back and can then call tools; the
// go-sdk client (handshake-less 2026-07-28) probes with server/discover and
// settles on 2026-07-28. /sse serves the legacy versions only: 2024-11-05,
// which old clients send, and at most 2025-11-25.
func TestProtocolVersions(t *testing.T) {
	tests := []struct {
		name    string
		client  protocolClient
		version string
		want    string
	}{
		{"streamable raw 2025-03-26 (no version header)", rawStreamable(false), "2025-03-26", "2025-03-26"},
		{"streamable raw 2025-06-18", rawStreamable(true), "2025-06-18", "2025-06-18"},
		{"streamable raw 2025-11-25", rawStreamable(true), "2025-11-25", "2025-11-25"},
		{"streamable raw unknown future version", rawStreamable(true), "2099-01-01", "2025-11-25"},
		{"streamable go-sdk default", goStreamable, "", "2026-07-28"},
		{"streamable go-sdk 2025-06-18", goStreamable, "2025-06-18", "2025-06-18"},
		{"sse raw 2024-11-05", rawSSE, "2024-11-05", "2024-11-05"},
		{"sse raw 2025-03-26", rawSSE, "2025-03-26", "2025-03-26"},
		{"sse raw asking for 2026-07-28", rawSSE, "2026-07-28", "2025-11-25"},
		{"sse go-sdk default", goSSE, "", "2025-11-25"},
		{"sse go-sdk 2024-11-05", goSSE, "2024-11-05", "2024-11-05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newSSEFixture(t)
			tok := fx.issue(t, mcpIssueOptions{})
			got, grantID := tt.client(t, fx, tok.access, tt.version)
			if got != tt.want {
				t.Errorf("negotiated %q, want %q", got, tt.want)
			}
			if grantID != tok.grantID {
				t.Errorf("tools/call saw grant %q, want %q", grantID, tok.grantID)
			}
		})
	}
}

// rawStreamable is a client that speaks JSON-RPC over plain HTTP POSTs to
// /mcp, as mcp-remote, Inspector and the TypeScript SDK do. With header,
// every request after initialize carries MCP-Protocol-Version (2025-06-18
// and later clients send it).
func rawStreamable(header bool) protocolClient {
	return func(t *testing.T, fx *sseFixture, token, version string) (string, string) {
		t.Helper()
		var negotiated string
		post := func(body string, wantStatus int) string {
			t.Helper()
			r, err := http.NewRequestWithContext(mcptest.Bounded(t), http.MethodPost, fx.srv.URL+PathMCP, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			r.Header.Set("Authorization", "Bearer "+token)
			if header && negotiated != "" {
				r.Header.Set("MCP-Protocol-Version", negotiated)
			}
			resp, err := fx.srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != wantStatus {
				t.Fatalf("POST %s: status %d, want %d: %s", body, resp.StatusCode, wantStatus, mcptest.ReadBody(t, resp))
			}
			if wantStatus != http.StatusOK {
				return ""
			}
			return readJSONRPC(t, resp)
		}

		init := decodeResult[struct {
			ProtocolVersion string `json:"protocolVersion"`
		}](t, post(initializeBody(version), http.StatusOK))
		negotiated = init.ProtocolVersion
		post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, http.StatusAccepted)
		list := decodeResult[struct {
			Tools []struct {
				Name string `json:"name"`
			} `json:"tools"`
		}](t, post(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, http.StatusOK))
		if len(list.Tools) != 1 || list.Tools[0].Name != "whoami" {
			t.Errorf("tools/list = %+v, want [whoami]", list.Tools)
		}
		var msg rpcMessage
		if err := json.Unmarshal([]byte(post(mcptest.ToolCall(3, "whoami"), http.StatusOK)), &msg); err != nil || msg.Error != nil {
			t.Fatalf("tools/call answer %+v: %v", msg, err)
		}
		return negotiated, whoamiResult(t, msg.Result).GrantID
	}
}

// rawSSE is a 2024-11-05 client written by hand: GET /sse, read the
// endpoint, POST every message there and read the answers off the stream.
func rawSSE(t *testing.T, fx *sseFixture, token, version string) (string, string) {
	t.Helper()
	s := openSSE(t, fx.srv, token, nil)
	negotiated := s.initialize(token, version)
	s.mustAccept(token, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	m := s.nextMessage()
	var list struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(m.Result, &list); err != nil || len(list.Tools) != 1 || list.Tools[0].Name != "whoami" {
		t.Errorf("tools/list = %s (%v), want [whoami]", m.Result, err)
	}
	s.mustAccept(token, mcptest.ToolCall(3, "whoami"))
	m = s.nextMessage()
	if m.Error != nil {
		t.Fatalf("tools/call: %+v", m.Error)
	}
	return negotiated, whoamiResult(t, m.Result).GrantID
}

// goStreamable is the go-sdk client on /mcp.
func goStreamable(t *testing.T, fx *sseFixture, token, version string) (string, string) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-test-client", Version: "0.0.1"}, nil)
	cs, err := client.Connect(mcptest.Bounded(t), &mcp.StreamableClientTransport{
		Endpoint:             fx.srv.URL + PathMCP,
		HTTPClient:           &http.Client{Transport: &bearerTransport{token: token, base: fx.srv.Client().Transport}},
		DisableStandaloneSSE: true,
	}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	if id := cs.ID(); id != "" {
		t.Errorf("stateless /mcp gave the session an ID %q", id)
	}
	return goSession(t, cs)
}

// goSSE is the go-sdk client on /sse.
func goSSE(t *testing.T, fx *sseFixture, token, version string) (string, string) {
	t.Helper()
	cs := mcptest.ConnectSSE(t, fx.srv, &mcptest.SwapBearer{Token: token, Base: fx.srv.Client().Transport},
		&mcp.ClientSessionOptions{ProtocolVersion: version})
	return goSession(t, cs)
}

func goSession(t *testing.T, cs *mcp.ClientSession) (string, string) {
	t.Helper()
	tools, err := cs.ListTools(mcptest.Bounded(t), nil)
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "whoami" {
		t.Errorf("tools = %+v, want [whoami]", tools.Tools)
	}
	return cs.InitializeResult().ProtocolVersion, callWhoami(t, cs).GrantID
}

func initializeBody(version string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`, version)
}

// decodeResult decodes the result of one JSON-RPC answer into T.
func decodeResult[T any](t *testing.T, raw string) T {
	t.Helper()
	var msg rpcMessage
	var out T
	if err := json.Unmarshal([]byte(raw), &msg); err != nil || msg.Error != nil {
		t.Fatalf("answer %s: %v %+v", raw, err, msg.Error)
	}
	if err := json.Unmarshal(msg.Result, &out); err != nil {
		t.Fatalf("result %s: %v", msg.Result, err)
	}
	return out
}

// TestProtocolVersionHeader checks the MCP-Protocol-Version header on
// stateless /mcp: a version the server supports is served, one it does not
// is a 400 (MCP transports 2025-06-18, "Protocol Version Header"), and the
// bearer check still comes first.
func TestProtocolVersionHeader(t *testing.T) {
	fx := newSSEFixture(t)
	tok := fx.issue(t, mcpIssueOptions{})
	tests := []struct {
		name, header, bearer string
		want                 int
	}{
		{"supported", "2025-06-18", tok.access, http.StatusOK},
		{"newest legacy", "2025-11-25", tok.access, http.StatusOK},
		{"unsupported", "1999-01-01", tok.access, http.StatusBadRequest},
		{"unsupported without token", "1999-01-01", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequestWithContext(mcptest.Bounded(t), http.MethodPost, fx.srv.URL+PathMCP,
				strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			r.Header.Set("MCP-Protocol-Version", tt.header)
			if tt.bearer != "" {
				r.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			resp, err := fx.srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, mcptest.ReadBody(t, resp))
			}
			if tt.want == http.StatusOK {
				if msg := readJSONRPC(t, resp); !strings.Contains(msg, `"whoami"`) {
					t.Errorf("tools/list = %s", msg)
				}
			}
		})
	}
}
