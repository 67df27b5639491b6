package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// refreshRead is the store read of a refresh grant: the client, the grant
// and the refresh token in one round trip (TokenStore.ReadRefresh), made
// while the client authenticates, so that the whole grant takes two round
// trips: this read and the rotation.
type refreshRead struct {
	read tokens.RefreshRead
	done bool
}

// clientLookup finds the client of a token request. For a refresh grant
// whose refresh_token parses, it reads the client together with the grant
// and the token into read; a client named by a metadata document is not
// in the store and is resolved apart (clientResolver), the read then
// asking for no client. Nothing read is used before the client has
// authenticated.
func (h *tokenHandler) clientLookup(read *refreshRead) clientLookup {
	return func(ctx context.Context, id string, form url.Values) (tokens.Client, error) {
		rt := form.Get("refresh_token")
		kind, grantID, err := tokens.Parse(rt)
		if form.Get("grant_type") != grantRefreshToken || err != nil || kind != tokens.KindRefresh {
			return h.Auth.Clients.GetClient(ctx, id)
		}
		if isMetadataURL(id) {
			client, err := h.Auth.Clients.GetClient(ctx, id)
			if err != nil {
				return client, err
			}
			if read.read, err = h.readRefresh(ctx, "", grantID, rt); err != nil {
				return tokens.Client{}, err
			}
			read.done = true
			return client, nil
		}
		if read.read, err = h.readRefresh(ctx, id, grantID, rt); err != nil {
			return tokens.Client{}, err
		}
		read.done = true
		return read.read.Client, read.read.ClientErr
	}
}

// readRefresh reads the client clientID (none for "") with the grant and
// the refresh token rt, stored under its hash under the current or a
// previous server secret (one more round trip per previous secret, only
// for a token that the current secret does not find).
func (h *tokenHandler) readRefresh(ctx context.Context, clientID, grantID, rt string) (tokens.RefreshRead, error) {
	var first tokens.RefreshRead
	for i, hash := range h.Keys.Hashes(rt) {
		read, err := h.Tokens.ReadRefresh(ctx, clientID, grantID, hash)
		if err != nil {
			return tokens.RefreshRead{}, err
		}
		if i == 0 {
			first, clientID = read, "" // the client is read once
		}
		if !isNotFound(read.Err) {
			read.Client, read.ClientErr = first.Client, first.ClientErr
			return read, nil
		}
	}
	return first, nil
}

// refresh rotates a refresh token (RFC 6749 §6, OAuth 2.1 §4.3.1), from
// what the client lookup read.
func (h *tokenHandler) refresh(ctx context.Context, client tokens.Client, form url.Values, read *refreshRead) ([]byte, *oauthError) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return nil, invalidRequest("refresh_token is required")
	}
	resource, oerr := h.optionalResource(form)
	if oerr != nil {
		return nil, oerr
	}
	kind, grantID, err := tokens.Parse(rt)
	if err != nil || kind != tokens.KindRefresh || !read.done {
		// read.done is set for every refresh token that parses: its
		// check keeps a zero read from ever passing for a live token.
		return nil, invalidRefresh()
	}
	log := h.Logger.With(slog.String("client_id", client.ID), slog.String("grant_id", grantID))

	rec := read.read.Token
	switch {
	case isNotFound(read.read.Err) && h.olderGeneration(rt, read.read.Grant, client.ID):
		return h.reuseDetected(ctx, log, grantID)
	case isNotFound(read.read.Err):
		return nil, invalidRefresh()
	case errors.Is(read.read.Err, tokens.ErrRotated):
		if rec.ClientID != client.ID {
			return nil, invalidRefresh()
		}
		return h.replay(ctx, log, grantID, rt, rec)
	}
	now := h.Now()
	if rec.ClientID != client.ID {
		log.LogAttrs(ctx, slog.LevelWarn, "refresh token presented by another client")
		return nil, invalidRefresh()
	}
	accessScopes, oerr := checkRefresh(rec, form, resource, now)
	if oerr != nil {
		return nil, oerr
	}
	grant := read.read.Grant
	dk, err := h.Keys.UnwrapGrantKey(rt, grantID, rec.WrappedKey)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "refresh token record cannot be unwrapped")
		return nil, invalidRefresh()
	}
	if oerr := h.recheck(ctx, log, grant, rec.Scopes, dk); oerr != nil {
		return nil, oerr
	}
	return h.rotate(ctx, log, client, read.read, rt, accessScopes, dk, now)
}

