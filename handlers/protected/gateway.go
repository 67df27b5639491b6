// Gateway mode: /mcp (or /mcp/{name}) forwards authenticated MCP traffic
// to a backend MCP server, swapping the client's mcpgate token for the
// person's upstream token. See Gateway.

package protected

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// DefaultReadOnlyHeader is the header a read-only grant's requests carry
// to the backend when Backend.ReadOnlyHeader is empty; GitHub's own MCP
// server reads it (github-mcp-server http, "X-MCP-Readonly").
const DefaultReadOnlyHeader = "X-MCP-Readonly"

// forwardedRequestHeaders are the only client headers a backend sees: the
// MCP transport's own (streamable HTTP, 2025-11-25 and 2026-07-28), plus
// the Mcp-Param-* headers of 2026-07-28 that mirror tool arguments (GitHub's
// server refuses a tools/call without them). The client's Authorization,
// cookies, Origin and everything else stay here.
const mcpParamPrefix = "Mcp-Param-"

var forwardedRequestHeaders = []string{
	"Content-Type", "Accept", "Mcp-Protocol-Version", "Mcp-Session-Id", "Last-Event-Id", "Mcp-Method", "Mcp-Name",
}

// forwardedResponseHeaders are the only backend headers a client sees.
// The backend's WWW-Authenticate in particular never is: discovery and
// the challenge are mcpgate's (its own resource metadata, not the
// backend's).
var forwardedResponseHeaders = []string{
	"Content-Type", "Mcp-Protocol-Version", "Cache-Control", "Retry-After",
}

// Backend is one MCP server behind the gateway.
type Backend struct {
	// Name identifies the backend in logs and in sealed session IDs; the
	// backend of MCPGATE_BACKEND_URL is "default".
	Name string
	// URL is the backend's streamable HTTP endpoint, http(s) without user
	// info.
	URL string
	// Credential is what the backend receives in Authorization:
	// CredentialAccessToken (the default: the person's upstream access
	// token), CredentialIDToken (the person's OIDC ID token; a grant whose
	// upstream token has none is refused with 403) or CredentialIdentity
	// (an identity JWT signed by mcpgate).
	Credential string
	// Provider, when set, is the upstream provider whose token the backend
	// takes: grants of other providers are refused with 403.
	Provider string
	// Headers are sent on every request (e.g. X-MCP-Toolsets for GitHub's
	// server); they never override the MCP headers or Authorization.
	Headers map[string]string
	// ReadOnlyHeader is sent as "<ReadOnlyHeader>: true" when the grant
	// lacks the write scope; empty means DefaultReadOnlyHeader, "-" sends
	// none.
	ReadOnlyHeader string
	// Allow, when not empty, lists the only tool names served; Deny lists
	// tool names never served. Both hide from tools/list and refuse
	// tools/call.
	Allow, Deny []string
}

// BackendTokens is the upstream-token broker as the gateway uses it
// (UpstreamTokens implements it).
type BackendTokens interface {
	Token(ctx context.Context, c *tokens.Caller) (upstream.Token, error)
	Rejected(ctx context.Context, c *tokens.Caller, rejected string) (upstream.Token, error)
}

// Gateway serves one backend as a protected resource. Every request
// passes CORS, the Origin check and the bearer check of ResourceServer
// (same resource, same challenge as the built-in tools), then the tool
// policy (gateway_policy.go: read-only grants see and call only tools
// annotated readOnlyHint, Allow/Deny by name, 403 insufficient_scope to
// step up), then is forwarded (forward) with the person's upstream access
// token. Answers stream back event by event (gateway_stream.go).
type Gateway struct {
	// ResourceServer is the resource, bearer and Origin policy; its
	// ToolScopes, when set, only provides Satisfies (the scope hierarchy).
	ResourceServer
	// Backend is where requests go.
	Backend Backend
	// Upstream opens, refreshes and revokes the person's upstream token.
	Upstream BackendTokens
	// Identity mints the JWTs of a backend with CredentialIdentity.
	Identity *IdentityIssuer
	// ReadScope is what a tool annotated readOnlyHint: true needs,
	// WriteScope what every other tool needs (mcp:read, mcp:write).
	ReadScope, WriteScope string
	// Transport carries requests to the backend; nil means
	// NewBackendTransport(0).
	Transport http.RoundTripper
	// ToolsTTL is how long a backend's tools/list is trusted for scope
	// decisions; zero means DefaultToolsTTL.
	ToolsTTL time.Duration
	// Path is where the gateway is mounted; empty means PathMCP.
	Path string
	// Events gets one tool.called event per forwarded tools/call
	// (gateway_audit.go); nil records nothing.
	Events *observe.Observer

	backendURL *url.URL
	tools      *toolCache
}

