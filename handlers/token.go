package handlers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// tokenHandler is the token endpoint (OAuth 2.1 §3.2, RFC 6749 §3.2):
//
//	POST /token grant_type=authorization_code  code + code_verifier (RFC 7636)
//	POST /token grant_type=refresh_token       rotation with reuse detection
//
// The body is form-encoded and read once into a url.Values whose
// parameters may not repeat; every answer is JSON with Cache-Control:
// no-store. The client authenticates with client_secret_basic,
// client_secret_post, or not at all (public clients, client_id only); see
// clientAuthenticator.
//
// Refresh tokens rotate on every use (OAuth 2.1 §4.3.1). The rotated
// token's record stays, marked with its rotation time and holding the
// response it produced sealed under a key derived from the old token: a
// retry within RefreshGrace (a client that lost the response, or two
// replicas racing) gets that same response again; a later use of the
// rotated token means two parties hold it, and the whole grant is revoked
// (reuse detection, MCP "Token Theft"; RFC 9700 §4.14.2).
type tokenHandler struct {
	Auth         *clientAuthenticator
	Grants       tokens.GrantStore
	Codes        tokens.CodeStore
	Tokens       tokens.TokenStore
	Keys         *tokens.Keyring
	Resources    resourceSet
	AccessTTL    time.Duration
	RefreshTTL   time.Duration
	RefreshGrace time.Duration
	Limits       *limiter // nil admits all
	// Allow is re-checked at every refresh; nil admits everyone.
	Allow  *allowlist
	Logger *slog.Logger
	Now    func() time.Time
}

// Mount registers /token.
func (h *tokenHandler) Mount(mux *http.ServeMux) {
	mux.Handle(pathToken, wire.WithCORS(wire.AllowMethods(http.HandlerFunc(h.token), http.MethodPost)))
}

// tokenResponse is the successful response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// invalidCode is the one answer for a code that is unknown, expired,
// malformed or spent: the client learns nothing more.
func invalidCode() *oauthError {
	return invalidGrant("the authorization code is invalid, expired or already used")
}

func invalidRefresh() *oauthError {
	return invalidGrant("the refresh token is invalid, expired or revoked")
}

func (h *tokenHandler) token(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.requestTimeout())
	defer cancel()
	client, form, ok := authenticatedRequest(ctx, w, r, h.Limits, h.Auth, "token")
	if !ok {
		return
	}
	var body []byte
	var oerr *oauthError
	switch gt := form.Get("grant_type"); gt {
	case grantAuthorizationCode:
		body, oerr = h.exchangeCode(ctx, client, form)
	case grantRefreshToken:
		body, oerr = h.refresh(ctx, client, form)
	case "":
		oerr = invalidRequest("grant_type is required")
	default:
		oerr = badRequest(wire.UnsupportedGrantType, "grant_type must be authorization_code or refresh_token")
	}
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	wire.WriteJSONBytes(w, http.StatusOK, body)
}

