package handlers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
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
	Events       *observe.Observer // audit and metrics at outcome points; nil records nothing
	Auth         *clientAuthenticator
	Grants       tokens.GrantStore
	Codes        tokens.CodeStore
	Tokens       tokens.TokenStore
	Keys         *tokens.Keyring
	Resources    resourceSet
	AccessTTL    time.Duration
	RefreshTTL   time.Duration
	RefreshGrace time.Duration
	// Policies choose each client's access token lifetime (fixed or
	// sliding; tokens.Policies); nil gives every client AccessTTL.
	Policies *tokens.Policies
	Limits   *limiter // nil admits all
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
	var read refreshRead
	client, form, ok := authenticatedRequestWith(ctx, w, r, h.Limits, h.Auth, "token", h.clientLookup(&read))
	if !ok {
		return
	}
	var body []byte
	var oerr *oauthError
	switch gt := form.Get("grant_type"); gt {
	case grantAuthorizationCode:
		body, oerr = h.exchangeCode(ctx, client, form)
	case grantRefreshToken:
		if oerr = refusedGrantType(client, gt); oerr == nil { // issue 10.8, granttypes.go
			body, oerr = h.refresh(ctx, client, form, &read)
		}
	case "":
		oerr = invalidRequest("grant_type is required")
	default:
		oerr = badRequest(wire.UnsupportedGrantType, "grant_type must be authorization_code or refresh_token")
	}
	h.Events.Record(ctx, observe.Event{Kind: observe.TokenRequest, ClientID: client.ID, GrantType: form.Get("grant_type"), Result: tokenResult(oerr)})
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
	ac, oerr := h.consumeCode(ctx, log, code, grantID)
	if oerr != nil {
		return nil, oerr
	}
	now := h.Now()
	reason, oerr := checkCode(ac, client, form, verifier, resource, now)
	var dk tokens.DataKey
	if oerr == nil {
		if dk, err = h.Keys.UnwrapGrantKey(code, grantID, ac.WrappedKey); err != nil {
			reason, oerr = "data key cannot be unwrapped", invalidCode()
		}
	}
	if oerr != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "authorization code refused: "+reason)
		if rerr := h.Grants.RevokeGrant(ctx, grantID); rerr != nil {
			log.LogAttrs(ctx, slog.LevelError, "revoking the grant of a refused code failed", slog.String("error", rerr.Error()))
		}
		return nil, oerr
	}
	return h.issueForCode(ctx, log, client, grantID, ac, dk, now)
}

// consumeCode takes the code's record from the store, once. A second use
// of a code revokes its grant and every token the first use issued.
func (h *tokenHandler) consumeCode(ctx context.Context, log *slog.Logger, code, grantID string) (tokens.AuthCode, *oauthError) {
	var ac tokens.AuthCode
	err := tokens.ErrNotFound
	for _, hash := range h.Keys.Hashes(code) {
		if ac, err = h.Codes.ConsumeCode(ctx, grantID, hash); !isNotFound(err) {
			break
		}
	}
	switch {
	case errors.Is(err, tokens.ErrCodeReused):
		if rerr := h.Grants.RevokeGrant(ctx, grantID); rerr != nil {
			log.LogAttrs(ctx, slog.LevelError, "revoking the grant of a reused code failed", slog.String("error", rerr.Error()))
			return ac, storeUnavailable()
		}
		h.Events.Record(ctx, observe.Event{Kind: observe.ReuseDetected, GrantType: grantAuthorizationCode, GrantID: grantID, Reason: "authorization code reused; grant revoked"})
		log.LogAttrs(ctx, slog.LevelWarn, "authorization code reused; grant revoked")
		return ac, invalidGrant("authorization code already used; the tokens it issued are revoked")
	case isNotFound(err):
		return ac, invalidCode()
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "consuming the authorization code failed", slog.String("error", err.Error()))
		return ac, storeUnavailable()
	}
	return ac, nil
}

