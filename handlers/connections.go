package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// The connected-apps page: a person signs in through an upstream provider,
// sees every client that holds a grant of their account and revokes any of
// them.
//
//	GET  /connections         signed out: the sign-in page; signed in: the list
//	POST /connections/login   csrf_token, provider → 302 to the provider
//	POST /connections/revoke  csrf_token, grant_id → 303 back to the list
//	POST /connections/logout  csrf_token → 303 back to the sign-in page
//
// Signing in runs the same upstream leg as an authorization (upstreamLeg:
// random single-use state bound to the browser, PKCE, nonce), with a
// Pending whose Purpose is "connections". The callback identifies the
// person and applies the allowlist as for any sign-in, then starts a
// 30-minute session in a securecookie (session.go) instead of creating a
// grant: no code is minted and the upstream token is dropped.
//
// The list is ListGrants for the session's user. A revocation must name a
// grant of that user; any other grant ID is "not found", so the page never
// reveals whether a grant of someone else exists. Revoking removes the
// grant with all its tokens (RevokeGrant): the client's next request is
// refused. Every form is CSRF-protected by csrfGuard, with the form value
// bound to the sign-in form or to the signed-in user; every page carries
// the HTML security headers and cannot be framed.

// Paths of the connected-apps page.
const (
	pathConnections       = "/connections"
	pathConnectionsLogin  = "/connections/login"
	pathConnectionsRevoke = "/connections/revoke"
	pathConnectionsLogout = "/connections/logout"
)

// purposeConnections is the tokens.Pending.Purpose of a sign-in to the
// connected-apps page.
const purposeConnections = "connections"

// formGrantID names the grant to revoke.
const formGrantID = "grant_id"

// tmplConnections is the connected-apps page (sign-in and list).
const tmplConnections = "connections"

// cookieFlash carries the one-time message shown after a revocation, and
// flashTTL bounds how long it may wait for the page that shows it.
const (
	cookieFlash = "mcpgate_flash"
	flashTTL    = time.Minute
)

// deletedClientName stands for a client whose registration was deleted
// while grants of it remain.
const deletedClientName = "Deleted application"

// CSRF scopes of the connected-apps forms (csrfGuard binds each form value
// to one). Neither can be a client ID: registered IDs are random base32
// and metadata document IDs are https URLs.
const (
	csrfScopeConnectionsLogin = "/connections/login"
	csrfScopeConnectionsUser  = "/connections/user "
)

// addConnectionsPage parses the connected-apps template into pg, next to
// the consent and error pages newPages parses.
func addConnectionsPage(pg *pages) error {
	t, err := template.ParseFS(templateFS, "templates/base.html", "templates/"+tmplConnections+".html")
	if err != nil {
		return fmt.Errorf("handlers: parsing template %s: %w", tmplConnections, err)
	}
	pg.templates[tmplConnections] = t
	return nil
}

// connectionsHandler serves the connected-apps page.
type connectionsHandler struct {
	Events *observe.Observer // audit and metrics at outcome points; nil records nothing
	Issuer string
	// Grants lists and revokes the person's grants.
	Grants tokens.GrantStore
	// Clients names the clients: the clientResolver, so that clients
	// identified by a metadata document (which are not stored) are named
	// from their document.
	Clients tokens.ClientStore
	// Providers are the sign-in options, in the order the page shows them.
	Providers []upstream.Provider
	// Upstream starts the sign-in at a provider.
	Upstream upstreamLeg
	Sessions sessions
	CSRF     csrfGuard
	// Cookies holds the flash message.
	Cookies *cookieJar
	Pages   *pages
	// UpstreamOrigins are the CSP form-action targets of the sign-in form
	// (it ends at a provider's authorization endpoint).
	UpstreamOrigins []string
	// ScopeDescriptions optionally replaces a scope's text, as on the
	// consent page.
	ScopeDescriptions map[string]string
	// Limits bounds sign-ins like authorizations (each stores a pending
	// sign-in); nil admits all.
	Limits *limiter
	Logger *slog.Logger
}

// Mount registers the connected-apps routes.
func (h *connectionsHandler) Mount(mux *http.ServeMux) {
	mux.Handle(pathConnections, wire.AllowMethods(http.HandlerFunc(h.show), http.MethodGet))
	mux.Handle(pathConnectionsLogin, wire.AllowMethods(http.HandlerFunc(h.login), http.MethodPost))
	mux.Handle(pathConnectionsRevoke, wire.AllowMethods(http.HandlerFunc(h.revoke), http.MethodPost))
	mux.Handle(pathConnectionsLogout, wire.AllowMethods(http.HandlerFunc(h.logout), http.MethodPost))
}

// show is GET /connections.
func (h *connectionsHandler) show(w http.ResponseWriter, r *http.Request) {
	sess, present, err := h.Sessions.get(r)
	if err != nil {
		if present {
			h.Sessions.end(w)
		}
		h.showSignIn(w, r, present)
		return
	}
	h.showList(w, r, sess)
}

