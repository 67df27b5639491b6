package protected

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

const (
	// bearerStoreTimeout bounds the token lookup, so that a hung store
	// turns into a 503 instead of a hung request.
	bearerStoreTimeout = 5 * time.Second
	// callerKey is the auth.TokenInfo.Extra key that carries the verified
	// *tokens.Caller to tool handlers (see CallerFromRequest).
	callerKey = "mcpgate.caller"
)

// verifiedKey is the request-context key of the *auth.TokenInfo that
// requireBearer verified.
type verifiedKey struct{}

// bearerError is a refused request: status, RFC 6750 error code ("" when
// the request carried no credentials, RFC 6750 §3.1) and a description for
// the client. Descriptions are fixed strings that never contain a token
// and stay inside the characters RFC 6750 allows (no quote, no backslash).
type bearerError struct {
	status      int
	code        string
	description string
}

func bearerUnauthorized(code, description string) *bearerError {
	return &bearerError{status: http.StatusUnauthorized, code: code, description: description}
}

// requireBearer authenticates every request with an access token issued by
// this server for this resource (RFC 6750, RFC 8707, MCP authorization
// "Token Handling") and passes the verified TokenInfo to next in the request
// context. Anything else gets 401 with a WWW-Authenticate challenge naming
// the resource metadata (RFC 9728 §5.1) and the default scopes, or 503 when
// the store cannot answer.
func (h *ResourceServer) requireBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ti, berr := h.authenticate(r)
		if berr != nil {
			h.writeBearerError(w, berr)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), verifiedKey{}, ti)))
	})
}

// useAccess reads the access token stored under hash with its grant, in
// one round trip: a plain read for a token minted with a fixed lifetime
// (tokens.FixedAccess: no use to record), UseAccess otherwise, and also
// when the plain read finds a sliding record (a token minted before the
// hint that happens to carry it).
func (h *ResourceServer) useAccess(ctx context.Context, token, grantID, hash string) (tokens.AccessUse, error) {
	if tokens.FixedAccess(token) {
		a, g, err := h.Tokens.GetAccessGrant(ctx, grantID, hash)
		if err != nil || a.IdleTimeout <= 0 {
			return tokens.AccessUse{Access: a, Grant: g}, err
		}
	}
	return h.Tokens.UseAccess(ctx, grantID, hash)
}

// authenticate checks the request's bearer token: its shape and kind, a
// store lookup of its keyed hash that also reads the grant and, for a
// sliding token, records the use at most once per bucket (useAccess: one
// round trip; previous server secrets only after a miss), expiry, audience,
// the allowlist again when a sliding token was extended (Recheck), and the
// unwrapping of the grant's data key, which also proves the token is the
// one the record was made for. The grant goes to the tools on the Caller,
// so that the whole request reads the store once. It never calls upstream.
func (h *ResourceServer) authenticate(r *http.Request) (*auth.TokenInfo, *bearerError) {
	token, berr := bearerToken(r)
	if berr != nil {
		return nil, berr
	}
	kind, grantID, err := tokens.Parse(token)
	if err != nil || kind != tokens.KindAccess {
		// A GitHub or Google token, a refresh token, a code, a client
		// secret: only our access tokens are accepted (no token passthrough).
		return nil, bearerUnauthorized(wire.InvalidToken, "the bearer token is not an access token issued by this server")
	}

	ctx, cancel := context.WithTimeout(r.Context(), bearerStoreTimeout)
	defer cancel()
	var (
		use   tokens.AccessUse
		found bool
	)
	for _, hash := range h.Keys.Hashes(token) {
		use, err = h.useAccess(ctx, token, grantID, hash)
		if err == nil {
			found = true
			break
		}
		if !errors.Is(err, tokens.ErrNotFound) {
			h.logger().LogAttrs(r.Context(), slog.LevelError, "access token lookup failed",
				slog.String("grant_id", grantID), slog.String("error", err.Error()))
			return nil, &bearerError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable",
				description: "the token store is unavailable; retry shortly"}
		}
	}
	if !found {
		return nil, bearerUnauthorized(wire.InvalidToken, "the access token is unknown, revoked or expired")
	}
	at, grant := use.Access, use.Grant
	if !at.ExpiresAt.After(h.now()) {
		return nil, bearerUnauthorized(wire.InvalidToken, "token expired")
	}
	if at.Resource != h.Resource {
		h.logger().LogAttrs(r.Context(), slog.LevelInfo, "access token for another resource refused",
			slog.String("grant_id", grantID), slog.String("client_id", at.ClientID))
		return nil, bearerUnauthorized(wire.InvalidToken, "token was issued for another resource")
	}
	key, err := h.Keys.UnwrapGrantKey(token, grantID, at.WrappedKey)
	if err != nil {
		h.logger().LogAttrs(r.Context(), slog.LevelWarn, "access token record cannot be unwrapped",
			slog.String("grant_id", grantID), slog.String("client_id", at.ClientID))
		return nil, bearerUnauthorized(wire.InvalidToken, "the access token is unknown, revoked or expired")
	}

	caller := &tokens.Caller{
		GrantID:  grantID,
		ClientID: at.ClientID,
		UserID:   at.UserID,
		Provider: providerOf(at.UserID),
		Scopes:   at.Scopes,
		Key:      key,
		Grant:    &grant,
	}
	if use.Extended && h.Recheck != nil {
		if err := h.Recheck(r.Context(), caller); err != nil {
			return nil, bearerUnauthorized(wire.InvalidToken, "access revoked: the account is no longer allowed to use this server")
		}
	}

	h.logger().LogAttrs(r.Context(), slog.LevelDebug, "mcp request authorized",
		slog.String("grant_id", grantID), slog.String("client_id", at.ClientID), slog.String("user_id", at.UserID))
	return &auth.TokenInfo{
		Scopes:     at.Scopes,
		Expiration: at.ExpiresAt,
		UserID:     at.UserID,
		Extra:      map[string]any{callerKey: caller},
	}, nil
}

