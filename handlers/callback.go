package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
)

// callbackHandler is the redirect endpoint of the upstream leg, where the
// identity provider sends the browser back:
//
//	GET /oauth/callback/{provider}?code&state  (or ?error&state)
//
// It takes the pending authorization by the keyed hash of state (single
// use: a second callback with the same state finds nothing), checks that
// this browser started it (the state cookie), exchanges the code with the
// provider, creates the grant with the upstream token sealed under a fresh
// data key, mints our authorization code and sends the browser back to the
// client with code, state and iss (OAuth 2.1 §4.1.2, RFC 9207).
type callbackHandler struct {
	Events    *observe.Observer // audit and metrics at outcome points; nil records nothing
	Issuer    string
	Pending   tokens.PendingStore
	Grants    tokens.GrantStore
	Codes     tokens.CodeStore
	Keys      *tokens.Keyring
	Providers []upstream.Provider
	Cookies   *cookieJar
	Pages     *pages
	CodeTTL   time.Duration
	// PendingTTL is the lifetime of the state cookie (and of the pending
	// authorization it binds).
	PendingTTL time.Duration
	// Allow decides who may sign in; nil admits everyone.
	Allow *allowlist
	// Sessions starts the connected-apps session of a sign-in whose
	// Purpose is "connections" (connections.go).
	Sessions sessions
	Logger   *slog.Logger
	Now      func() time.Time
}

// Mount registers /oauth/callback/{provider}.
func (h *callbackHandler) Mount(mux *http.ServeMux) {
	mux.Handle(pathCallbackPrefix+"{provider}", wire.AllowMethods(http.HandlerFunc(h.callback), http.MethodGet))
}

// pageSignInExpired is shown for a missing, unknown, used or expired state.
func pageSignInExpired() pageError {
	return pageError{
		Status:  http.StatusBadRequest,
		Title:   "Sign-in link expired",
		Message: "This sign-in link has expired or was already used.",
		Hint:    "Start again from your app.",
	}
}

// pageOtherBrowser is shown when the state cookie does not match.
func pageOtherBrowser() pageError {
	return pageError{
		Status:  http.StatusBadRequest,
		Title:   "Sign-in started elsewhere",
		Message: "This sign-in was not started in this browser, or the browser did not keep its cookie.",
		Hint:    "Start again from your app, in the browser it opens, with cookies allowed for this site.",
	}
}

// pageUnavailable is shown when the store fails.
func pageUnavailable() pageError {
	return pageError{
		Status:  http.StatusServiceUnavailable,
		Title:   "Temporarily unavailable",
		Message: "The sign-in cannot be completed right now.",
		Hint:    "Try again in a minute, starting from your app.",
	}
}

func (h *callbackHandler) callback(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	provider, pending, log, ok := h.takeCallback(ctx, w, r)
	if !ok {
		return
	}
	switch pending.Purpose {
	case "":
	case purposeConnections:
		h.finishConnectionsSignIn(ctx, w, r, provider, pending)
		return
	default:
		log.LogAttrs(ctx, slog.LevelWarn, "callback refused: unknown sign-in purpose")
		h.Pages.errorPage(w, pageSignInExpired())
		return
	}

	h.finishAuthorization(ctx, w, r, log, provider, pending)
}

