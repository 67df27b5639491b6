package main

import (
	"bufio"
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

// protocolVersion is the MCP revision the load clients speak.
const protocolVersion = "2025-06-18"

// rpcResponse is a JSON-RPC 2.0 response.
type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// toolResult is the part of a CallToolResult the load clients check.
type toolResult struct {
	IsError bool `json:"isError"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent json.RawMessage `json:"structuredContent"`
}

func (r toolResult) text() string {
	var b strings.Builder
	for _, c := range r.Content {
		b.WriteString(c.Text)
	}
	return b.String()
}

// errUnauthorized is a 401 from /mcp: the access token no longer works.
var errUnauthorized = errors.New("401 from /mcp")

// mcpCall posts one JSON-RPC request to the streamable HTTP endpoint
// (MCP "Streamable HTTP" transport; the server is stateless, so no session
// header) and returns its result, read from a JSON or an SSE answer.
func mcpCall(ctx context.Context, hc *http.Client, endpoint, token, method string, params any) (json.RawMessage, error) {
	msg, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(msg))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", protocolVersion)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxAnswerBytes)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		io.Copy(io.Discard, body)
		return nil, fmt.Errorf("%w: %w", errUnauthorized, &httpFailure{status: resp.StatusCode})
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, body)
		return nil, &httpFailure{status: resp.StatusCode}
	}
	var rpc rpcResponse
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		if err := json.NewDecoder(body).Decode(&rpc); err != nil {
			return nil, &httpFailure{status: resp.StatusCode, detail: "undecodable JSON-RPC answer"}
		}
	case "text/event-stream":
		if err := readSSEResponse(body, &rpc); err != nil {
			return nil, &httpFailure{status: resp.StatusCode, detail: err.Error()}
		}
	default:
		return nil, &httpFailure{status: resp.StatusCode, detail: "unexpected content type " + mediaType}
	}
	if rpc.Error != nil {
		return nil, &httpFailure{status: resp.StatusCode, detail: fmt.Sprintf("JSON-RPC error %d: %s", rpc.Error.Code, rpc.Error.Message)}
	}
	return rpc.Result, nil
}

// readSSEResponse reads server-sent events until the first message that is
// a JSON-RPC response (notifications before it are skipped).
func readSSEResponse(r io.Reader, dst *rpcResponse) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxAnswerBytes)
	var data strings.Builder
	flush := func() (bool, error) {
		defer data.Reset()
		if data.Len() == 0 {
			return false, nil
		}
		var rpc rpcResponse
		if err := json.Unmarshal([]byte(data.String()), &rpc); err != nil {
			return false, errors.New("undecodable event data")
		}
		if len(rpc.ID) == 0 {
			return false, nil // a notification
		}
		*dst = rpc
		return true, nil
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if done, err := flush(); done || err != nil {
				return err
			}
			continue
		}
		if v, ok := strings.CutPrefix(line, "data:"); ok {
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(v, " "))
		}
	}
	if done, err := flush(); done || err != nil {
		return err
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("the event stream ended without a response")
}

// initialize is the MCP handshake's first request.
func initialize(ctx context.Context, hc *http.Client, endpoint, token string) error {
	_, err := mcpCall(ctx, hc, endpoint, token, "initialize", map[string]any{
		"protocolVersion": protocolVersion,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "mcpgate-load", "version": "1"},
	})
	return err
}

// callTool calls one tool and decodes its result.
func callTool(ctx context.Context, hc *http.Client, endpoint, token, name string, args map[string]any) (toolResult, error) {
	if args == nil {
		args = map[string]any{}
	}
	raw, err := mcpCall(ctx, hc, endpoint, token, "tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return toolResult{}, err
	}
	var tr toolResult
	if err := json.Unmarshal(raw, &tr); err != nil {
		return toolResult{}, &httpFailure{status: http.StatusOK, detail: "undecodable tool result"}
	}
	return tr, nil
}