// Mount registers the gateway at Path (default /mcp). It panics on a
// wiring mistake, as MCP.Mount does.
func (h *Gateway) Mount(mux *http.ServeMux) {
	u, err := url.Parse(h.Backend.URL)
	switch {
	case h.Resource == "", h.ResourceMetadataURL == "":
		panic("protected: Gateway needs Resource and ResourceMetadataURL")
	case h.Tokens == nil, h.Keys == nil, h.Upstream == nil:
		panic("protected: Gateway needs Tokens, Keys and Upstream")
	case h.ReadScope == "", h.WriteScope == "":
		panic("protected: Gateway needs ReadScope and WriteScope")
	case h.Backend.Credential == CredentialIdentity && h.Identity == nil:
		panic("protected: Gateway with the identity credential needs Identity")
	case !slices.Contains([]string{"", CredentialAccessToken, CredentialIDToken, CredentialIdentity}, h.Backend.Credential):
		panic("protected: Gateway: unknown Backend.Credential")
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.User != nil:
		panic("protected: Gateway needs an http(s) Backend.URL without user info")
	}
	if h.Backend.Name == "" {
		h.Backend.Name = "default"
	}
	if h.Transport == nil {
		h.Transport = NewBackendTransport(0)
	}
	h.backendURL = u
	h.tools = &toolCache{ttl: h.ToolsTTL, now: h.now, entries: map[bool]toolEntry{}}
	path := h.Path
	if path == "" {
		path = PathMCP
	}
	mux.Handle(path, h.handler())
}

func (h *Gateway) handler() http.Handler {
	return wire.WithCORS(h.checkOrigin(h.requireBearer(http.HandlerFunc(h.serve))))
}

// DefaultResponseHeaderTimeout bounds the wait for a backend's response
// headers. A stream, once its headers have arrived, is never cut by it.
const DefaultResponseHeaderTimeout = 2 * time.Minute

// NewBackendTransport is a pooled keep-alive transport for backends:
// unlike http.DefaultTransport (2 idle connections per host) it keeps
// enough idle connections for a loaded gateway, bounds the dial, TLS and
// response-header waits (timeout → 504), and sets no overall timeout, so
// long SSE streams live as long as both ends do. No proxy from the
// environment: backends are usually local. responseHeaderTimeout zero
// means DefaultResponseHeaderTimeout.
func NewBackendTransport(responseHeaderTimeout time.Duration) *http.Transport {
	if responseHeaderTimeout <= 0 {
		responseHeaderTimeout = DefaultResponseHeaderTimeout
	}
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: responseHeaderTimeout,
	}
}

// serve is everything after the bearer check.
func (h *Gateway) serve(w http.ResponseWriter, r *http.Request) {
	ti, _ := r.Context().Value(verifiedKey{}).(*auth.TokenInfo)
	var caller *tokens.Caller
	if ti != nil {
		caller, _ = ti.Extra[callerKey].(*tokens.Caller)
	}
	if caller == nil {
		h.writeBearerError(w, bearerUnauthorized(wire.InvalidToken, "the request was not authenticated"))
		return
	}
	if h.Backend.Provider != "" && caller.Provider != h.Backend.Provider {
		h.logger().LogAttrs(r.Context(), slog.LevelInfo, "gateway: grant of another provider refused",
			slog.String("backend", h.Backend.Name), slog.String("grant_id", caller.GrantID), slog.String("provider", caller.Provider))
		wire.WriteError(w, http.StatusForbidden, wire.Forbidden, "this MCP server needs a sign-in with "+h.Backend.Provider+
			"; remove this connection and connect again, choosing "+h.Backend.Provider)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodDelete:
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeRPCError(w, http.StatusMethodNotAllowed, rpcInvalidRequest, "the MCP endpoint accepts GET, POST and DELETE")
		return
	}

	var body []byte
	if r.Method == http.MethodPost {
		var ok bool
		if body, ok = readBoundedBody(w, r); !ok {
			return
		}
	}
	req := gatewayRequest{caller: caller, body: body, readOnly: !h.satisfies(ti.Scopes, h.WriteScope)}
	if sealed := r.Header.Get("Mcp-Session-Id"); sealed != "" {
		// Before anything else reaches the backend: another person's (or
		// a forged) session ID is unknown here (404, MCP transports).
		id, err := h.Keys.OpenSessionID(h.Backend.Name, caller.UserID, sealed)
		if err != nil {
			h.logger().LogAttrs(r.Context(), slog.LevelInfo, "gateway: unknown or foreign session ID refused",
				slog.String("backend", h.Backend.Name), slog.String("grant_id", caller.GrantID))
			writeRPCError(w, http.StatusNotFound, rpcInvalidRequest, "session not found: start a new session with initialize")
			return
		}
		req.sessionID = id
	}
	req.parse(r.Header)
	var denied bool
	if len(req.calls) > 0 && h.Events != nil {
		sw := &statusWriter{ResponseWriter: w}
		w = sw
		start := h.now()
		defer func() { h.recordCalls(r.Context(), &req, callOutcome(sw.status, denied), h.now().Sub(start)) }()
	}
	if !h.checkPolicy(w, r, ti, &req) {
		denied = true
		return
	}
	h.forward(w, r, &req)
}