func (h *connectionsHandler) showSignIn(w http.ResponseWriter, r *http.Request, ended bool) {
	csrf, err := h.CSRF.token(w, r, csrfScopeConnectionsLogin)
	if err != nil {
		h.internalError(w, r, "connected apps: CSRF cookie", err)
		return
	}
	view := connectionsView{
		pageBase: pageBase{Service: h.Pages.service, Title: "Connected applications"},
		CSRF:     csrf,
		Ended:    ended,
	}
	for _, p := range h.Providers {
		view.Providers = append(view.Providers, providerView{Name: p.Name(), DisplayName: p.DisplayName()})
	}
	h.Pages.render(w, http.StatusOK, tmplConnections, view, h.UpstreamOrigins)
}

// login is POST /connections/login: it starts the sign-in at the chosen
// provider.
func (h *connectionsHandler) login(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	form, ok := h.readForm(w, r)
	if !ok {
		return
	}
	if !h.Limits.authorize(w, r, pathConnections) {
		return
	}
	if !h.CSRF.check(r, csrfScopeConnectionsLogin, form.Get(formCSRF)) {
		h.Logger.LogAttrs(ctx, slog.LevelWarn, "connected-apps sign-in refused: CSRF check failed")
		h.Pages.errorPage(w, connectionsFormExpired())
		return
	}
	p := h.provider(form.Get(formProvider))
	if p == nil {
		h.Pages.errorPage(w, pageError{
			Status:   http.StatusBadRequest,
			Title:    "Unknown sign-in option",
			Message:  "The sign-in form named a sign-in option this server does not offer.",
			Link:     pathConnections,
			LinkText: "Start again",
		})
		return
	}
	err := h.Upstream.begin(ctx, w, r, p, tokens.Pending{Purpose: purposeConnections})
	switch {
	case errors.Is(err, errPendingNotStored):
		h.Logger.LogAttrs(ctx, slog.LevelError, "storing the pending connected-apps sign-in failed",
			slog.String("provider", p.Name()), slog.String("error", err.Error()))
		h.Pages.errorPage(w, connectionsUnavailable())
		return
	case err != nil:
		h.internalError(w, r, "connected-apps sign-in: state cookie", err)
		return
	}
	h.Logger.LogAttrs(ctx, slog.LevelInfo, "connected-apps sign-in started", slog.String("provider", p.Name()))
}

// revoke is POST /connections/revoke: it revokes one grant of the signed-in
// person.
func (h *connectionsHandler) revoke(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	form, ok := h.readForm(w, r)
	if !ok {
		return
	}
	sess, ok := h.requireSession(w, r, form)
	if !ok {
		return
	}
	log := h.Logger.With(slog.String("user_id", sess.UserID))
	grantID := form.Get(formGrantID)
	if !tokens.ValidID(grantID) {
		log.LogAttrs(ctx, slog.LevelInfo, "revocation of a malformed grant ID refused")
		h.Pages.errorPage(w, connectionNotFound())
		return
	}
	log = log.With(slog.String("grant_id", grantID))
	g, err := h.Grants.GetGrant(ctx, grantID)
	switch {
	case isNotFound(err):
		log.LogAttrs(ctx, slog.LevelInfo, "revocation of an unknown or expired grant")
		h.Pages.errorPage(w, connectionNotFound())
		return
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "reading the grant to revoke failed", slog.String("error", err.Error()))
		h.Pages.errorPage(w, connectionsUnavailable())
		return
	case g.UserID != sess.UserID:
		log.LogAttrs(ctx, slog.LevelWarn, "revocation of another user's grant refused", slog.String("client_id", g.ClientID))
		h.Pages.errorPage(w, connectionNotFound())
		return
	}
	log = log.With(slog.String("client_id", g.ClientID))
	flash := "Revoked access."
	if app, err := h.describeClient(ctx, g.ClientID); err == nil {
		if app.Deleted {
			flash = "Revoked the access of a deleted application."
		} else {
			flash = "Revoked access for " + app.Name + "."
		}
	}
	if err := h.Grants.RevokeGrant(ctx, grantID); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "revoking the grant failed", slog.String("error", err.Error()))
		h.Pages.errorPage(w, connectionsUnavailable())
		return
	}
	h.Events.Record(ctx, observe.Event{Kind: observe.GrantRevoked, By: observe.RevokedByPerson, GrantID: grantID, UserID: sess.UserID, ClientID: g.ClientID})
	log.LogAttrs(ctx, slog.LevelInfo, "grant revoked by user")
	// The consent cookie would let the client back in without the approval
	// page (with one provider, a remembered approval skips it). Its entries
	// are digests of client, redirect URI and scopes, so this browser
	// forgets every approval: the next authorization of any client asks.
	h.Cookies.clear(w, cookieConsent)
	if err := h.Cookies.set(w, cookieFlash, flashCookie{M: flash}, flashTTL); err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "setting the flash message failed", slog.String("error", err.Error()))
	}
	h.seeList(w, r)
}

