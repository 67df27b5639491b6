package loadclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// ProtocolVersion is the MCP revision the load clients speak.
const ProtocolVersion = "2025-06-18"

// ErrUnauthorized is a 401 from an MCP endpoint: the access token no
// longer works. It comes wrapped with the *HTTPFailure.
var ErrUnauthorized = errors.New("401 from the MCP endpoint")

// Response is a JSON-RPC 2.0 response.
type Response struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// RequestBody is a JSON-RPC 2.0 request with ID 1.
func RequestBody(method string, params any) ([]byte, error) {
	msg := map[string]any{"jsonrpc": "2.0", "id": 1, "method": method}
	if params != nil {
		msg["params"] = params
	}
	return json.Marshal(msg)
}

// InitializeParams are the parameters of the MCP handshake's first
// request, from a client named clientName.
func InitializeParams(clientName string) map[string]any {
	return map[string]any{
		"protocolVersion": ProtocolVersion,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": clientName, "version": "1"},
	}
}

// NewRequest is a POST of body (JSON-RPC) to an MCP streamable HTTP
// endpoint with the headers a client sends: the bearer token (none when
// token is ""), the content types it accepts and the protocol version.
func NewRequest(ctx context.Context, endpoint, token string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", ProtocolVersion)
	return req, nil
}

// Post posts one JSON-RPC request (body) to a stateless streamable HTTP
// endpoint (no session header) and returns its result, read from a JSON
// answer or from the first response in an event stream. A 401 is
// ErrUnauthorized; any other status but 200, an answer that is not a
// JSON-RPC result and a JSON-RPC error are *HTTPFailure. The answer is
// read to its end, so that the connection is reused.
func Post(ctx context.Context, hc *http.Client, endpoint, token string, body []byte) (json.RawMessage, error) {
	req, err := NewRequest(ctx, endpoint, token, body)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer := io.LimitReader(resp.Body, MaxAnswerBytes)
	defer io.Copy(io.Discard, answer)
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(answer)
		hf := &HTTPFailure{Status: resp.StatusCode, Detail: Excerpt(raw)}
		if resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("%w: %w", ErrUnauthorized, hf)
		}
		return nil, hf
	}
	var rpc Response
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		raw, err := io.ReadAll(answer)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &rpc); err != nil {
			return nil, &HTTPFailure{Status: resp.StatusCode, Detail: "undecodable JSON-RPC answer"}
		}
	case "text/event-stream":
		if err := ReadSSEResponse(answer, &rpc); err != nil {
			return nil, &HTTPFailure{Status: resp.StatusCode, Detail: err.Error()}
		}
	default:
		return nil, &HTTPFailure{Status: resp.StatusCode, Detail: "unexpected content type " + mediaType}
	}
	switch {
	case rpc.Error != nil:
		return nil, &HTTPFailure{Status: resp.StatusCode, Detail: fmt.Sprintf("JSON-RPC error %d: %s", rpc.Error.Code, rpc.Error.Message)}
	case len(rpc.Result) == 0 || string(rpc.Result) == "null":
		return nil, &HTTPFailure{Status: resp.StatusCode, Detail: "a JSON-RPC answer without a result"}
	}
	return rpc.Result, nil
}

// Call posts the request method(params) and returns its result.
func Call(ctx context.Context, hc *http.Client, endpoint, token, method string, params any) (json.RawMessage, error) {
	body, err := RequestBody(method, params)
	if err != nil {
		return nil, err
	}
	return Post(ctx, hc, endpoint, token, body)
}

// Initialize is the MCP handshake's first request, from clientName.
func Initialize(ctx context.Context, hc *http.Client, endpoint, token, clientName string) error {
	_, err := Call(ctx, hc, endpoint, token, "initialize", InitializeParams(clientName))
	return err
}

// ToolResult is the part of a CallToolResult the load tools check.
type ToolResult struct {
	IsError bool `json:"isError"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent json.RawMessage `json:"structuredContent"`
}

// Text is the text of the result's content, joined.
func (r ToolResult) Text() string {
	var b strings.Builder
	for _, c := range r.Content {
		b.WriteString(c.Text)
	}
	return b.String()
}

// CallTool calls one tool with args (none when nil) and decodes its result.
func CallTool(ctx context.Context, hc *http.Client, endpoint, token, name string, args map[string]any) (ToolResult, error) {
	if args == nil {
		args = map[string]any{}
	}
	raw, err := Call(ctx, hc, endpoint, token, "tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return ToolResult{}, err
	}
	var tr ToolResult
	if err := json.Unmarshal(raw, &tr); err != nil {
		return ToolResult{}, &HTTPFailure{Status: http.StatusOK, Detail: "undecodable tool result"}
	}
	return tr, nil
}
