package protected

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

// ToolScopes is the per-tool scope policy that /mcp enforces on tools/call
// (tools.ScopeRules implements it). It lives behind an interface so that
// this package does not depend on the tool set.
type ToolScopes interface {
	// RequiredScope returns the scope a call of the named tool needs. It
	// answers for every name, including names that are not tools (those
	// should need the strongest scope).
	RequiredScope(tool string) string
	// Satisfies reports whether the granted scopes cover required,
	// honouring the scope hierarchy (a broader scope implies the narrower
	// ones it includes).
	Satisfies(granted []string, required string) bool
	// Scopes lists every scope RequiredScope can return. New refuses a
	// Config whose ScopesSupported lacks one of them: a client could never
	// obtain it, and every call that needs it would be refused for ever.
	Scopes() []string
}

const (
	// maxMCPBodyBytes bounds a POST to /mcp. The scope check reads the body
	// with this limit and the go-sdk handler is given the same one, so
	// that no body the SDK would read is too large for the check.
	maxMCPBodyBytes = mcp.DefaultMaxRequestBodyBytes
	// methodToolsCall is the MCP method that runs a tool.
	methodToolsCall = "tools/call"
	// maxLoggedToolName bounds a tool name quoted in logs and challenges.
	maxLoggedToolName = 64
)

// requireToolScope enforces ToolScopes on every POST, after the bearer
// check and before the SDK (MCP authorization 2025-11-25, "Runtime
// Insufficient Scope Errors"). It reads the JSON-RPC body (one message or a
// batch), finds every tools/call in it, and when the access token lacks the
// scope of one of the tools it answers 403 with
//
//	WWW-Authenticate: Bearer error="insufficient_scope", scope="…",
//	    resource_metadata="…", error_description="…"
//
// where scope is everything the operation needs: the token's scopes plus
// the missing ones (2026-07-28: "all scopes required for the current
// operation in a single challenge"), so that a client stepping up asks for
// the union and keeps what it had. This answer, and only this one (not the
// SDK's own 403 without error=), makes MCP clients step up.
//
// Everything else passes to the SDK with the body restored byte for byte:
// other methods, GET and DELETE, and bodies that are not JSON-RPC (the SDK
// answers its own parse error). Only method and params are read, with
// member keys matched exactly as the SDK's decoder matches them, so the
// method seen here is the one the SDK dispatches (toolCallNames). A go-sdk
// receiving middleware would see the SDK's parsed request instead, but it
// runs after the HTTP answer has begun and can only return a JSON-RPC
// error, never the 403 challenge that makes clients step up. For the tool name, every member of params whose key is
// "name" in any letter case counts, and a non-string value counts as an
// unknown tool: the SDK matches keys exactly and encoding/json does not,
// and duplicate keys may resolve either way, so checking every candidate
// leaves no reading of the message that names a tool the check did not see.
// The tools' own receiving middleware (tools.RequireScopes) checks again
// where the tool runs.
func (h *ResourceServer) requireToolScope(next http.Handler) http.Handler {
	if h.ToolScopes == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		ti, ok := r.Context().Value(verifiedKey{}).(*auth.TokenInfo)
		if !ok || ti == nil {
			// requireBearer runs first and always sets it.
			h.writeBearerError(w, bearerUnauthorized(wire.InvalidToken, "the request was not authenticated"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMCPBodyBytes))
		r.Body.Close()
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				wire.WriteError(w, http.StatusRequestEntityTooLarge, wire.InvalidRequest,
					fmt.Sprintf("the request body exceeds %d bytes", tooLarge.Limit))
				return
			}
			wire.WriteError(w, http.StatusBadRequest, wire.InvalidRequest, "the request body could not be read")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = nil

		var missing, tools []string
		for _, name := range toolCallNames(body) {
			required := h.ToolScopes.RequiredScope(name)
			if h.ToolScopes.Satisfies(ti.Scopes, required) {
				continue
			}
			if !slices.Contains(missing, required) {
				missing = append(missing, required)
			}
			tools = append(tools, displayToolName(name))
		}
		if len(missing) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		h.writeInsufficientScope(w, r, ti, missing, tools)
	})
}

// writeInsufficientScope answers 403 insufficient_scope (RFC 6750 §3.1)
// with the challenge described on requireToolScope and the same error as
// JSON.
func (h *ResourceServer) writeInsufficientScope(w http.ResponseWriter, r *http.Request, ti *auth.TokenInfo, missing, tools []string) {
	needed := append([]string(nil), ti.Scopes...)
	for _, s := range missing {
		if !slices.Contains(needed, s) {
			needed = append(needed, s)
		}
	}
	noun := "scope"
	if len(missing) > 1 {
		noun = "scopes"
	}
	description := fmt.Sprintf("%s needs the %s %s; authorize again with the scopes in this challenge",
		describeTools(tools), strings.Join(missing, " "), noun)

	attrs := []slog.Attr{slog.String("missing_scope", strings.Join(missing, " ")), slog.String("tools", strings.Join(tools, ","))}
	if c, ok := ti.Extra[callerKey].(*tokens.Caller); ok && c != nil {
		attrs = append(attrs, slog.String("grant_id", c.GrantID), slog.String("client_id", c.ClientID), slog.String("user_id", c.UserID))
	}
	h.logger().LogAttrs(r.Context(), slog.LevelInfo, "tool call refused: insufficient scope", attrs...)

	w.Header().Set("WWW-Authenticate", "Bearer "+strings.Join([]string{
		challengeParam("error", wire.InsufficientScope),
		challengeParam("scope", strings.Join(needed, " ")),
		challengeParam("resource_metadata", h.ResourceMetadataURL),
		challengeParam("error_description", description),
	}, ", "))
	wire.WriteError(w, http.StatusForbidden, wire.InsufficientScope, description)
}

