package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
)

// revokeHandler is token revocation (RFC 7009):
//
//	POST /revoke token=…[&token_type_hint=…]  → 200
//
// The client authenticates as at the token endpoint. Revoking an access or
// a refresh token ends the whole grant: both tokens of the pair, every
// rotated refresh token and the sealed upstream token go (RFC 7009 §2.1
// allows this; a client that revokes wants to be signed out, and a grant
// cannot live on with half a pair). token_type_hint is accepted and
// ignored: the token's prefix already says what it is. A token that is
// unknown, malformed, expired, of another kind, or issued to another
// client gets 200 and changes nothing (§2.2), so the endpoint reveals
// nothing about tokens the caller does not own.
type revokeHandler struct {
	Events *observe.Observer // audit and metrics at outcome points; nil records nothing
	Auth   *clientAuthenticator
	// Limits rate-limits revocations; nil admits all.
	Limits *limiter
	Grants tokens.GrantStore
	Tokens tokens.TokenStore
	Keys   *tokens.Keyring
	Logger *slog.Logger
}

// Mount registers /revoke.
func (h *revokeHandler) Mount(mux *http.ServeMux) {
	mux.Handle(pathRevoke, wire.WithCORS(wire.AllowMethods(http.HandlerFunc(h.revoke), http.MethodPost)))
}

func (h *revokeHandler) revoke(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	client, form, ok := authenticatedRequest(ctx, w, r, h.Limits, h.Auth, "revoke")
	if !ok {
		return
	}
	token := form.Get("token")
	if token == "" {
		writeOAuthError(w, invalidRequest("token is required"))
		return
	}
	owner, grantID, err := h.owner(ctx, token)
	switch {
	case isNotFound(err):
		writeRevoked(w)
		return
	case err != nil:
		h.Logger.LogAttrs(ctx, slog.LevelError, "token lookup for revocation failed",
			slog.String("client_id", client.ID), slog.String("grant_id", grantID), slog.String("error", err.Error()))
		writeOAuthError(w, storeUnavailable())
		return
	}
	if owner != client.ID {
		h.Logger.LogAttrs(ctx, slog.LevelWarn, "revocation of another client's token ignored",
			slog.String("client_id", client.ID), slog.String("grant_id", grantID))
		writeRevoked(w)
		return
	}
	if err := h.Grants.RevokeGrant(ctx, grantID); err != nil {
		h.Logger.LogAttrs(ctx, slog.LevelError, "revoking the grant failed",
			slog.String("client_id", client.ID), slog.String("grant_id", grantID), slog.String("error", err.Error()))
		writeOAuthError(w, storeUnavailable())
		return
	}
	h.Events.Record(ctx, observe.Event{Kind: observe.GrantRevoked, By: observe.RevokedByClient, GrantID: grantID, ClientID: client.ID})
	h.Logger.LogAttrs(ctx, slog.LevelInfo, "grant revoked by its client", slog.String("client_id", client.ID), slog.String("grant_id", grantID))
	writeRevoked(w)
}

// owner returns the client ID and grant ID of an access or refresh token
// (a rotated refresh token still names its grant, by its tombstone or by
// its generation), or ErrNotFound.
func (h *revokeHandler) owner(ctx context.Context, token string) (clientID, grantID string, err error) {
	kind, grantID, perr := tokens.Parse(token)
	if perr != nil {
		return "", "", tokens.ErrNotFound
	}
	for _, hash := range h.Keys.Hashes(token) {
		switch kind {
		case tokens.KindAccess:
			at, err := h.Tokens.GetAccess(ctx, grantID, hash)
			if err == nil {
				return at.ClientID, grantID, nil
			}
			if !isNotFound(err) {
				return "", grantID, err
			}
		case tokens.KindRefresh:
			rt, err := h.Tokens.GetRefresh(ctx, grantID, hash)
			if err == nil || errors.Is(err, tokens.ErrRotated) {
				return rt.ClientID, grantID, nil
			}
			if !isNotFound(err) {
				return "", grantID, err
			}
		default:
			return "", "", tokens.ErrNotFound
		}
	}
	if kind == tokens.KindRefresh {
		return h.generationOwner(ctx, token, grantID)
	}
	return "", grantID, tokens.ErrNotFound
}

// generationOwner is owner for a refresh token the store no longer has: a
// rotated one whose tombstone lapsed still names its grant if its
// generation (tokens/generation.go) is one the grant's chain went through.
func (h *revokeHandler) generationOwner(ctx context.Context, token, grantID string) (clientID, _ string, err error) {
	gen, ok := h.Keys.RefreshGeneration(token)
	if !ok {
		return "", grantID, tokens.ErrNotFound
	}
	g, err := h.Grants.GetGrant(ctx, grantID)
	if err != nil {
		return "", grantID, err
	}
	if gen > g.RefreshGen {
		return "", grantID, tokens.ErrNotFound
	}
	return g.ClientID, grantID, nil
}

// writeRevoked is the answer to every accepted revocation request (RFC 7009
// §2.2): 200 with an empty JSON object.
func writeRevoked(w http.ResponseWriter) {
	wire.WriteJSONBytes(w, http.StatusOK, []byte("{}"))
}