// bearerToken extracts the token from "Authorization: Bearer <token>"
// (RFC 6750 §2.1). A token in the query string (§2.3) is refused even next
// to a valid header: URLs end up in logs and browser history. A request
// without credentials, or with another scheme, gets a challenge without an
// error code (§3.1); a malformed header gets invalid_request.
func bearerToken(r *http.Request) (string, *bearerError) {
	if r.URL.Query().Has("access_token") {
		return "", bearerUnauthorized(wire.InvalidRequest, "access tokens in the query string are not accepted; send an Authorization Bearer header")
	}
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", bearerUnauthorized("", "a bearer token is required")
	case 1:
	default:
		return "", bearerUnauthorized(wire.InvalidRequest, "more than one Authorization header")
	}
	// Split on white space exactly as auth.RequireBearerToken does, so the
	// two always agree on the token.
	fields := strings.Fields(values[0])
	if len(fields) == 0 || !strings.EqualFold(fields[0], "Bearer") {
		return "", bearerUnauthorized("", "a bearer token is required")
	}
	if len(fields) != 2 {
		return "", bearerUnauthorized(wire.InvalidRequest, "malformed Authorization header; expected Bearer followed by one token")
	}
	return fields[1], nil
}

// writeBearerError writes a refusal. A 401 carries exactly one challenge,
// scheme "Bearer " with every value quoted (RFC 6750 §3, RFC 9728 §5.1):
//
//	Bearer error="invalid_token", error_description="…", resource_metadata="…", scope="…"
//
// The body is the same error as JSON. A 503 says when to retry.
func (h *ResourceServer) writeBearerError(w http.ResponseWriter, e *bearerError) {
	switch e.status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", h.challenge(e))
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", wire.RetryAfterSeconds)
	}
	code := e.code
	if code == "" {
		code = wire.Unauthorized
	}
	wire.WriteError(w, e.status, code, e.description)
}

// challenge renders the WWW-Authenticate value for a 401.
func (h *ResourceServer) challenge(e *bearerError) string {
	var params []string
	if e.code != "" {
		params = append(params, challengeParam("error", e.code), challengeParam("error_description", e.description))
	}
	params = append(params, challengeParam("resource_metadata", h.ResourceMetadataURL))
	if len(h.Scopes) > 0 {
		params = append(params, challengeParam("scope", strings.Join(h.Scopes, " ")))
	}
	return "Bearer " + strings.Join(params, ", ")
}

// authParam renders name="value" as an RFC 9110 §11.2 auth-param with a
// quoted-string value.
func challengeParam(name, value string) string {
	var b strings.Builder
	b.Grow(len(name) + len(value) + 3)
	b.WriteString(name)
	b.WriteString(`="`)
	for _, c := range []byte(value) {
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// verifiedTokenInfo is the auth.TokenVerifier handed to
// auth.RequireBearerToken: it returns the TokenInfo that requireBearer
// already verified for this request. Going through the SDK middleware is
// the only way to have the SDK set req.Extra.TokenInfo for tools, since its
// context key is private.
func verifiedTokenInfo(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
	if ti, ok := ctx.Value(verifiedKey{}).(*auth.TokenInfo); ok && ti != nil {
		return ti, nil
	}
	return nil, auth.ErrInvalidToken
}

// providerOf is the provider name of a user ID (tokens.UserID).
func providerOf(userID string) string {
	provider, _, _ := tokens.SplitUserID(userID)
	return provider
}