// checkRefresh checks a live refresh token record against the request
// (expiry, resource) and returns the access token's scopes: the grant's, or
// the narrower scope asked for (RFC 6749 §6).
func checkRefresh(rec tokens.RefreshToken, form url.Values, resource string, now time.Time) ([]string, *oauthError) {
	switch {
	case !rec.ExpiresAt.After(now):
		return nil, invalidRefresh()
	case resource != "" && resource != rec.Resource:
		return nil, badRequest(wire.InvalidTarget, "resource does not match the grant")
	}
	if s := form.Get("scope"); s != "" {
		return narrowScopes(s, rec.Scopes)
	}
	return rec.Scopes, nil
}

// rotate mints the next token pair of the grant read found and rotates
// the refresh token rt (as read) to it, keeping the response sealed under rt for a
// retry within the grace period and retiring the access token issued with rt. The new refresh token keeps the grant's
// scopes; a narrower scope applies to the access token only (RFC 6749 §6).
func (h *tokenHandler) rotate(ctx context.Context, log *slog.Logger, client tokens.Client, read tokens.RefreshRead, rt string,
	accessScopes []string, dk tokens.DataKey, now time.Time) ([]byte, *oauthError) {
	grantID, grant, rec := read.GrantID, read.Grant, read.Token
	resp, issue, err := h.mint(grant, client, accessScopes, rec.Scopes, rec.Resource, dk, now)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "minting tokens failed", slog.String("error", err.Error()))
		return nil, &oauthError{Code: wire.ServerError, Description: "tokens could not be issued", Status: http.StatusInternalServerError}
	}
	body, err := json.Marshal(resp)
	if err != nil {
		return nil, &oauthError{Code: wire.ServerError, Description: "tokens could not be issued", Status: http.StatusInternalServerError}
	}
	rot := tokens.Rotation{At: now, Grace: h.grace(), Retire: h.Keys.PairedAccessHashes(rt, read.Hash)}
	if rot.Grace > 0 {
		if rot.GraceResponse, err = h.Keys.SealGrace(rt, grantID, body); err != nil {
			log.LogAttrs(ctx, slog.LevelError, "sealing the grace response failed", slog.String("error", err.Error()))
			return nil, &oauthError{Code: wire.ServerError, Description: "tokens could not be issued", Status: http.StatusInternalServerError}
		}
	}
	switch err := h.Tokens.RotateRefresh(ctx, read, rot, issue); {
	case errors.Is(err, tokens.ErrRotated):
		return h.rotatedMeanwhile(ctx, log, client.ID, grantID, rt)
	case isNotFound(err):
		return nil, invalidRefresh()
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "rotating the refresh token failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}
	h.Events.Record(ctx, observe.Event{Kind: observe.TokenRefreshed, ClientID: client.ID, GrantID: grantID, UserID: grant.UserID, Provider: grant.Provider})
	log.LogAttrs(ctx, slog.LevelInfo, "refresh token rotated", slog.String("user_id", grant.UserID))
	return body, nil
}

// rotatedMeanwhile answers a refresh whose token another request (or
// replica) rotated first: as a retry, with what that request answered.
func (h *tokenHandler) rotatedMeanwhile(ctx context.Context, log *slog.Logger, clientID, grantID, rt string) ([]byte, *oauthError) {
	read, err := h.readRefresh(ctx, "", grantID, rt)
	switch {
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "reading the refresh token failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	case errors.Is(read.Err, tokens.ErrRotated):
		return h.replay(ctx, log, grantID, rt, read.Token)
	case h.olderGeneration(rt, read.Grant, clientID):
		return h.reuseDetected(ctx, log, grantID)
	}
	return nil, invalidRefresh()
}

// olderGeneration reports whether rt, which the store no longer has, is a
// refresh token of the live grant g that clientID holds and that g's chain
// has moved past: its generation, which only mcpgate can mint, is older
// than the grant's active one (tokens/generation.go). Such a token was
// issued and rotated, and its tombstone has lapsed with its grace window:
// presenting it is reuse.
func (h *tokenHandler) olderGeneration(rt string, g tokens.Grant, clientID string) bool {
	if g.ID == "" || g.ClientID != clientID {
		return false
	}
	gen, ok := h.Keys.RefreshGeneration(rt)
	return ok && gen < g.RefreshGen
}