// checkCode checks a consumed code against the request: client, expiry,
// redirect_uri, PKCE (S256, compared in constant time) and resource. A
// refusal comes with the reason to log.
func checkCode(ac tokens.AuthCode, client tokens.Client, form url.Values, verifier, resource string, now time.Time) (string, *oauthError) {
	switch {
	case ac.ClientID != client.ID:
		return "issued to another client", invalidGrant("the authorization code was issued to another client")
	case !ac.ExpiresAt.After(now):
		return "expired", invalidCode()
	case ac.RedirectURISent && !form.Has("redirect_uri"): // RFC 6749 §4.1.3; issue 10.8
		return "redirect_uri missing", invalidGrant("redirect_uri is required: the authorization request included it")
	case form.Has("redirect_uri") && form.Get("redirect_uri") != ac.RedirectURI:
		return "redirect_uri mismatch", invalidGrant("redirect_uri does not match the authorization request")
	case subtle.ConstantTimeCompare([]byte(oauth2.S256ChallengeFromVerifier(verifier)), []byte(ac.CodeChallenge)) != 1:
		return "PKCE verification failed", invalidGrant("code_verifier does not match the code_challenge")
	case resource != "" && resource != ac.Resource:
		return "resource mismatch", badRequest(wire.InvalidTarget, "resource does not match the authorization request")
	}
	return "", nil
}

// issueForCode mints and stores the first token pair of the grant of a
// redeemed code and returns the response body.
func (h *tokenHandler) issueForCode(ctx context.Context, log *slog.Logger, client tokens.Client, grantID string, ac tokens.AuthCode, dk tokens.DataKey, now time.Time) ([]byte, *oauthError) {
	grant, err := h.Grants.GetGrant(ctx, grantID)
	switch {
	case isNotFound(err):
		return nil, invalidCode()
	case err != nil:
		log.LogAttrs(ctx, slog.LevelError, "reading the grant failed", slog.String("error", err.Error()))
		return nil, storeUnavailable()
	}
	resp, issue, err := h.mint(grant, client, ac.Scopes, ac.Scopes, ac.Resource, dk, now)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "minting tokens failed", slog.String("error", err.Error()))
		return nil, &oauthError{Code: wire.ServerError, Description: "tokens could not be issued", Status: http.StatusInternalServerError}
	}
	if !mayRefresh(client) { // issue 10.8, granttypes.go
		withoutRefresh(&resp, &issue)
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
	h.noteReregistration(ctx, client, grant, ac.RedirectURI)
	h.Events.Record(ctx, observe.Event{Kind: observe.GrantIssued, ClientID: client.ID, GrantID: grantID, UserID: grant.UserID, Provider: grant.Provider})
	log.LogAttrs(ctx, slog.LevelInfo, "tokens issued", slog.String("user_id", grant.UserID))
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

// mint makes a new access and refresh token pair for grant, each holding
// the grant's data key wrapped under itself, the access token living as
// the client's policy says (fixed or sliding). Both the code exchange and
// the refresh mint through here, so expires_in tells the truth at both:
// the current window (tokens.AccessToken.Window), for a sliding token the
// idle timeout or the time to its absolute end, whichever is shorter.
func (h *tokenHandler) mint(grant tokens.Grant, client tokens.Client, accessScopes, refreshScopes []string, resource string, dk tokens.DataKey, now time.Time) (tokenResponse, tokens.Issue, error) {
	p, err := h.Keys.MintPair(tokens.PairSpec{
		Grant:         grant,
		ClientID:      client.ID,
		AccessScopes:  accessScopes,
		RefreshScopes: refreshScopes,
		Resource:      resource,
		Key:           dk,
		Now:           now,
		AccessTTL:     h.AccessTTL,
		RefreshTTL:    h.RefreshTTL,
		Policy:        h.Policies.For(client),
	})
	if err != nil {
		return tokenResponse{}, tokens.Issue{}, err
	}
	resp := tokenResponse{
		AccessToken:  p.Access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(p.Issue.Access.Window(now) / time.Second),
		RefreshToken: p.Refresh,
		Scope:        strings.Join(accessScopes, " "),
	}
	return resp, p.Issue, nil
}

// optionalResource resolves the resource parameter of a token request:
// "" when absent, R when it names us, invalid_target otherwise.
func (h *tokenHandler) optionalResource(form url.Values) (string, *oauthError) {
	if len(form["resource"]) == 0 {
		return "", nil
	}
	return h.Resources.resolve(form["resource"])
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