// takeCallback checks a callback and takes its pending sign-in: a known
// provider, one state, which names a pending sign-in (taken atomically,
// once) started in this browser (the state cookie's binding) with this
// provider. On a failure it has answered with a page and reports false.
func (h *callbackHandler) takeCallback(ctx context.Context, w http.ResponseWriter, r *http.Request) (upstream.Provider, tokens.Pending, *slog.Logger, bool) {
	provider := h.provider(r.PathValue("provider"))
	if provider == nil {
		h.Pages.errorPage(w, pageError{Status: http.StatusNotFound, Title: "Unknown sign-in provider",
			Message: "This server has no sign-in provider by that name.", Hint: "Start again from your app."})
		return nil, tokens.Pending{}, nil, false
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" || len(q["state"]) != 1 {
		h.Pages.errorPage(w, pageSignInExpired())
		return nil, tokens.Pending{}, nil, false
	}
	pending, err := h.takePending(ctx, state)
	switch {
	case isNotFound(err):
		h.Logger.LogAttrs(ctx, slog.LevelInfo, "callback with an unknown, used or expired state", slog.String("provider", provider.Name()))
		h.Pages.errorPage(w, pageSignInExpired())
		return nil, tokens.Pending{}, nil, false
	case err != nil:
		h.Logger.LogAttrs(ctx, slog.LevelError, "taking the pending authorization failed", slog.String("error", err.Error()))
		h.Pages.errorPage(w, pageUnavailable())
		return nil, tokens.Pending{}, nil, false
	}
	log := h.Logger.With(slog.String("provider", provider.Name()))
	if pending.ClientID != "" {
		log = log.With(slog.String("client_id", pending.ClientID))
	}
	if !h.sameBrowser(r, pending) {
		log.LogAttrs(ctx, slog.LevelWarn, "callback refused: state cookie missing or not the one that started the sign-in")
		h.Pages.errorPage(w, pageOtherBrowser())
		return nil, tokens.Pending{}, nil, false
	}
	h.Cookies.clear(w, cookieState)
	if pending.Provider != provider.Name() {
		log.LogAttrs(ctx, slog.LevelWarn, "callback refused: state belongs to another provider", slog.String("pending_provider", pending.Provider))
		h.Pages.errorPage(w, pageSignInExpired())
		return nil, tokens.Pending{}, nil, false
	}
	return provider, pending, log, true
}

// finishAuthorization completes an MCP client's authorization from the
// upstream callback: it exchanges the code, identifies the person, applies
// the allowlist, creates the grant and sends the browser back to the
// client with our code. From here on the redirect URI is the validated one
// of the pending request, and every failure goes back to the client.
func (h *callbackHandler) finishAuthorization(ctx context.Context, w http.ResponseWriter, r *http.Request, log *slog.Logger, provider upstream.Provider, pending tokens.Pending) {
	q := r.URL.Query()
	fail := func(e *oauthError) {
		redirectError(w, r, h.Issuer, pending.RedirectURI, pending.ClientState, e)
	}
	if upErr := q.Get("error"); upErr != "" {
		h.Events.Record(ctx, observe.Event{Kind: observe.SignIn, ClientID: pending.ClientID, Provider: provider.Name(), Result: "denied", Reason: "identity provider returned an error"})
		log.LogAttrs(ctx, slog.LevelInfo, "identity provider returned an error", slog.String("upstream_error", safeErrorCode(upErr)))
		fail(upstreamError(upErr, provider.DisplayName()))
		return
	}
	code := q.Get("code")
	if code == "" {
		log.LogAttrs(ctx, slog.LevelWarn, "identity provider returned neither code nor error")
		fail(&oauthError{Code: wire.ServerError, Description: "the identity provider returned no authorization code"})
		return
	}

	exchangeCtx, cancelExchange := context.WithTimeout(r.Context(), upstreamExchangeTimeout)
	defer cancelExchange()
	identity, upTok, claims, err := upstreamExchange(exchangeCtx, provider, code, pending)
	switch {
	case errors.Is(err, upstream.ErrDenied):
		h.Events.Record(ctx, observe.Event{Kind: observe.SignIn, ClientID: pending.ClientID, Provider: provider.Name(), Result: "denied", Reason: "denied by the provider"})
		log.LogAttrs(ctx, slog.LevelInfo, "sign-in denied by the provider or the allowlist", slog.String("error", err.Error()))
		fail(badRequest(wire.AccessDenied, "this account may not use this server"))
		return
	case err != nil:
		h.Events.Record(ctx, observe.Event{Kind: observe.SignIn, ClientID: pending.ClientID, Provider: provider.Name(), Result: "error", Reason: "upstream code exchange failed"})
		log.LogAttrs(ctx, slog.LevelError, "upstream code exchange failed", slog.String("error", err.Error()))
		fail(&oauthError{Code: wire.ServerError, Description: "signing in with " + provider.DisplayName() + " failed"})
		return
	case identity.Subject == "":
		log.LogAttrs(ctx, slog.LevelError, "upstream exchange returned no subject")
		fail(&oauthError{Code: wire.ServerError, Description: "signing in with " + provider.DisplayName() + " failed"})
		return
	}

	group, ok := h.admit(exchangeCtx, w, r, log, pending, provider, identity, claims, upTok)
	if !ok {
		return
	}
	cancelExchange()

	code, grantID, oerr := h.issueCode(ctx, pending, provider, identity, claims, upTok, group)
	if oerr != nil {
		fail(oerr)
		return
	}
	h.Events.Record(ctx, observe.Event{Kind: observe.SignIn, ClientID: pending.ClientID, GrantID: grantID, UserID: userID(provider, identity), Provider: provider.Name(), Result: "ok"})
	log.LogAttrs(ctx, slog.LevelInfo, "authorization granted",
		slog.String("grant_id", grantID), slog.String("user_id", userID(provider, identity)))
	redirectToClient(w, r, h.Issuer, pending.RedirectURI, pending.ClientState, url.Values{"code": {code}})
}

