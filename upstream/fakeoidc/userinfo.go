package fakeoidc

import (
	"net/http"
	"strings"
)

// handleUserInfo is the UserInfo endpoint (OpenID Connect Core 1.0 §5.3):
// GET or POST with "Authorization: Bearer T". It answers the claims the
// token's scopes release; a missing, unknown, expired or revoked token
// gets 401 with an RFC 6750 §3 challenge.
func (f *Fake) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts.UserInfoCalls++
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	at := f.access[token]
	if !strings.EqualFold(scheme, "Bearer") || token == "" || at == nil || !f.now().Before(at.expires) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token is invalid or expired."`)
		writeJSON(w, http.StatusUnauthorized, errorResponse{Error: "invalid_token", ErrorDescription: "The access token is invalid or expired."})
		return
	}
	u := f.user(at.subject)
	if u == nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, errorResponse{Error: "invalid_token", ErrorDescription: "The user no longer exists."})
		return
	}
	claims := map[string]any{"sub": u.Subject}
	f.addUserClaims(claims, u, at.scopes, true)
	if f.uiMut != nil {
		f.uiMut(claims)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, claims)
}