// toolCallNames returns the tool-name candidates of every tools/call in a
// JSON-RPC body: a batch (array) or a single message. Messages that do not
// decode are skipped; the SDK refuses them.
//
// It reads only what the check needs, with encoding/json's small-buffer
// decoder: the go-sdk's own decoder (jsonrpc.DecodeMessage) makes two
// 32 KiB buffers per message (see README "Speed"). A body that contains
// neither the bytes tools/call nor a backslash cannot name the method
// tools/call (a JSON string equals its bytes unless it has an escape), so
// ping, tools/list and the like are not decoded at all.
func toolCallNames(body []byte) []string {
	if !bytes.Contains(body, []byte(methodToolsCall)) && bytes.IndexByte(body, '\\') < 0 {
		return nil
	}
	var names []string
	for _, raw := range splitBatch(body) {
		m, _ := scanMessage(raw, false)
		names = append(names, m.tools...)
	}
	return names
}

// splitBatch returns the messages of a JSON-RPC body: the elements of a
// batch (an array; none if it does not decode), else the body itself.
func splitBatch(body []byte) [][]byte {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return [][]byte{body}
	}
	var batch []json.RawMessage
	if err := json.Unmarshal(body, &batch); err != nil {
		return nil
	}
	messages := make([][]byte, len(batch))
	for i, m := range batch {
		messages[i] = m
	}
	return messages
}

// scannedMessage is what the scope checks read of one JSON-RPC message.
type scannedMessage struct {
	// method and id are the members named exactly so (the last of
	// duplicates, as the go-sdk's decoder keeps); method is "" when it is
	// not a string.
	method string
	id     json.RawMessage
	// tools are the tool-name candidates when the message is a tools/call.
	tools []string
}

// scanMessage reads one JSON-RPC message; ok is false when it does not
// parse to its end (the SDK refuses it). The tool-name candidates follow
// this rule. With foldKeys false, keys match exactly, as the go-sdk's
// decoder matches them (DontMatchCaseInsensitiveStructFields): the
// built-in tools' rule, whose server is that decoder. With foldKeys true,
// a key matches in any letter case: the gateway's rule, whose backend may
// decode with encoding/json (case-insensitive fields) or anything else, so
// every reading any parser could make is checked. A message is a
// tools/call when a "method" member is the string tools/call, and every
// "params" member is searched (the SDK keeps the last of duplicates;
// checking all of them leaves no reading unchecked).
func scanMessage(raw []byte, foldKeys bool) (m scannedMessage, ok bool) {
	is := func(key, want string) bool {
		if foldKeys {
			return strings.EqualFold(key, want)
		}
		return key == want
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return m, false
	}
	var (
		call   bool
		params []json.RawMessage
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return scannedMessage{}, false
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return scannedMessage{}, false
		}
		switch {
		case is(key, "method"):
			var method string
			isString := json.Unmarshal(value, &method) == nil
			if isString && method == methodToolsCall {
				call = true
			}
			if key == "method" {
				m.method = ""
				if isString {
					m.method = method
				}
			}
		case is(key, "params"):
			params = append(params, value)
		case key == "id":
			m.id = value
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return scannedMessage{}, false
	}
	if call {
		for _, p := range params {
			m.tools = append(m.tools, paramNames(p)...)
		}
	}
	return m, true
}

// paramNames returns the values of every top-level member of the params
// object whose key equals "name" in any letter case (Unicode case folding,
// as encoding/json matches struct fields). A value that is not a JSON
// string, or params that stop parsing half-way, yield "" (no tool of that
// name exists, so it needs the strongest scope). Params that are not an
// object yield nothing: the SDK cannot decode a tool call from them.
func paramNames(params json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(params))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return append(names, "")
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return append(names, "")
		}
		if !strings.EqualFold(key, "name") {
			continue
		}
		var name string
		if bytes.HasPrefix(value, []byte(`"`)) && json.Unmarshal(value, &name) == nil {
			names = append(names, name)
		} else {
			names = append(names, "")
		}
	}
	return names
}

// displayToolName returns name for logs and the error description when it
// has the shape of a tool name (letters, digits, '_', '-', '.', at most 64
// characters), and a placeholder otherwise: the name is client input.
func displayToolName(name string) string {
	if name == "" || len(name) > maxLoggedToolName {
		return "(invalid)"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' && c != '.' {
			return "(invalid)"
		}
	}
	return name
}

// describeTools phrases the refused tools for error_description.
func describeTools(tools []string) string {
	var named []string
	for _, t := range tools {
		if t != "(invalid)" && !slices.Contains(named, t) {
			named = append(named, t)
		}
	}
	switch len(named) {
	case 0:
		return "this tool call"
	case 1:
		return "the tool " + named[0]
	}
	return "the tools " + strings.Join(named, ", ")
}
