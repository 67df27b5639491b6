package loadclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// newMCPServer is a go-sdk server, stateless as mcpgate's /mcp, with an
// echo tool and a tool that fails, behind a bearer check of "token";
// jsonResponse chooses JSON answers over event streams.
func newMCPServer(t *testing.T, jsonResponse bool) *httptest.Server {
	t.Helper()
	type echoInput struct {
		Text string `json:"text"`
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "loadclient-test", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in echoInput) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "fail"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, any, error) {
		return nil, nil, errors.New("it failed")
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: jsonResponse})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer token" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestMCPAtGoSDKServer: the requests a load client sends are understood
// by the SDK's server, and its answers read, as JSON and as events.
func TestMCPAtGoSDKServer(t *testing.T) {
	for _, jsonResponse := range []bool{false, true} {
		t.Run(fmt.Sprintf("JSON answers %t", jsonResponse), func(t *testing.T) {
			endpoint := newMCPServer(t, jsonResponse).URL + "/mcp"
			hc := NewClient(NewTransport(1), 0)
			ctx := context.Background()
			if err := Initialize(ctx, hc, endpoint, "token", "loadclient-test"); err != nil {
				t.Fatalf("Initialize: %v", err)
			}
			res, err := Call(ctx, hc, endpoint, "token", "tools/list", nil)
			if err != nil || !strings.Contains(string(res), `"name":"echo"`) {
				t.Fatalf("tools/list: %s, %v", res, err)
			}
			tests := []struct {
				tool     string
				args     map[string]any
				wantText string
				wantErr  bool
			}{
				{"echo", map[string]any{"text": "hello"}, "hello", false},
				{"fail", nil, "it failed", true},
			}
			for _, tt := range tests {
				tr, err := CallTool(ctx, hc, endpoint, "token", tt.tool, tt.args)
				if err != nil || tr.IsError != tt.wantErr || !strings.Contains(tr.Text(), tt.wantText) {
					t.Errorf("CallTool %s: %+v, %v; want isError %t and %q", tt.tool, tr, err, tt.wantErr, tt.wantText)
				}
			}
			_, err = Call(ctx, hc, endpoint, "another token", "ping", nil)
			if hf, ok := errors.AsType[*HTTPFailure](err); !errors.Is(err, ErrUnauthorized) || !ok || hf.Status != 401 {
				t.Errorf("a refused token: %v, want ErrUnauthorized and HTTP 401", err)
			}
		})
	}
}

// TestPostFailures: every answer that is not a JSON-RPC result is an
// *HTTPFailure that says what it was.
func TestPostFailures(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		status                  int
		wantStatus              int
		wantDetail              string
		wantResult              string
	}{
		{name: "a result", contentType: "application/json", body: `{"jsonrpc":"2.0","id":1,"result":{"x":1}}`, status: 200, wantResult: `{"x":1}`},
		{name: "a result with a charset", contentType: "application/json; charset=utf-8", body: `{"jsonrpc":"2.0","id":1,"result":{}}`, status: 200, wantResult: `{}`},
		{name: "a result after a notification", contentType: "text/event-stream",
			body: "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[]}\n\n", status: 200, wantResult: `[]`},
		{name: "a server error", contentType: "text/plain", body: "database down\nat line 3", status: 503, wantStatus: 503, wantDetail: "database down"},
		{name: "a JSON-RPC error", contentType: "application/json", body: `{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no such method"}}`, status: 200, wantStatus: 200, wantDetail: "JSON-RPC error -32601: no such method"},
		{name: "no result", contentType: "application/json", body: `{"jsonrpc":"2.0","id":1}`, status: 200, wantStatus: 200, wantDetail: "a JSON-RPC answer without a result"},
		{name: "a null result", contentType: "application/json", body: `{"jsonrpc":"2.0","id":1,"result":null}`, status: 200, wantStatus: 200, wantDetail: "a JSON-RPC answer without a result"},
		{name: "undecodable", contentType: "application/json", body: `{"jsonrpc":`, status: 200, wantStatus: 200, wantDetail: "undecodable JSON-RPC answer"},
		{name: "a page", contentType: "text/html", body: "<p>hi</p>", status: 200, wantStatus: 200, wantDetail: "unexpected content type text/html"},
		{name: "a stream without a response", contentType: "text/event-stream", body: "data: {\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n\n", status: 200, wantStatus: 200, wantDetail: "the event stream ended without a response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			res, err := Post(context.Background(), NewClient(NewTransport(1), 0), srv.URL, "", []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
			if tt.wantDetail == "" {
				if err != nil || string(res) != tt.wantResult {
					t.Fatalf("Post: %s, %v; want %s", res, err, tt.wantResult)
				}
				return
			}
			wantFailure(t, "Post", err, tt.wantStatus, tt.wantDetail)
			if errors.Is(err, ErrUnauthorized) {
				t.Errorf("Post: %v is not a 401", err)
			}
		})
	}
}

func TestNewRequest(t *testing.T) {
	tests := []struct {
		token, wantAuth string
	}{
		{"t1", "Bearer t1"},
		{"", ""}, // a server without auth
	}
	for _, tt := range tests {
		req, err := NewRequest(context.Background(), "http://127.0.0.1/mcp", tt.token, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		h := req.Header
		if req.Method != http.MethodPost || h.Get("Authorization") != tt.wantAuth || h.Get("Content-Type") != "application/json" ||
			h.Get("Accept") != "application/json, text/event-stream" || h.Get("Mcp-Protocol-Version") != ProtocolVersion {
			t.Errorf("token %q: %s with headers %v", tt.token, req.Method, h)
		}
	}
}

func TestRequestBody(t *testing.T) {
	tests := []struct {
		method string
		params any
		want   string
	}{
		{"ping", nil, `{"id":1,"jsonrpc":"2.0","method":"ping"}`},
		{"tools/call", map[string]any{"name": "echo"}, `{"id":1,"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo"}}`},
	}
	for _, tt := range tests {
		got, err := RequestBody(tt.method, tt.params)
		if err != nil || string(got) != tt.want {
			t.Errorf("RequestBody(%q, %v) = %s, %v; want %s", tt.method, tt.params, got, err, tt.want)
		}
	}
}