// admit applies the allowlist to a completed sign-in and decides the
// person's tool group (the first of tools.groups whose rules admit them,
// "" for the deployment's default tools). A refused person gets a page
// (403) that says why, with a link that takes them back to the
// application with access_denied; nothing is redirected by itself, so
// the reason stays on screen. When the rules cannot be evaluated (GitHub
// unreachable), the client gets temporarily_unavailable. It reports
// whether the sign-in may go on.
func (h *callbackHandler) admit(ctx context.Context, w http.ResponseWriter, r *http.Request, log *slog.Logger,
	pending tokens.Pending, p upstream.Provider, id upstream.Identity, claims allow.Claims, tok upstream.Token) (string, bool) {
	if !h.Allow.enabled() {
		return "", true
	}
	err := h.Allow.atLogin(ctx, p, id, claims, tok)
	var group string
	if err == nil {
		group, err = h.Allow.groupAtLogin(ctx, p, id, claims, tok)
	}
	switch {
	case err == nil:
		if group != "" {
			log.LogAttrs(ctx, slog.LevelInfo, "sign-in placed in a tool group", slog.String("user_id", userID(p, id)), slog.String("tool_group", group))
		}
		return group, true
	case errors.Is(err, upstream.ErrDenied):
		reasons := refusalReasons(err)
		h.Events.Record(ctx, observe.Event{Kind: observe.SignIn, ClientID: pending.ClientID, UserID: userID(p, id), Provider: p.Name(), Result: "denied", Reason: "refused by the allowlist"})
		log.LogAttrs(ctx, slog.LevelWarn, "sign-in refused by the allowlist", slog.String("user_id", userID(p, id)))
		denied := badRequest(wire.AccessDenied, descriptionSafe("access refused: "+reasons))
		h.Pages.errorPage(w, pageError{
			Status:   http.StatusForbidden,
			Title:    "Access refused",
			Message:  "You signed in with " + p.DisplayName() + ", but this server does not admit your account: " + reasons + ".",
			Hint:     "If you think you should have access, ask the administrator of this server, or start again from your application and sign in with another account.",
			Link:     clientRedirectURL(h.Issuer, pending.RedirectURI, pending.ClientState, denied),
			LinkText: "Return to the application",
		})
		return "", false
	default:
		log.LogAttrs(ctx, slog.LevelError, "the allowlist could not be checked", slog.String("user_id", userID(p, id)),
			slog.String("error", err.Error()))
		redirectError(w, r, h.Issuer, pending.RedirectURI, pending.ClientState, &oauthError{
			Code: wire.TemporarilyUnavailable, Description: "your access could not be checked right now; try again in a minute",
		})
		return "", false
	}
}

// clientRedirectURL is the URL redirectError would send the browser to:
// the validated redirect URI with error, error_description, state and iss.
func clientRedirectURL(issuer, redirectURI, state string, e *oauthError) string {
	params := url.Values{"error": {e.Code}, "iss": {issuer}}
	if e.Description != "" {
		params.Set("error_description", e.Description)
	}
	if state != "" {
		params.Set("state", state)
	}
	return appendQuery(redirectURI, params)
}

// takePending takes the pending authorization of state, under the current
// or a previous server secret.
func (h *callbackHandler) takePending(ctx context.Context, state string) (tokens.Pending, error) {
	for _, hash := range h.Keys.Hashes(state) {
		p, err := h.Pending.TakePending(ctx, hash)
		if !isNotFound(err) {
			return p, err
		}
	}
	return tokens.Pending{}, tokens.ErrNotFound
}