// gatewayRequest is one client request as the gateway sees it.
type gatewayRequest struct {
	caller   *tokens.Caller
	body     []byte
	readOnly bool
	// sessionID is the backend's own session ID, opened from the sealed
	// one the client sent.
	sessionID string
	// listIDs are the JSON-RPC IDs (raw JSON) of the tools/list requests
	// in body, whose answers are filtered.
	listIDs []string
	// calls are the tool names of the tools/call requests in body, with
	// their request IDs.
	calls []toolCall
}

// forward sends the request to the backend with the person's upstream
// token, retrying once after the broker has replaced a token the backend
// refused (HTTP 401), and streams the answer back.
func (h *Gateway) forward(w http.ResponseWriter, r *http.Request, req *gatewayRequest) {
	log := h.logger().With(slog.String("backend", h.Backend.Name), slog.String("grant_id", req.caller.GrantID),
		slog.String("user_id", req.caller.UserID))
	sessionID := req.sessionID
	credential, accessToken, err := h.credential(r.Context(), req.caller)
	if err != nil {
		h.writeTokenError(w, r, log, err)
		return
	}
	resp, err := h.roundTrip(r, req, credential, sessionID)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && h.Backend.Credential == CredentialIdentity {
		drain(resp)
		log.LogAttrs(r.Context(), slog.LevelWarn, "gateway: backend refused mcpgate's identity token")
		writeRPCError(w, http.StatusBadGateway, rpcInternalError, "the MCP backend "+h.Backend.Name+
			" refused mcpgate's identity token; check that it trusts the keys at "+PathJWKS)
		return
	}
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		drain(resp)
		log.LogAttrs(r.Context(), slog.LevelInfo, "gateway: backend refused the upstream token; asking the broker for a fresh one")
		// The broker knows tokens by their access token; refreshing it
		// refreshes the ID token too (upstream/oidc Refresh).
		fresh, rerr := h.Upstream.Rejected(r.Context(), req.caller, accessToken)
		if rerr != nil {
			h.writeTokenError(w, r, log, rerr)
			return
		}
		credential, err = h.bearer(fresh)
		if err != nil {
			h.writeTokenError(w, r, log, err)
			return
		}
		resp, err = h.roundTrip(r, req, credential, sessionID)
		if err == nil && resp.StatusCode == http.StatusUnauthorized {
			drain(resp)
			log.LogAttrs(r.Context(), slog.LevelWarn, "gateway: backend refused the refreshed upstream token too")
			writeRPCError(w, http.StatusBadGateway, rpcInternalError, "the MCP backend "+h.Backend.Name+
				" refused the signed-in person's credentials; check that the backend accepts this identity provider's tokens")
			return
		}
	}
	if err != nil {
		h.writeBackendError(w, r, log, err)
		return
	}
	defer resp.Body.Close()
	h.relay(w, r, req, resp, log)
}