// exchangeCode redeems an authorization code (OAuth 2.1 §4.1.3, RFC 7636
// §4.6). The code is consumed before it is checked, so every code works at
// most once; if anything about it is wrong after that, its grant is
// revoked (it has no tokens yet, and the request that spent it may be an
// attacker's). A second use of a code revokes the grant and every token
// the first use issued (OAuth 2.1 §4.1.3).
func (h *tokenHandler) exchangeCode(ctx context.Context, client tokens.Client, form url.Values) ([]byte, *oauthError) {
	code, verifier := form.Get("code"), form.Get("code_verifier")
	switch {
	case code == "":
		return nil, invalidRequest("code is required")
	case verifier == "":
		return nil, invalidRequest("code_verifier is required (PKCE)")
	case !validVerifier(verifier):
		return nil, invalidGrant("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
	}
	resource, oerr := h.optionalResource(form)
	if oerr != nil {
		return nil, oerr
	}
	kind, grantID, err := tokens.Parse(code)
	if err != nil || kind != tokens.KindCode {
		return nil, invalidCode()
	}
	log := h.Logger.With(slog.String("client_id", client.ID), slog.String("grant_id", grantID))

	var ac tokens.AuthCode
	err = tokens.ErrNotFound
	for _, hash := range h.Keys.Hashes(code) {
		if ac, err = h.Codes.ConsumeCode(ctx, grantID, hash); !isNotFound(err) {
			break
		}
	}
	switch {
	case errors.Is(err, tokens.ErrCodeReused):
		if rerr := h.Grants.RevokeGrant(ctx, grantID); rerr != nil {
			log.LogAttrs(ctx, slog.LevelError, "revoking the grant of a reused code failed", slog.String("error", rerr.Error()))
			return nil, storeUnavailable()
		}
		log.LogAttrs(ctx, slog.LevelWarn, "authorization code reused; grant revoked")
		return nil, invalidGrant("authorization code already used; the tokens it issued are revoked")
	case isNotFound(err):
		return nil, invalidCode()
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "consuming the authorization code failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}

	spent := func(reason string, e *oauthError) ([]byte, *oauthError) {
		log.LogAttrs(ctx, slog.LevelWarn, "authorization code refused: "+reason)
		if rerr := h.Grants.RevokeGrant(ctx, grantID); rerr != nil {
			log.LogAttrs(ctx, slog.LevelError, "revoking the grant of a refused code failed", slog.String("error", rerr.Error()))
		}
		return nil, e
	}
	now := h.Now()
	switch {
	case ac.ClientID != client.ID:
		return spent("issued to another client", invalidGrant("the authorization code was issued to another client"))
	case !ac.ExpiresAt.After(now):
		return spent("expired", invalidCode())
	case form.Has("redirect_uri") && form.Get("redirect_uri") != ac.RedirectURI:
		return spent("redirect_uri mismatch", invalidGrant("redirect_uri does not match the authorization request"))
	case subtle.ConstantTimeCompare([]byte(oauth2.S256ChallengeFromVerifier(verifier)), []byte(ac.CodeChallenge)) != 1:
		return spent("PKCE verification failed", invalidGrant("code_verifier does not match the code_challenge"))
	case resource != "" && resource != ac.Resource:
		return spent("resource mismatch", badRequest(wire.InvalidTarget, "resource does not match the authorization request"))
	}
	dk, err := h.unwrap(code, grantID, ac.WrappedKey)
	if err != nil {
		return spent("data key cannot be unwrapped", invalidCode())
	}
	grant, err := h.Grants.GetGrant(ctx, grantID)
	switch {
	case isNotFound(err):
		return nil, invalidCode()
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "reading the grant failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}
	resp, issue, err := h.mint(grant, client.ID, ac.Scopes, ac.Scopes, ac.Resource, dk, now)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "minting tokens failed", slog.String("error", err.Error()))
		return nil, &oauthError{Code: wire.ServerError, Description: "tokens could not be issued", Status: http.StatusInternalServerError}
	}
	body, err := json.Marshal(resp)
	if err != nil {
		return nil, &oauthError{Code: wire.ServerError, Description: "tokens could not be issued", Status: http.StatusInternalServerError}
	}
	switch err := h.Tokens.IssueTokens(ctx, grantID, issue); {
	case isNotFound(err):
		return nil, invalidCode()
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "storing the tokens failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}
	if err := h.Auth.Clients.TouchClient(ctx, client.ID, now); err != nil {
		// Only bookkeeping: a client with a live grant is never pruned.
		log.LogAttrs(ctx, slog.LevelWarn, "recording the client's use failed", slog.String("error", err.Error()))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "tokens issued", slog.String("user_id", grant.UserID))
	return body, nil
}

// refresh rotates a refresh token (RFC 6749 §6, OAuth 2.1 §4.3.1).
func (h *tokenHandler) refresh(ctx context.Context, client tokens.Client, form url.Values) ([]byte, *oauthError) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return nil, invalidRequest("refresh_token is required")
	}
	resource, oerr := h.optionalResource(form)
	if oerr != nil {
		return nil, oerr
	}
	kind, grantID, err := tokens.Parse(rt)
	if err != nil || kind != tokens.KindRefresh {
		return nil, invalidRefresh()
	}
	log := h.Logger.With(slog.String("client_id", client.ID), slog.String("grant_id", grantID))

	rec, hash, err := h.lookupRefresh(ctx, grantID, rt)
	switch {
	case isNotFound(err):
		return nil, invalidRefresh()
	case errors.Is(err, tokens.ErrRotated):
		if rec.ClientID != client.ID {
			return nil, invalidRefresh()
		}
		return h.replay(ctx, log, grantID, rt, rec)
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "reading the refresh token failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}
	now := h.Now()
	switch {
	case rec.ClientID != client.ID:
		log.LogAttrs(ctx, slog.LevelWarn, "refresh token presented by another client")
		return nil, invalidRefresh()
	case !rec.ExpiresAt.After(now):
		return nil, invalidRefresh()
	case resource != "" && resource != rec.Resource:
		return nil, badRequest(wire.InvalidTarget, "resource does not match the grant")
	}
	accessScopes := rec.Scopes
	if s := form.Get("scope"); s != "" {
		if accessScopes, oerr = narrowScopes(s, rec.Scopes); oerr != nil {
			return nil, oerr
		}
	}
	grant, err := h.Grants.GetGrant(ctx, grantID)
	switch {
	case isNotFound(err):
		return nil, invalidRefresh()
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "reading the grant failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}
	dk, err := h.unwrap(rt, grantID, rec.WrappedKey)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "refresh token record cannot be unwrapped")
		return nil, invalidRefresh()
	}
	if oerr := h.recheck(ctx, log, grant, rec.Scopes, dk); oerr != nil {
		return nil, oerr
	}
	// The new refresh token keeps the grant's scopes; a narrower scope
	// applies to the access token only (RFC 6749 §6).
	resp, issue, err := h.mint(grant, client.ID, accessScopes, rec.Scopes, rec.Resource, dk, now)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "minting tokens failed", slog.String("error", err.Error()))
		return nil, &oauthError{Code: wire.ServerError, Description: "tokens could not be issued", Status: http.StatusInternalServerError}
	}
	body, err := json.Marshal(resp)
	if err != nil {
		return nil, &oauthError{Code: wire.ServerError, Description: "tokens could not be issued", Status: http.StatusInternalServerError}
	}
	grace, err := h.Keys.SealWithToken(rt, aadGrace+grantID, body)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "sealing the grace response failed", slog.String("error", err.Error()))
		return nil, &oauthError{Code: wire.ServerError, Description: "tokens could not be issued", Status: http.StatusInternalServerError}
	}
	switch err := h.Tokens.RotateRefresh(ctx, grantID, hash, now, grace, issue); {
	case errors.Is(err, tokens.ErrRotated):
		// Another request (or replica) rotated this token first: answer
		// as a retry, with what it answered.
		rec, _, err := h.lookupRefresh(ctx, grantID, rt)
		switch {
		case errors.Is(err, tokens.ErrRotated):
			return h.replay(ctx, log, grantID, rt, rec)
		case isNotFound(err):
			return nil, invalidRefresh()
		case err != nil:
			log.LogAttrs(ctx, slog.LevelError, "reading the refresh token failed", slog.String("error", err.Error()))
			return nil, storeUnavailable()
		}
		return nil, invalidRefresh()
	case isNotFound(err):
		return nil, invalidRefresh()
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "rotating the refresh token failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}
	log.LogAttrs(ctx, slog.LevelInfo, "refresh token rotated", slog.String("user_id", grant.UserID))
	return body, nil
}