// sameBrowser reports whether the request carries the state cookie of the
// browser that approved the pending authorization.
func (h *callbackHandler) sameBrowser(r *http.Request, p tokens.Pending) bool {
	var c stateCookie
	if err := h.Cookies.get(r, cookieState, &c, h.PendingTTL); err != nil || c.B == "" || p.Browser == "" {
		return false
	}
	ok := false
	for _, hash := range h.Keys.Hashes(c.B) {
		if tokens.HashEqual(hash, p.Browser) {
			ok = true
		}
	}
	return ok
}

// issueCode creates the grant and its authorization code. The upstream
// token is sealed under a fresh data key; the data key is stored only
// wrapped under the code (and later under each token minted from it), so
// the store alone can open nothing. group is the tool group admit decided.
func (h *callbackHandler) issueCode(ctx context.Context, p tokens.Pending, provider upstream.Provider, id upstream.Identity, claims allow.Claims, upTok upstream.Token, group string) (code, grantID string, oerr *oauthError) {
	log := h.Logger.With(slog.String("client_id", p.ClientID), slog.String("provider", provider.Name()))
	now := h.Now()
	grantID = tokens.NewID()
	dk := tokens.NewDataKey()
	plain, err := json.Marshal(upTok)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "encoding the upstream token failed", slog.String("error", err.Error()))
		return "", "", &oauthError{Code: wire.ServerError, Description: "the sign-in could not be completed"}
	}
	sealed, err := tokens.SealUpstream(dk, grantID, plain)
	clear(plain)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "sealing the upstream token failed", slog.String("error", err.Error()))
		return "", "", &oauthError{Code: wire.ServerError, Description: "the sign-in could not be completed"}
	}
	grant := tokens.Grant{
		ID:            grantID,
		ClientID:      p.ClientID,
		UserID:        userID(provider, id),
		Provider:      provider.Name(),
		Subject:       id.Subject,
		Login:         id.Login,
		Email:         id.Email,
		EmailVerified: id.EmailVerified,
		HostedDomain:  claims.HostedDomain,
		ToolGroup:     group,
		Name:          id.Name,
		Scopes:        p.Scopes,
		Resource:      p.Resource,
		Upstream:      sealed,
		CreatedAt:     now,
		ExpiresAt:     now.Add(h.CodeTTL), // IssueTokens extends it at the code exchange
	}
	if err := h.Grants.CreateGrant(ctx, grant); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "creating the grant failed", slog.String("grant_id", grantID), slog.String("error", err.Error()))
		return "", "", storeUnavailable()
	}
	defer func() {
		if oerr == nil {
			retireNarrowerGrants(ctx, h.Grants, log, grant) // stepup.go
		}
	}()
	code = tokens.Mint(tokens.KindCode, grantID)
	wrapped, err := h.Keys.WrapGrantKey(code, grantID, dk)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "wrapping the data key failed", slog.String("grant_id", grantID), slog.String("error", err.Error()))
		return "", "", &oauthError{Code: wire.ServerError, Description: "the sign-in could not be completed"}
	}
	err = h.Codes.PutCode(ctx, h.Keys.Hash(code), tokens.AuthCode{
		GrantID:         grantID,
		ClientID:        p.ClientID,
		RedirectURI:     p.RedirectURI,
		RedirectURISent: p.RedirectURISent,
		CodeChallenge:   p.CodeChallenge,
		Resource:        p.Resource,
		Scopes:          p.Scopes,
		WrappedKey:      wrapped,
		ExpiresAt:       now.Add(h.CodeTTL),
	})
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "storing the authorization code failed", slog.String("grant_id", grantID), slog.String("error", err.Error()))
		return "", "", storeUnavailable()
	}
	return code, grantID, nil
}

func (h *callbackHandler) provider(name string) upstream.Provider {
	return findProvider(h.Providers, name)
}

// upstreamError maps an error of the identity provider's authorization
// response (RFC 6749 §4.1.2.1) to the error the client gets: the person's
// refusal stays access_denied, a provider outage becomes
// temporarily_unavailable, anything else server_error. The provider's
// description is not passed on.
func upstreamError(code, displayName string) *oauthError {
	switch code {
	case wire.AccessDenied:
		return badRequest(wire.AccessDenied, "the sign-in at "+displayName+" was cancelled or refused")
	case wire.TemporarilyUnavailable:
		return &oauthError{Code: wire.TemporarilyUnavailable, Description: displayName + " is temporarily unavailable"}
	}
	return &oauthError{Code: wire.ServerError, Description: "signing in with " + displayName + " failed"}
}