// recheck applies the allowlist again before a refresh is answered, so
// that someone the rules no longer admit (removed from the organisation,
// dropped from the users list) loses access within one access token
// lifetime. A refused grant is revoked and the client gets invalid_grant
// with the reason; a grant whose upstream token the provider no longer
// accepts (or that no longer opens) is revoked too. When the rules cannot be evaluated (GitHub
// unreachable or rate limited) nothing is revoked and the client gets
// temporarily_unavailable, so it keeps its refresh token and retries.
func (h *tokenHandler) recheck(ctx context.Context, log *slog.Logger, grant tokens.Grant, scopes []string, dk tokens.DataKey) *oauthError {
	if !h.Allow.enabled() {
		return nil
	}
	caller := &tokens.Caller{
		GrantID:  grant.ID,
		ClientID: grant.ClientID,
		UserID:   grant.UserID,
		Provider: grant.Provider,
		Scopes:   scopes,
		Key:      dk,
	}
	err := h.Allow.atRefresh(ctx, grant, caller)
	if err == nil {
		return nil
	}
	reason, revoke := recheckVerdict(err)
	var oerr *oauthError
	switch {
	case revoke && errors.Is(err, upstream.ErrDenied):
		oerr = invalidGrant(descriptionSafe("access revoked: " + refusalReasons(err)))
	case revoke:
		oerr = invalidGrant("access revoked: the sign-in at the identity provider is no longer valid; sign in again")
	default:
		log.LogAttrs(ctx, slog.LevelError, "the allowlist could not be re-checked at refresh",
			slog.String("user_id", grant.UserID), slog.String("error", err.Error()))
		return &oauthError{Code: wire.TemporarilyUnavailable, Description: "access could not be re-checked right now; retry shortly",
			Status: http.StatusServiceUnavailable}
	}
	if rerr := h.Grants.RevokeGrant(ctx, grant.ID); rerr != nil {
		log.LogAttrs(ctx, slog.LevelError, "revoking the grant the allowlist refused failed",
			slog.String("user_id", grant.UserID), slog.String("error", rerr.Error()))
		return storeUnavailable()
	}
	log.LogAttrs(ctx, slog.LevelWarn, "grant revoked at refresh: "+reason,
		slog.String("user_id", grant.UserID), slog.String("provider", grant.Provider))
	return oerr
}

// replay answers the use of an already rotated refresh token: within the
// grace period, the response its rotation produced (an idempotent retry);
// after it, or once the successor it returned has itself been used (the
// store then no longer returns the response), reuse detection revokes the
// grant.
func (h *tokenHandler) replay(ctx context.Context, log *slog.Logger, grantID, rt string, rec tokens.RefreshToken) ([]byte, *oauthError) {
	if h.Now().Sub(rec.RotatedAt) <= h.grace() && len(rec.GraceResponse) > 0 {
		body, err := h.Keys.OpenGrace(rt, grantID, rec.GraceResponse)
		if err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "grace response cannot be opened")
			return nil, invalidRefresh()
		}
		log.LogAttrs(ctx, slog.LevelInfo, "refresh retried within the grace period; same tokens returned")
		return body, nil
	}
	return h.reuseDetected(ctx, log, grantID)
}

// reuseDetected revokes a grant whose rotated refresh token was presented
// again (RFC 9700 §4.14) and answers invalid_grant.
func (h *tokenHandler) reuseDetected(ctx context.Context, log *slog.Logger, grantID string) ([]byte, *oauthError) {
	if err := h.Grants.RevokeGrant(ctx, grantID); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "revoking the grant after refresh token reuse failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}
	h.Events.Record(ctx, observe.Event{Kind: observe.ReuseDetected, GrantType: grantRefreshToken, GrantID: grantID, Reason: "rotated refresh token presented again; grant revoked"})
	log.LogAttrs(ctx, slog.LevelWarn, "refresh token reuse detected; grant revoked")
	return nil, invalidGrant("refresh token reuse detected; the grant is revoked")
}

// grace is the grace window of a rotation: RefreshGrace, or none for
// NoRefreshGrace.
func (h *tokenHandler) grace() time.Duration { return max(h.RefreshGrace, 0) }

// narrowScopes checks that every scope in requested is among granted
// (RFC 6749 §6) and returns them in the grant's order.
func narrowScopes(requested string, granted []string) ([]string, *oauthError) {
	asked := strings.Fields(requested)
	for _, a := range asked {
		if !slices.Contains(granted, a) {
			return nil, badRequest(wire.InvalidScope, "scope may only narrow the scopes of the grant")
		}
	}
	var out []string
	for _, g := range granted {
		if slices.Contains(asked, g) {
			out = append(out, g)
		}
	}
	return out, nil
}