// logout is POST /connections/logout.
func (h *connectionsHandler) logout(w http.ResponseWriter, r *http.Request) {
	form, ok := h.readForm(w, r)
	if !ok {
		return
	}
	sess, present, err := h.Sessions.get(r)
	if err != nil {
		// Signed out already: nothing to protect.
		if present {
			h.Sessions.end(w)
		}
		h.seeList(w, r)
		return
	}
	if !h.CSRF.check(r, csrfScopeConnectionsUser+sess.UserID, form.Get(formCSRF)) {
		h.Logger.LogAttrs(r.Context(), slog.LevelWarn, "connected-apps sign-out refused: CSRF check failed", slog.String("user_id", sess.UserID))
		h.Pages.errorPage(w, connectionsFormExpired())
		return
	}
	h.Sessions.end(w)
	h.Logger.LogAttrs(r.Context(), slog.LevelInfo, "signed out of the connected-apps page", slog.String("user_id", sess.UserID))
	h.seeList(w, r)
}

// requireSession returns the live session of a form POST whose CSRF value
// is bound to that session's user; otherwise it answers with a page.
func (h *connectionsHandler) requireSession(w http.ResponseWriter, r *http.Request, form url.Values) (session, bool) {
	sess, present, err := h.Sessions.get(r)
	if err != nil {
		if present {
			h.Sessions.end(w)
		}
		h.Pages.errorPage(w, pageError{
			Status:   http.StatusUnauthorized,
			Title:    "You are signed out",
			Message:  "Your session on this page has ended, so nothing was changed.",
			Hint:     "Sign in again and repeat what you were doing.",
			Link:     pathConnections,
			LinkText: "Sign in again",
		})
		return session{}, false
	}
	if !h.CSRF.check(r, csrfScopeConnectionsUser+sess.UserID, form.Get(formCSRF)) {
		h.Logger.LogAttrs(r.Context(), slog.LevelWarn, "connected-apps form refused: CSRF check failed", slog.String("user_id", sess.UserID))
		h.Pages.errorPage(w, connectionsFormExpired())
		return session{}, false
	}
	return sess, true
}

// readForm reads a POSTed form (size-limited, body only); a form that
// cannot be read gets a page.
func (h *connectionsHandler) readForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.Pages.errorPage(w, pageError{
			Status:   http.StatusBadRequest,
			Title:    "Invalid form",
			Message:  "The form could not be read.",
			Link:     pathConnections,
			LinkText: "Back to connected applications",
		})
		return nil, false
	}
	return r.PostForm, true
}

// seeList sends the browser back to the page after a POST (303, so a
// reload does not repeat the POST).
func (h *connectionsHandler) seeList(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, h.Issuer+pathConnections, http.StatusSeeOther)
}

// flashCookie is the value of the flash cookie.
type flashCookie struct {
	M string `json:"m"`
}

// takeFlash returns the pending flash message, once.
func (h *connectionsHandler) takeFlash(w http.ResponseWriter, r *http.Request) string {
	var c flashCookie
	err := h.Cookies.get(r, cookieFlash, &c, flashTTL)
	if errors.Is(err, errNoCookie) {
		return ""
	}
	h.Cookies.clear(w, cookieFlash)
	if err != nil {
		return ""
	}
	return c.M
}

func (h *connectionsHandler) provider(name string) upstream.Provider {
	return findProvider(h.Providers, name)
}

// providerDisplay is the display name of the provider called name, or the
// name itself for a provider no longer configured.
func (h *connectionsHandler) providerDisplay(name string) string {
	if p := h.provider(name); p != nil {
		return p.DisplayName()
	}
	return name
}

func (h *connectionsHandler) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.Logger.LogAttrs(r.Context(), slog.LevelError, what, slog.String("error", err.Error()))
	h.Pages.errorPage(w, pageError{
		Status:   http.StatusInternalServerError,
		Title:    "Something went wrong",
		Message:  "The page could not be prepared.",
		Hint:     "Try again.",
		Link:     pathConnections,
		LinkText: "Back to connected applications",
	})
}

func connectionsUnavailable() pageError {
	return pageError{
		Status:   http.StatusServiceUnavailable,
		Title:    "Temporarily unavailable",
		Message:  "Your connected applications cannot be shown or changed right now.",
		Hint:     "Try again in a minute.",
		Link:     pathConnections,
		LinkText: "Back to connected applications",
	}
}

func connectionsFormExpired() pageError {
	return pageError{
		Status:   http.StatusForbidden,
		Title:    "This form has expired",
		Message:  "The request could not be verified, so nothing was changed. This happens when the page was open for a long time, when cookies are blocked, or when the request did not come from this page.",
		Link:     pathConnections,
		LinkText: "Back to connected applications",
	}
}

func connectionNotFound() pageError {
	return pageError{
		Status:   http.StatusNotFound,
		Title:    "Connection not found",
		Message:  "This connection does not exist. It may have expired or been revoked already.",
		Link:     pathConnections,
		LinkText: "Back to connected applications",
	}
}
