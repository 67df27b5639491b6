package handlers

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcpgate/mcpgate/tokens"
)

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

// clientLookup finds the client a request names, given the request's form;
// it returns ErrNotFound for an unknown client. The token endpoint's reads
// the client together with what a refresh grant needs (tokenHandler.
// clientLookup); the default is the client store's GetClient.
type clientLookup func(ctx context.Context, id string, form url.Values) (tokens.Client, error)

// authenticatedRequest begins every request to an endpoint where clients
// authenticate (/token, /revoke): the per-address limit before the body is
// read, the form, client authentication (RFC 6749 §2.3), then the
// per-client limit. When a step refuses, the answer is written and ok is
// false.
func authenticatedRequest(ctx context.Context, w http.ResponseWriter, r *http.Request, limits *limiter, a *clientAuthenticator, endpoint string) (client tokens.Client, form url.Values, ok bool) {
	return authenticatedRequestWith(ctx, w, r, limits, a, endpoint, nil)
}

// authenticatedRequestWith is authenticatedRequest that finds the client
// with lookup (nil: the client store's GetClient).
func authenticatedRequestWith(ctx context.Context, w http.ResponseWriter, r *http.Request, limits *limiter, a *clientAuthenticator, endpoint string, lookup clientLookup) (client tokens.Client, form url.Values, ok bool) {
	if !limits.endpointIP(w, r, endpoint) {
		return tokens.Client{}, nil, false
	}
	form, oerr := readForm(w, r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return tokens.Client{}, nil, false
	}
	if client, oerr = a.authenticate(ctx, r, form, lookup); oerr != nil {
		writeOAuthError(w, oerr)
		return tokens.Client{}, nil, false
	}
	if !limits.endpointClient(w, r, endpoint, client.ID, form) {
		return tokens.Client{}, nil, false
	}
	return client, form, true
}

// authenticate returns the authenticated client, found with lookup (nil:
// the client store's GetClient).
func (a *clientAuthenticator) authenticate(ctx context.Context, r *http.Request, form url.Values, lookup clientLookup) (tokens.Client, *oauthError) {
	id, secret, basic, oerr := clientCredentials(r, form)
	if oerr != nil {
		return tokens.Client{}, oerr
	}
	if id == "" {
		return tokens.Client{}, invalidClient("client authentication is required (client_id)", basic)
	}
	if lookup == nil {
		lookup = func(ctx context.Context, id string, _ url.Values) (tokens.Client, error) {
			return a.Clients.GetClient(ctx, id)
		}
	}
	client, err := lookup(ctx, id, form)
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
	case client.SecretHash != "":
		switch matched := a.secretMatches(client, secret); {
		case matched < 0:
			a.Logger.LogAttrs(ctx, slog.LevelInfo, "client presented a wrong secret", slog.String("client_id", client.ID))
			return tokens.Client{}, invalidClient("client authentication failed", basic)
		case matched > 0:
			a.rehash(ctx, client, secret)
		}
	}
	return client, nil
}

// secretMatches compares the keyed hash of secret with the stored one in
// constant time, under the current and every previous server secret, and
// returns the index of the secret it matched under (0: the current one),
// or -1.
func (a *clientAuthenticator) secretMatches(c tokens.Client, secret string) int {
	matched := -1
	for i, h := range a.Keys.Hashes(secret) {
		if tokens.HashEqual(h, c.SecretHash) && matched < 0 {
			matched = i
		}
	}
	return matched
}

// rehash stores the hash of a client secret under the current server
// secret, after it matched only under a previous one, so that the client
// keeps working when that previous secret is dropped. A failure is logged
// and does not fail the request: the next authentication tries again.
func (a *clientAuthenticator) rehash(ctx context.Context, c tokens.Client, secret string) {
	if err := a.Clients.SetClientSecretHash(ctx, c.ID, c.SecretHash, a.Keys.Hash(secret)); err != nil {
		a.Logger.LogAttrs(ctx, slog.LevelWarn, "re-hashing a client secret under the current server secret failed",
			slog.String("client_id", c.ID), slog.String("error", err.Error()))
		return
	}
	a.Logger.LogAttrs(ctx, slog.LevelInfo, "client secret re-hashed under the current server secret", slog.String("client_id", c.ID))
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
