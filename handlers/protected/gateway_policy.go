// The gateway's policy on forwarded tools: the same scope rule as the
// built-in tools (readOnlyHint: true needs ReadScope, anything else
// WriteScope), and the backend's allow and deny lists.

package protected

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// DefaultToolsTTL is how long a backend's tools/list is trusted when
// Gateway.ToolsTTL is zero. notifications/tools/list_changed seen on the
// way through drops it earlier.
const DefaultToolsTTL = time.Minute

// toolsFetchTimeout bounds the gateway's own tools/list of a backend.
const toolsFetchTimeout = 30 * time.Second

const methodToolsList = "tools/list"

// JSON-RPC error codes of the gateway's own answers.
const (
	rpcInvalidRequest = jsonrpc.CodeInvalidRequest
	rpcInvalidParams  = jsonrpc.CodeInvalidParams
	rpcInternalError  = jsonrpc.CodeInternalError
)

// toolCall is one tools/call in a request body: a tool-name candidate (see
// paramNames) and the request's ID.
type toolCall struct {
	name string
	id   jsonrpc.ID
}

// parse finds the tools/list and tools/call requests of the body, split
// as requireToolScope splits it (toolCallNames). Tool calls are found by
// scanMessage with keys matched in any letter case: the backend may
// read "Method" or "PARAMS" as the members they name (encoding/json does),
// so such a message is checked as a call, never forwarded unchecked. The
// request ID of an error answer is the message's "id" (null when it has
// none the go-sdk would accept). The Mcp-Name header of a request whose
// Mcp-Method header says tools/call (protocol 2026-07-28) is checked as a
// call too: a compliant backend refuses a header that differs from the
// body, and one that routes by the header must not get past the policy.
func (req *gatewayRequest) parse(header http.Header) {
	req.parseBody()
	if !strings.EqualFold(header.Get("Mcp-Method"), methodToolsCall) {
		return
	}
	name := header.Get("Mcp-Name")
	if name == "" || slices.ContainsFunc(req.calls, func(c toolCall) bool { return c.name == name }) {
		return
	}
	var id jsonrpc.ID
	if len(req.calls) > 0 {
		id = req.calls[0].id
	}
	req.calls = append(req.calls, toolCall{name: name, id: id})
}

// parseBody finds the requests of the body (see parse), with the same
// small-buffer scan as the built-in tools' check (scanMessage), keys
// matched in any letter case.
func (req *gatewayRequest) parseBody() {
	if len(req.body) == 0 {
		return
	}
	for _, raw := range splitBatch(req.body) {
		m, ok := scanMessage(raw, true)
		if !ok {
			continue
		}
		id := rpcID(m.id)
		if m.method == methodToolsList && id.IsValid() {
			req.listIDs = append(req.listIDs, idKey(id))
		}
		for _, name := range m.tools {
			req.calls = append(req.calls, toolCall{name: name, id: id})
		}
	}
}

// rpcID is a JSON-RPC request ID as the go-sdk decodes it (a number or a
// string); the zero ID (null in an answer) for anything else.
func rpcID(raw json.RawMessage) jsonrpc.ID {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return jsonrpc.ID{}
	}
	id, err := jsonrpc.MakeID(v)
	if err != nil {
		return jsonrpc.ID{}
	}
	return id
}

// idKey is a comparable form of a JSON-RPC ID (1 and "1" differ).
func idKey(id jsonrpc.ID) string { return fmt.Sprintf("%T:%v", id.Raw(), id.Raw()) }

// named reports whether the backend's Allow/Deny lists admit a tool name.
func (b *Backend) named(name string) bool {
	if slices.Contains(b.Deny, name) {
		return false
	}
	return len(b.Allow) == 0 || slices.Contains(b.Allow, name)
}