// requestTimeout bounds one token request: the store calls, plus, when
// the allowlist asks GitHub at refresh, the upstream calls.
func (h *tokenHandler) requestTimeout() time.Duration {
	if h.Allow.enabled() && h.Allow.Policy.NeedsGitHubOrgs() {
		return storeTimeout + upstreamExchangeTimeout
	}
	return storeTimeout
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
	var (
		reason string
		oerr   *oauthError
	)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, upstream.ErrDenied):
		reason = "the allowlist no longer admits the user"
		oerr = invalidGrant(descriptionSafe("access revoked: " + refusalReasons(err)))
	case errors.Is(err, tokens.ErrGrantGone), errors.Is(err, upstream.ErrRevoked), errors.Is(err, tokens.ErrSealBroken):
		reason = "the upstream token is no longer usable"
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

// lookupRefresh finds the refresh token record under the current or a
// previous server secret, returning the hash it is stored under.
func (h *tokenHandler) lookupRefresh(ctx context.Context, grantID, rt string) (tokens.RefreshToken, string, error) {
	for _, hash := range h.Keys.Hashes(rt) {
		rec, err := h.Tokens.GetRefresh(ctx, grantID, hash)
		if !isNotFound(err) {
			return rec, hash, err
		}
	}
	return tokens.RefreshToken{}, "", tokens.ErrNotFound
}

