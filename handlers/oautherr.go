package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// oauthError is an OAuth error as a value. Endpoint code returns it; exactly
// one writer (writeOAuthError, for JSON endpoints) or redirectError (for the
// authorization endpoint, and only towards a validated redirect URI) turns
// it into a response. Description is shown to clients: it never carries a
// token, a code, a secret or an internal error message.
type oauthError struct {
	Code        string
	Description string
	Status      int
	// basicChallenge asks for WWW-Authenticate: Basic on a 401 (the client
	// tried HTTP Basic authentication, RFC 6749 §5.2).
	basicChallenge bool
}

func badRequest(code, description string) *oauthError {
	return &oauthError{Code: code, Description: description, Status: http.StatusBadRequest}
}

func invalidRequest(description string) *oauthError {
	return badRequest(wire.InvalidRequest, description)
}

func invalidGrant(description string) *oauthError {
	return badRequest(wire.InvalidGrant, description)
}

// invalidClient is the 401 of an unknown client or failed client
// authentication. Clients re-register on it (Claude, the TypeScript SDK),
// so it must never be a 400.
func invalidClient(description string, basic bool) *oauthError {
	return &oauthError{Code: wire.InvalidClient, Description: description, Status: http.StatusUnauthorized, basicChallenge: basic}
}

// storeUnavailable is the answer when the store fails (anything but its
// sentinel errors): 503 temporarily_unavailable with Retry-After. The cause
// goes to the log, never to the client.
func storeUnavailable() *oauthError {
	return &oauthError{
		Code:        wire.TemporarilyUnavailable,
		Description: "the service is temporarily unavailable; retry shortly",
		Status:      http.StatusServiceUnavailable,
	}
}

// writeOAuthError writes err as RFC 6749 §5.2 JSON with Cache-Control:
// no-store. A 401 invalid_client carries WWW-Authenticate: Basic when the
// client used Basic; a 503 carries Retry-After.
func writeOAuthError(w http.ResponseWriter, err *oauthError) {
	status := err.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	switch {
	case status == http.StatusUnauthorized && err.basicChallenge:
		w.Header().Set("WWW-Authenticate", `Basic realm="mcpgate", charset="UTF-8"`)
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", wire.RetryAfterSeconds)
	}
	wire.WriteJSON(w, status, wire.ErrorBody{Error: err.Code, ErrorDescription: err.Description})
}

// redirectError sends the browser back to the client with an authorization
// error response (RFC 6749 §4.1.2.1): error, error_description, the client's
// state, and iss (RFC 9207). redirectURI MUST already be validated against
// the client's registration (matchRedirectURI): redirecting anywhere else
// would make this server an open redirector.
func redirectError(w http.ResponseWriter, r *http.Request, issuer, redirectURI, state string, err *oauthError) {
	params := url.Values{"error": {err.Code}}
	if err.Description != "" {
		params.Set("error_description", err.Description)
	}
	redirectToClient(w, r, issuer, redirectURI, state, params)
}

// redirectToClient answers 302 to the validated redirectURI with params,
// state (when the client sent one) and iss added to its query. Query
// parameters already in the redirect URI are kept as they are (RFC 6749
// §3.1.2).
func redirectToClient(w http.ResponseWriter, r *http.Request, issuer, redirectURI, state string, params url.Values) {
	if state != "" {
		params.Set("state", state)
	}
	params.Set("iss", issuer)
	w.Header().Set("Cache-Control", "no-store")
	// The next request must not carry this URL (it held the upstream code
	// and state) as Referer.
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, appendQuery(redirectURI, params), http.StatusFound)
}

// appendQuery adds params to the query of uri without re-encoding what is
// already there, and before any fragment (registered URIs have none).
func appendQuery(uri string, params url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
		if strings.HasSuffix(uri, "?") || strings.HasSuffix(uri, "&") {
			sep = ""
		}
	}
	return uri + sep + params.Encode()
}