// checkPolicy refuses a body with a tools/call that the policy forbids:
// a tool hidden by name gets the JSON-RPC error of an unknown tool; a tool
// needing a scope the grant lacks gets 403 insufficient_scope, exactly as
// a built-in tool (writeInsufficientScope), so the client steps up. A
// read-only grant's call needs the backend's tool annotations: from the
// cache, else from a tools/list made here as the caller.
func (h *Gateway) checkPolicy(w http.ResponseWriter, r *http.Request, ti *auth.TokenInfo, req *gatewayRequest) bool {
	for _, c := range req.calls {
		if !h.Backend.named(c.name) {
			h.logger().LogAttrs(r.Context(), slog.LevelInfo, "gateway: tool refused by the backend's allow/deny list",
				slog.String("backend", h.Backend.Name), slog.String("tool", displayToolName(c.name)),
				slog.String("grant_id", req.caller.GrantID))
			writeRPCErrorID(w, http.StatusOK, c.id, rpcInvalidParams, "unknown tool "+displayToolName(c.name))
			return false
		}
	}
	if len(req.calls) == 0 || h.satisfies(ti.Scopes, h.WriteScope) {
		return true
	}
	readOnly, err := h.readOnlyTools(r.Context(), req)
	if err != nil {
		log := h.logger().With(slog.String("backend", h.Backend.Name), slog.String("grant_id", req.caller.GrantID))
		var ce credentialError
		if errors.As(err, &ce) {
			h.writeTokenError(w, r, log, ce.err)
		} else {
			h.writeBackendError(w, r, log, err)
		}
		return false
	}
	var missing, names []string
	for _, c := range req.calls {
		required := h.WriteScope
		if readOnly[c.name] {
			required = h.ReadScope
		}
		if h.satisfies(ti.Scopes, required) {
			continue
		}
		if !slices.Contains(missing, required) {
			missing = append(missing, required)
		}
		names = append(names, displayToolName(c.name))
	}
	if len(missing) == 0 {
		return true
	}
	h.writeInsufficientScope(w, r, ti, missing, names)
	return false
}

// readOnlyTools returns the backend's tools by name, true for those
// annotated readOnlyHint: true, from the cache or fetched as the caller.
// A backend that refuses the person's upstream token (HTTP 401) gets one
// retry with the token the broker replaces it by, as forward does; what
// goes wrong with the person's credentials comes back as a
// credentialError, answered as forward answers it (401 when the sign-in
// has ended, not 502).
func (h *Gateway) readOnlyTools(ctx context.Context, req *gatewayRequest) (map[string]bool, error) {
	if tools, ok := h.tools.get(req.readOnly); ok {
		return tools, nil
	}
	credential, accessToken, err := h.credential(ctx, req.caller)
	if err != nil {
		return nil, credentialError{err}
	}
	tools, refused, err := h.listTools(ctx, req, credential)
	if refused && h.Backend.Credential != CredentialIdentity {
		fresh, rerr := h.Upstream.Rejected(ctx, req.caller, accessToken)
		if rerr != nil {
			return nil, credentialError{rerr}
		}
		if credential, err = h.bearer(fresh); err != nil {
			return nil, credentialError{err}
		}
		tools, _, err = h.listTools(ctx, req, credential)
	}
	if err != nil {
		return nil, err
	}
	h.tools.put(req.readOnly, tools)
	return tools, nil
}

// credentialError is a failure to obtain the person's credential for the
// backend (the broker's or the identity signer's), not the backend's.
type credentialError struct{ err error }

func (e credentialError) Error() string { return e.err.Error() }
func (e credentialError) Unwrap() error { return e.err }

// listTools lists the backend's tools with credential as the bearer token;
// refused reports that the backend answered HTTP 401 to it.
func (h *Gateway) listTools(ctx context.Context, req *gatewayRequest, credential string) (tools map[string]bool, refused bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, toolsFetchTimeout)
	defer cancel()
	hdr := http.Header{}
	for name, value := range h.Backend.Headers {
		hdr.Set(name, value)
	}
	if req.readOnly && h.Backend.ReadOnlyHeader != "-" {
		name := h.Backend.ReadOnlyHeader
		if name == "" {
			name = DefaultReadOnlyHeader
		}
		hdr.Set(name, "true")
	}
	hdr.Set("Authorization", "Bearer "+credential)
	ht := &headerTransport{header: hdr, base: h.Transport}
	client := mcp.NewClient(&mcp.Implementation{Name: "mcpgate-gateway", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:             h.backendURL.String(),
		HTTPClient:           &http.Client{Transport: ht},
		DisableStandaloneSSE: true,
		MaxRetries:           -1,
	}, nil)
	if err != nil {
		return nil, ht.unauthorized.Load(), fmt.Errorf("listing the tools of backend %s: %w", h.Backend.Name, err)
	}
	defer cs.Close()
	tools = map[string]bool{}
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			return nil, ht.unauthorized.Load(), fmt.Errorf("listing the tools of backend %s: %w", h.Backend.Name, err)
		}
		tools[tool.Name] = tool.Annotations != nil && tool.Annotations.ReadOnlyHint
	}
	return tools, false, nil
}

// headerTransport sets fixed headers on every request and notes whether
// the backend answered HTTP 401.
type headerTransport struct {
	header       http.Header
	base         http.RoundTripper
	unauthorized atomic.Bool
}