// replay answers the use of an already rotated refresh token: within the
// grace period, the response its rotation produced (an idempotent retry);
// after it, reuse detection revokes the grant.
func (h *tokenHandler) replay(ctx context.Context, log *slog.Logger, grantID, rt string, rec tokens.RefreshToken) ([]byte, *oauthError) {
	if h.Now().Sub(rec.RotatedAt) <= h.RefreshGrace && len(rec.GraceResponse) > 0 {
		body, err := h.Keys.OpenWithToken(rt, aadGrace+grantID, rec.GraceResponse)
		if err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "grace response cannot be opened")
			return nil, invalidRefresh()
		}
		log.LogAttrs(ctx, slog.LevelInfo, "refresh retried within the grace period; same tokens returned")
		return body, nil
	}
	if err := h.Grants.RevokeGrant(ctx, grantID); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "revoking the grant after refresh token reuse failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}
	log.LogAttrs(ctx, slog.LevelWarn, "refresh token reuse detected; grant revoked")
	return nil, invalidGrant("refresh token reuse detected; the grant is revoked")
}

// mint makes a new access and refresh token pair for grant, each holding
// the grant's data key wrapped under itself.
func (h *tokenHandler) mint(grant tokens.Grant, clientID string, accessScopes, refreshScopes []string, resource string, dk tokens.DataKey, now time.Time) (tokenResponse, tokens.Issue, error) {
	at := tokens.Mint(tokens.KindAccess, grant.ID)
	rt := tokens.Mint(tokens.KindRefresh, grant.ID)
	atKey, err := h.Keys.SealWithToken(at, aadDataKey+grant.ID, dk[:])
	if err != nil {
		return tokenResponse{}, tokens.Issue{}, err
	}
	rtKey, err := h.Keys.SealWithToken(rt, aadDataKey+grant.ID, dk[:])
	if err != nil {
		return tokenResponse{}, tokens.Issue{}, err
	}
	issue := tokens.Issue{
		AccessHash: h.Keys.Hash(at),
		Access: tokens.AccessToken{
			GrantID:    grant.ID,
			ClientID:   clientID,
			UserID:     grant.UserID,
			Scopes:     accessScopes,
			Resource:   resource,
			WrappedKey: atKey,
			ExpiresAt:  now.Add(h.AccessTTL),
		},
		RefreshHash: h.Keys.Hash(rt),
		Refresh: tokens.RefreshToken{
			GrantID:    grant.ID,
			ClientID:   clientID,
			Scopes:     refreshScopes,
			Resource:   resource,
			WrappedKey: rtKey,
			ExpiresAt:  now.Add(h.RefreshTTL),
		},
		GrantExpiresAt: now.Add(h.RefreshTTL),
	}
	resp := tokenResponse{
		AccessToken:  at,
		TokenType:    "Bearer",
		ExpiresIn:    int64(h.AccessTTL / time.Second),
		RefreshToken: rt,
		Scope:        strings.Join(accessScopes, " "),
	}
	return resp, issue, nil
}

// unwrap opens the grant's data key wrapped under token.
func (h *tokenHandler) unwrap(token, grantID string, wrapped []byte) (tokens.DataKey, error) {
	var dk tokens.DataKey
	raw, err := h.Keys.OpenWithToken(token, aadDataKey+grantID, wrapped)
	if err != nil {
		return dk, err
	}
	defer clear(raw)
	if len(raw) != len(dk) {
		return dk, errors.New("wrapped data key has the wrong length")
	}
	copy(dk[:], raw)
	return dk, nil
}

// optionalResource resolves the resource parameter of a token request:
// "" when absent, R when it names us, invalid_target otherwise.
func (h *tokenHandler) optionalResource(form url.Values) (string, *oauthError) {
	if len(form["resource"]) == 0 {
		return "", nil
	}
	return h.Resources.resolve(form["resource"])
}

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

// validVerifier checks the code_verifier syntax (RFC 7636 §4.1): 43 to
// 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !isBase64URLChar(c) && c != '.' && c != '~' {
			return false
		}
	}
	return true
}

// readForm reads a form-encoded POST body (at most maxFormBytes) and
// refuses repeated parameters (RFC 6749 §3.2: parameters must not be
// included more than once), except resource (RFC 8707 §2). Parameters in
// the URL query are ignored.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, invalidRequest("the request body is too large")
		}
		return nil, invalidRequest("the request body is not a valid form")
	}
	for name, values := range r.PostForm {
		if len(values) > 1 && name != paramResource {
			return nil, invalidRequest(name + " must not be repeated")
		}
	}
	return r.PostForm, nil
}

// clientAuthenticator authenticates clients at the token and revocation
// endpoints (RFC 6749 §2.3). A client registered with a secret
// (client_secret_post or client_secret_basic) must present it, by either
// method; a public client ("none") presents only its client_id and must not
// present a secret. Unknown clients and wrong secrets get 401
// invalid_client, which makes clients register again.
type clientAuthenticator struct {
	Clients tokens.ClientStore
	Keys    *tokens.Keyring
	Logger  *slog.Logger
}