// roundTrip builds and sends one backend request.
func (h *Gateway) roundTrip(r *http.Request, req *gatewayRequest, accessToken, sessionID string) (*http.Response, error) {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, h.backendURL.String(), body)
	if err != nil {
		return nil, err
	}
	for name, value := range h.Backend.Headers {
		out.Header.Set(name, value)
	}
	for _, name := range forwardedRequestHeaders {
		out.Header.Del(name)
		for _, v := range r.Header.Values(name) {
			out.Header.Add(name, v)
		}
	}
	for name, values := range r.Header {
		if strings.HasPrefix(name, mcpParamPrefix) {
			out.Header[name] = values
		}
	}
	out.Header.Del("Mcp-Session-Id")
	if sessionID != "" {
		out.Header.Set("Mcp-Session-Id", sessionID)
	}
	if req.readOnly && h.Backend.ReadOnlyHeader != "-" {
		name := h.Backend.ReadOnlyHeader
		if name == "" {
			name = DefaultReadOnlyHeader
		}
		out.Header.Set(name, "true")
	}
	out.Header.Set("Authorization", "Bearer "+accessToken)
	return h.Transport.RoundTrip(out)
}

// relay copies the backend's answer: status, the allowed headers, the
// session ID sealed to this person, and the body (gateway_stream.go).
func (h *Gateway) relay(w http.ResponseWriter, r *http.Request, req *gatewayRequest, resp *http.Response, log *slog.Logger) {
	for _, name := range forwardedResponseHeaders {
		for _, v := range resp.Header.Values(name) {
			w.Header().Add(name, v)
		}
	}
	if id := resp.Header.Get("Mcp-Session-Id"); id != "" {
		sealed, err := h.Keys.SealSessionID(h.Backend.Name, req.caller.UserID, id)
		if err != nil {
			log.LogAttrs(r.Context(), slog.LevelError, "gateway: sealing the backend session ID failed", slog.String("error", err.Error()))
			writeRPCError(w, http.StatusInternalServerError, rpcInternalError, "internal error")
			return
		}
		w.Header().Set("Mcp-Session-Id", sealed)
	}
	if resp.StatusCode >= 500 {
		log.LogAttrs(r.Context(), slog.LevelWarn, "gateway: backend answered an error", slog.Int("status", resp.StatusCode))
	}
	h.copyBody(w, r, req, resp, log)
}

// writeTokenError answers a request whose upstream token the broker could
// not produce: a dead grant gets mcpgate's 401 challenge (sign in again),
// anything else 503 (retry).
func (h *Gateway) writeTokenError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if errors.Is(err, errNoIDToken) {
		log.LogAttrs(r.Context(), slog.LevelInfo, "gateway: grant without an OIDC ID token refused")
		wire.WriteError(w, http.StatusForbidden, wire.Forbidden, "this MCP server needs an OpenID Connect sign-in (its ID token)"+
			"; remove this connection and connect again, choosing an OpenID Connect provider")
		return
	}
	if errors.Is(err, ErrGrantGone) {
		log.LogAttrs(r.Context(), slog.LevelInfo, "gateway: grant gone; the client must sign in again")
		h.writeBearerError(w, bearerUnauthorized(wire.InvalidToken, "the sign-in has ended at the identity provider; sign in again"))
		return
	}
	if r.Context().Err() != nil {
		return
	}
	log.LogAttrs(r.Context(), slog.LevelError, "gateway: upstream token unavailable", slog.String("error", err.Error()))
	w.Header().Set("Retry-After", wire.RetryAfterSeconds)
	writeRPCError(w, http.StatusServiceUnavailable, rpcInternalError, "the signed-in person's upstream token is unavailable right now; retry shortly")
}

// writeBackendError answers a request the backend did not answer: 504 on a
// timeout, 502 otherwise, nothing when the client itself went away.
func (h *Gateway) writeBackendError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if r.Context().Err() != nil {
		log.LogAttrs(r.Context(), slog.LevelDebug, "gateway: client went away before the backend answered")
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		log.LogAttrs(r.Context(), slog.LevelWarn, "gateway: backend timed out", slog.String("error", err.Error()))
		writeRPCError(w, http.StatusGatewayTimeout, rpcInternalError, "the MCP backend "+h.Backend.Name+
			" did not answer in time; retry, and if it persists ask the operator to check that backend")
		return
	}
	log.LogAttrs(r.Context(), slog.LevelWarn, "gateway: backend unreachable", slog.String("error", err.Error()))
	writeRPCError(w, http.StatusBadGateway, rpcInternalError, "the MCP backend "+h.Backend.Name+
		" is unreachable; retry later, and if it persists ask the operator to check that it is running")
}

// satisfies reports whether granted covers required, with ToolScopes'
// hierarchy when there is one.
func (h *Gateway) satisfies(granted []string, required string) bool {
	if h.ToolScopes != nil {
		return h.ToolScopes.Satisfies(granted, required)
	}
	return slices.Contains(granted, required)
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