func (t *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for name, values := range t.header {
		r.Header[name] = values
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		t.unauthorized.Store(true)
	}
	return resp, err
}

// toolCache keeps a backend's tool annotations per header set (the
// read-only header changes what GitHub's server lists).
type toolCache struct {
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries map[bool]toolEntry
}

type toolEntry struct {
	tools   map[string]bool
	fetched time.Time
}

func (c *toolCache) lifetime() time.Duration {
	if c.ttl > 0 {
		return c.ttl
	}
	return DefaultToolsTTL
}

func (c *toolCache) get(readOnly bool) (map[string]bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[readOnly]
	if !ok || c.now().Sub(e.fetched) >= c.lifetime() {
		return nil, false
	}
	return e.tools, true
}

func (c *toolCache) put(readOnly bool, tools map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[readOnly] = toolEntry{tools: tools, fetched: c.now()}
}

// invalidate drops every entry: the backend said its tools changed.
func (c *toolCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// listedTool is what the filter reads of a tool in a tools/list result.
type listedTool struct {
	Name        string `json:"name"`
	Annotations *struct {
		ReadOnlyHint bool `json:"readOnlyHint"`
	} `json:"annotations"`
}

// filterMessage rewrites one JSON-RPC message from the backend: the
// result of a tools/list named in req.listIDs loses the tools this grant
// may not see. It reports whether the message announced that the
// backend's tools changed. Anything it cannot decode passes unchanged.
func (h *Gateway) filterMessage(req *gatewayRequest, raw []byte) ([]byte, bool) {
	msg, err := jsonrpc.DecodeMessage(raw)
	if err != nil {
		return raw, false
	}
	switch m := msg.(type) {
	case *jsonrpc.Request:
		return raw, m.Method == "notifications/tools/list_changed"
	case *jsonrpc.Response:
		if m.Error != nil || m.Result == nil || !slices.Contains(req.listIDs, idKey(m.ID)) {
			return raw, false
		}
		var result map[string]json.RawMessage
		var tools []json.RawMessage
		if json.Unmarshal(m.Result, &result) != nil || json.Unmarshal(result["tools"], &tools) != nil {
			return raw, false
		}
		kept := make([]json.RawMessage, 0, len(tools))
		for _, t := range tools {
			var lt listedTool
			if json.Unmarshal(t, &lt) != nil || !h.Backend.named(lt.Name) {
				continue
			}
			if req.readOnly && (lt.Annotations == nil || !lt.Annotations.ReadOnlyHint) {
				continue
			}
			kept = append(kept, t)
		}
		if len(kept) == len(tools) {
			return raw, false
		}
		var err error
		if result["tools"], err = json.Marshal(kept); err != nil {
			return raw, false
		}
		if m.Result, err = json.Marshal(result); err != nil {
			return raw, false
		}
		out, err := jsonrpc.EncodeMessage(m)
		if err != nil {
			return raw, false
		}
		return out, false
	}
	return raw, false
}

// readBoundedBody reads a POST body up to maxMCPBodyBytes; a larger one
// gets 413, an unreadable one 400.
func readBoundedBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Body == nil {
		return []byte{}, true
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMCPBodyBytes))
	r.Body.Close()
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			wire.WriteError(w, http.StatusRequestEntityTooLarge, wire.InvalidRequest,
				fmt.Sprintf("the request body exceeds %d bytes", tooLarge.Limit))
			return nil, false
		}
		wire.WriteError(w, http.StatusBadRequest, wire.InvalidRequest, "the request body could not be read")
		return nil, false
	}
	return body, true
}

// writeRPCError answers with a JSON-RPC error object without an ID (the
// request's could not be answered) and the given HTTP status.
func writeRPCError(w http.ResponseWriter, status, code int, message string) {
	writeRPCErrorID(w, status, jsonrpc.ID{}, code, message)
}

func writeRPCErrorID(w http.ResponseWriter, status int, id jsonrpc.ID, code int, message string) {
	var buf bytes.Buffer
	buf.WriteString(`{"jsonrpc":"2.0","id":`)
	idJSON, err := json.Marshal(id.Raw())
	if err != nil {
		idJSON = []byte("null")
	}
	buf.Write(idJSON)
	msg, _ := json.Marshal(message)
	fmt.Fprintf(&buf, `,"error":{"code":%d,"message":%s}}`, code, msg)
	wire.WriteJSONBytes(w, status, buf.Bytes())
}