// authenticatedRequest begins every request to an endpoint where clients
// authenticate (/token, /revoke): the per-address limit before the body is
// read, the form, client authentication (RFC 6749 §2.3), then the
// per-client limit. When a step refuses, the answer is written and ok is
// false.
func authenticatedRequest(ctx context.Context, w http.ResponseWriter, r *http.Request, limits *limiter, a *clientAuthenticator, endpoint string) (client tokens.Client, form url.Values, ok bool) {
	if !limits.endpointIP(w, r, endpoint) {
		return tokens.Client{}, nil, false
	}
	form, oerr := readForm(w, r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return tokens.Client{}, nil, false
	}
	if client, oerr = a.authenticate(ctx, r, form); oerr != nil {
		writeOAuthError(w, oerr)
		return tokens.Client{}, nil, false
	}
	if !limits.endpointClient(w, r, endpoint, client.ID, form) {
		return tokens.Client{}, nil, false
	}
	return client, form, true
}

// authenticate returns the authenticated client.
func (a *clientAuthenticator) authenticate(ctx context.Context, r *http.Request, form url.Values) (tokens.Client, *oauthError) {
	id, secret, basic, oerr := clientCredentials(r, form)
	if oerr != nil {
		return tokens.Client{}, oerr
	}
	if id == "" {
		return tokens.Client{}, invalidClient("client authentication is required (client_id)", basic)
	}
	client, err := a.Clients.GetClient(ctx, id)
	switch {
	case isNotFound(err):
		a.Logger.LogAttrs(ctx, slog.LevelInfo, "unknown client at the token endpoint", slog.String("client_id", logID(id)))
		return tokens.Client{}, invalidClient("unknown client; register again", basic)
	case err != nil:
		a.Logger.LogAttrs(ctx, slog.LevelError, "client lookup failed", slog.String("client_id", logID(id)), slog.String("error", err.Error()))
		return tokens.Client{}, storeUnavailable()
	}
	switch {
	case client.SecretHash == "" && secret != "":
		a.Logger.LogAttrs(ctx, slog.LevelInfo, "public client presented a secret", slog.String("client_id", client.ID))
		return tokens.Client{}, invalidClient("this client is public and has no secret", basic)
	case client.SecretHash != "" && secret == "":
		a.Logger.LogAttrs(ctx, slog.LevelInfo, "confidential client without its secret", slog.String("client_id", client.ID))
		return tokens.Client{}, invalidClient("client authentication failed", basic)
	case client.SecretHash != "" && !a.secretMatches(client, secret):
		a.Logger.LogAttrs(ctx, slog.LevelInfo, "client presented a wrong secret", slog.String("client_id", client.ID))
		return tokens.Client{}, invalidClient("client authentication failed", basic)
	}
	return client, nil
}

// secretMatches compares the keyed hash of secret with the stored one in
// constant time, under the current and every previous server secret.
func (a *clientAuthenticator) secretMatches(c tokens.Client, secret string) bool {
	ok := false
	for _, h := range a.Keys.Hashes(secret) {
		if tokens.HashEqual(h, c.SecretHash) {
			ok = true
		}
	}
	return ok
}

// clientCredentials extracts client_id and secret from HTTP Basic
// (client_secret_basic: both form-URL-encoded before base64, RFC 6749
// §2.3.1) or from the body (client_secret_post, or client_id alone). Using
// both methods at once is an error (RFC 6749 §2.3).
func clientCredentials(r *http.Request, form url.Values) (id, secret string, basic bool, oerr *oauthError) {
	if authz := r.Header.Get("Authorization"); len(authz) >= 6 && strings.EqualFold(authz[:6], "basic ") {
		rawID, rawSecret, ok := r.BasicAuth()
		if !ok {
			return "", "", true, invalidClient("malformed HTTP Basic credentials", true)
		}
		var err1, err2 error
		id, err1 = url.QueryUnescape(rawID)
		secret, err2 = url.QueryUnescape(rawSecret)
		if err1 != nil || err2 != nil {
			return "", "", true, invalidClient("malformed HTTP Basic credentials", true)
		}
		if form.Get("client_secret") != "" {
			return "", "", true, invalidRequest("use one client authentication method, not HTTP Basic and client_secret together")
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return "", "", true, invalidRequest("client_id does not match the HTTP Basic credentials")
		}
		return id, secret, true, nil
	}
	return form.Get("client_id"), form.Get("client_secret"), false, nil
}
