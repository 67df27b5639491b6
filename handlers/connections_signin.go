package handlers

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// finishConnectionsSignIn completes a sign-in to the connected-apps page
// (a pending sign-in whose Purpose is purposeConnections), from the
// upstream callback after its state and browser checks: it exchanges the
// code, identifies the person, applies the allowlist, and starts the
// session. No grant is created, no code minted, and the upstream token is
// dropped. Every failure is a page that leads back to /connections: there
// is no client to redirect to.
func (h *callbackHandler) finishConnectionsSignIn(ctx context.Context, w http.ResponseWriter, r *http.Request, p upstream.Provider, pending tokens.Pending) {
	log := h.Logger.With(slog.String("provider", p.Name()), slog.String("purpose", purposeConnections))
	again := func(e pageError) pageError {
		e.Link, e.LinkText = pathConnections, "Try again"
		return e
	}
	q := r.URL.Query()
	if upErr := q.Get("error"); upErr != "" {
		log.LogAttrs(ctx, slog.LevelInfo, "identity provider returned an error", slog.String("upstream_error", safeErrorCode(upErr)))
		h.Pages.errorPage(w, again(pageError{
			Status:  http.StatusBadRequest,
			Title:   "Sign-in not completed",
			Message: "The sign-in at " + p.DisplayName() + " was cancelled or did not succeed.",
		}))
		return
	}
	failed := again(pageError{
		Status:  http.StatusBadGateway,
		Title:   "Sign-in failed",
		Message: "Signing in with " + p.DisplayName() + " failed.",
		Hint:    "Try again in a minute.",
	})
	code := q.Get("code")
	if code == "" {
		log.LogAttrs(ctx, slog.LevelWarn, "identity provider returned neither code nor error")
		h.Pages.errorPage(w, failed)
		return
	}
	exchangeCtx, cancel := context.WithTimeout(r.Context(), upstreamExchangeTimeout)
	defer cancel()
	id, tok, claims, err := upstreamExchange(exchangeCtx, p, code, pending)
	switch {
	case errors.Is(err, upstream.ErrDenied):
		log.LogAttrs(ctx, slog.LevelInfo, "sign-in denied by the provider", slog.String("error", err.Error()))
		h.Pages.errorPage(w, again(pageError{
			Status:  http.StatusForbidden,
			Title:   "Access refused",
			Message: p.DisplayName() + " did not allow this account to sign in here.",
		}))
		return
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "upstream code exchange failed", slog.String("error", err.Error()))
		h.Pages.errorPage(w, failed)
		return
	case id.Subject == "":
		log.LogAttrs(ctx, slog.LevelError, "upstream exchange returned no subject")
		h.Pages.errorPage(w, failed)
		return
	}
	uid := userID(p, id)
	log = log.With(slog.String("user_id", uid))
	if h.Allow.enabled() {
		err := h.Allow.atLogin(exchangeCtx, p, id, claims, tok)
		switch {
		case errors.Is(err, upstream.ErrDenied):
			log.LogAttrs(ctx, slog.LevelWarn, "sign-in refused by the allowlist")
			h.Pages.errorPage(w, pageError{
				Status:   http.StatusForbidden,
				Title:    "Access refused",
				Message:  "You signed in with " + p.DisplayName() + ", but this server does not admit your account: " + refusalReasons(err) + ".",
				Hint:     "If you think you should have access, ask the administrator of this server, or sign in with another account.",
				Link:     pathConnections,
				LinkText: "Sign in with another account",
			})
			return
		case err != nil:
			log.LogAttrs(ctx, slog.LevelError, "the allowlist could not be checked", slog.String("error", err.Error()))
			h.Pages.errorPage(w, again(pageError{
				Status:  http.StatusServiceUnavailable,
				Title:   "Temporarily unavailable",
				Message: "Your access could not be checked right now.",
				Hint:    "Try again in a minute.",
			}))
			return
		}
	}
	display := cmp.Or(id.Login, id.Email, id.Name, id.Subject)
	if err := h.Sessions.start(w, session{UserID: uid, Provider: p.Name(), Display: display}); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "setting the session cookie failed", slog.String("error", err.Error()))
		h.Pages.errorPage(w, again(pageError{
			Status:  http.StatusInternalServerError,
			Title:   "Something went wrong",
			Message: "The sign-in could not be completed.",
		}))
		return
	}
	log.LogAttrs(ctx, slog.LevelInfo, "signed in to the connected-apps page")
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, h.Issuer+pathConnections, http.StatusFound)
}
