package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// Authorization request parameters (RFC 6749 §4.1.1, RFC 7636 §4.3,
// RFC 8707 §2). These, and only these, are carried through the consent form;
// anything else a client sends (prompt, nonce, …) is ignored.
const (
	paramClientID            = "client_id"
	paramRedirectURI         = "redirect_uri"
	paramResponseType        = "response_type"
	paramCodeChallenge       = "code_challenge"
	paramCodeChallengeMethod = "code_challenge_method"
	paramState               = "state"
	paramScope               = "scope"
	paramResource            = "resource"

	// Consent form fields.
	formCSRF     = "csrf_token"
	formProvider = "provider"
	formDeny     = "deny"
)

// authorizeParams lists the authorization request parameters, in the
// order the consent form carries them.
func authorizeParams() []string {
	return []string{
		paramClientID, paramRedirectURI, paramResponseType, paramCodeChallenge,
		paramCodeChallengeMethod, paramState, paramScope, paramResource,
	}
}

const (
	// maxFormBytes bounds every form and JSON request body.
	maxFormBytes = 64 << 10
	// storeTimeout bounds the store calls of one request, so that a hung
	// store turns into a 503 instead of a hung request.
	storeTimeout = 5 * time.Second
)

// authorizeHandler is the authorization endpoint (OAuth 2.1 §4.1.1, RFC
// 6749 §4.1) with the consent page.
//
//	GET  /authorize  validate, then show the consent page (or, when this
//	                 browser already approved this client, redirect URI
//	                 and scopes and there is one provider, go upstream at
//	                 once; see consentSubject)
//	POST /authorize  the consent form: validate everything again, check
//	                 CSRF, then deny (back to the client with access_denied)
//	                 or approve (remember consent, start the upstream leg)
//
// Validation order matters: the client and its redirect URI are checked
// first, and a failure there shows an error page and never redirects
// (RFC 6749 §4.1.2.1, MCP "Open Redirection"); every later error is sent
// back to the validated redirect URI.
type authorizeHandler struct {
	Events    *observe.Observer // audit and metrics at outcome points; nil records nothing
	Issuer    string
	Clients   tokens.ClientStore
	Pending   tokens.PendingStore
	Keys      *tokens.Keyring
	Providers []upstream.Provider
	Resources resourceSet
	Scopes    scopePolicy
	// ScopeDescriptions overrides the consent page's text per scope.
	ScopeDescriptions map[string]string
	PendingTTL        time.Duration
	Consent           consentMemory
	CSRF              csrfGuard
	Cookies           *cookieJar
	Pages             *pages
	// UpstreamOrigins are the origins of the providers' authorization
	// endpoints, allowed as CSP form-action targets on the consent page.
	UpstreamOrigins []string
	// ToolScopes decides whether a grant reaches any tool that writes
	// (readOnly); nil: every grant is treated as one that may write.
	ToolScopes protected.ToolScopes
	// ToolsReadOnly: no tool any sign-in can be served writes
	// (Config.ToolsReadOnly), so every upstream sign-in is read-only.
	ToolsReadOnly bool
	Limits        *limiter // nil admits all
	Logger        *slog.Logger
	Now           func() time.Time

	// ConsentTools are listed on the consent page (consent_tools.go).
	ConsentTools ConsentTools
}

// Mount registers /authorize.
func (h *authorizeHandler) Mount(mux *http.ServeMux) {
	mux.Handle(pathAuthorize, wire.AllowMethods(http.HandlerFunc(h.serve), http.MethodGet, http.MethodPost))
}

func (h *authorizeHandler) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		h.post(w, r)
		return
	}
	h.get(w, r)
}

// authRequest is a validated authorization request.
type authRequest struct {
	client      tokens.Client
	redirectURI string // the validated URI to send the browser back to
	// redirectURISent: the request carried redirect_uri, so /token must
	// too (RFC 6749 §4.1.3).
	redirectURISent bool
	state           string
	codeChallenge   string
	resource        string   // always R
	scopes          []string // granted scopes, never empty
	fields          []hiddenField
}

func (h *authorizeHandler) get(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	params := r.URL.Query()
	if !h.Limits.authorize(w, r, params.Get(paramClientID)) {
		return
	}
	req, perr := h.resolveClient(ctx, params)
	if perr != nil {
		h.Pages.errorPage(w, *perr)
		return
	}
	if oerr := h.validate(params, req); oerr != nil {
		redirectError(w, r, h.Issuer, req.redirectURI, req.state, oerr)
		return
	}
	if len(h.Providers) == 1 {
		p := h.Providers[0]
		reason := ""
		switch {
		case h.Consent.approved(r, req.client.ID, consentSubject(req)):
			reason = "remembered by the browser"
		case h.Consent.approvedAgain(r, reregistrationKey(req.client, req.redirectURI, consentSubject(req), p.Name())):
			// consent.go: a re-registration of an approved client.
			reason = "remembered by the browser for an earlier registration with the same name and redirect URI"
		}
		if reason != "" {
			h.Events.Record(ctx, observe.Event{Kind: observe.ConsentApproved, ClientID: req.client.ID, Provider: p.Name(), Reason: reason})
			h.Logger.LogAttrs(ctx, slog.LevelInfo, "consent "+reason,
				slog.String("client_id", req.client.ID), slog.String("provider", p.Name()))
			h.startUpstream(ctx, w, r, req, p)
			return
		}
	}
	h.showConsent(w, r, req)
}

func (h *authorizeHandler) post(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.Pages.errorPage(w, pageError{
			Status:  http.StatusBadRequest,
			Title:   "Invalid form",
			Message: "The approval form could not be read.",
			Hint:    "Go back to the application and start connecting again.",
		})
		return
	}
	params := r.PostForm // never the URL query: every value must come from our form
	if !h.Limits.authorize(w, r, params.Get(paramClientID)) {
		return
	}
	req, perr := h.resolveClient(ctx, params)
	if perr != nil {
		h.Pages.errorPage(w, *perr)
		return
	}
	if !h.CSRF.check(r, req.client.ID, params.Get(formCSRF)) {
		h.Logger.LogAttrs(ctx, slog.LevelWarn, "consent form refused: CSRF check failed", slog.String("client_id", req.client.ID))
		h.Pages.errorPage(w, pageError{
			Status:  http.StatusForbidden,
			Title:   "This approval form has expired",
			Message: "The approval could not be verified. This happens when the page was open for a long time, when cookies are blocked, or when the request did not come from the approval page.",
			Hint:    "Go back to the application and start connecting again.",
		})
		return
	}
	if oerr := h.validate(params, req); oerr != nil {
		redirectError(w, r, h.Issuer, req.redirectURI, req.state, oerr)
		return
	}
	if params.Has(formDeny) {
		h.Events.Record(ctx, observe.Event{Kind: observe.ConsentDenied, ClientID: req.client.ID})
		h.Logger.LogAttrs(ctx, slog.LevelInfo, "consent denied", slog.String("client_id", req.client.ID))
		redirectError(w, r, h.Issuer, req.redirectURI, req.state, badRequest(wire.AccessDenied, "the user denied the request"))
		return
	}
	provider := h.provider(params.Get(formProvider))
	if provider == nil {
		h.Pages.errorPage(w, pageError{
			Status:  http.StatusBadRequest,
			Title:   "Unknown sign-in option",
			Message: "The approval form named a sign-in option this server does not offer.",
			Hint:    "Go back to the application and start connecting again.",
		})
		return
	}
	again := reregistrationKey(req.client, req.redirectURI, consentSubject(req), provider.Name())
	if err := h.Consent.remember(w, r, req.client.ID, consentSubject(req), again); err != nil {
		// Not fatal: the person will simply be asked again next time.
		h.Logger.LogAttrs(ctx, slog.LevelWarn, "consent could not be remembered",
			slog.String("client_id", req.client.ID), slog.String("error", err.Error()))
	}
	h.Events.Record(ctx, observe.Event{Kind: observe.ConsentApproved, ClientID: req.client.ID, Provider: provider.Name()})
	h.Logger.LogAttrs(ctx, slog.LevelInfo, "consent approved",
		slog.String("client_id", req.client.ID), slog.String("provider", provider.Name()))
	h.startUpstream(ctx, w, r, req, provider)
}

// resolveClient finds the client and validates the redirect URI: the
// checks whose failure must show a page instead of redirecting.
func (h *authorizeHandler) resolveClient(ctx context.Context, params url.Values) (*authRequest, *pageError) {
	clientID, ok := single(params, paramClientID)
	if !ok || clientID == "" {
		return nil, &pageError{
			Status:  http.StatusBadRequest,
			Title:   "Missing or invalid client",
			Message: "The link that brought you here does not name exactly one application (client_id).",
			Hint:    "Go back to the application and start connecting again.",
		}
	}
	client, err := h.Clients.GetClient(ctx, clientID)
	if page := metadataErrorPage(err, h.Pages.service); page != nil {
		return nil, page // a client ID metadata document that cannot be used (cimd.go logged why)
	}
	switch {
	case isNotFound(err):
		h.Logger.LogAttrs(ctx, slog.LevelInfo, "authorization request for an unknown client", slog.String("client_id", logID(clientID)))
		return nil, &pageError{
			Status:  http.StatusBadRequest,
			Title:   "Unknown application",
			Message: "This application is not registered with " + h.Pages.service + ". Its registration may have been deleted.",
			Hint:    "Go back to the application and connect again; it registers itself anew. If that does not help, remove the connection in the application and add it again.",
		}
	case err != nil:
		h.Logger.LogAttrs(ctx, slog.LevelError, "client lookup failed", slog.String("client_id", logID(clientID)), slog.String("error", err.Error()))
		return nil, &pageError{
			Status:  http.StatusServiceUnavailable,
			Title:   "Temporarily unavailable",
			Message: h.Pages.service + " cannot serve this request right now.",
			Hint:    "Try again in a minute.",
		}
	}
	requested, ok := single(params, paramRedirectURI)
	redirectURI, matched := matchRedirectURI(client.RedirectURIs, requested)
	if !ok || !matched {
		h.Logger.LogAttrs(ctx, slog.LevelWarn, "authorization request with an unregistered redirect URI", slog.String("client_id", client.ID))
		return nil, &pageError{
			Status:  http.StatusBadRequest,
			Title:   "Invalid redirect address",
			Message: "The application asked to send you back to an address it did not register. For your safety you were not redirected.",
			Hint:    "Go back to the application and connect again. If this keeps happening, contact the application's developer.",
		}
	}
	return &authRequest{client: client, redirectURI: redirectURI, redirectURISent: requested != ""}, nil
}

// validate checks the rest of the request. Its errors go back to the
// (validated) redirect URI. It fills req.
func (h *authorizeHandler) validate(params url.Values, req *authRequest) *oauthError {
	state, ok := single(params, paramState)
	if ok {
		req.state = state
	}
	req.fields = hiddenFields(params)
	switch {
	case !ok:
		return invalidRequest("state must not be repeated")
	case len(state) > maxStateLen:
		req.state = ""
		return invalidRequest(fmt.Sprintf("state is longer than %d bytes", maxStateLen))
	}
	for _, name := range authorizeParams() {
		if len(params[name]) > 1 && name != paramResource {
			return invalidRequest(name + " must not be repeated")
		}
	}
	if len(params.Get(paramScope)) > maxScopeParamLen {
		return invalidRequest(fmt.Sprintf("scope is longer than %d bytes", maxScopeParamLen))
	}
	switch rt := params.Get(paramResponseType); rt {
	case "code":
	case "":
		return invalidRequest("response_type is required and must be code")
	default:
		return badRequest(wire.UnsupportedResponseType, "only response_type=code is supported")
	}
	challenge := params.Get(paramCodeChallenge)
	if challenge == "" {
		return invalidRequest("code_challenge is required (PKCE with S256)")
	}
	if params.Get(paramCodeChallengeMethod) != "S256" {
		return invalidRequest("code_challenge_method must be S256")
	}
	if !validChallenge(challenge) {
		return invalidRequest("code_challenge must be 43 base64url characters (BASE64URL(SHA256(code_verifier)))")
	}
	req.codeChallenge = challenge
	resource, oerr := h.Resources.resolve(params[paramResource])
	if oerr != nil {
		return oerr
	}
	req.resource = resource
	req.scopes = h.Scopes.grant(params.Get(paramScope))
	return nil
}

// showConsent renders the consent page for req.
func (h *authorizeHandler) showConsent(w http.ResponseWriter, r *http.Request, req *authRequest) {
	csrf, err := h.CSRF.token(w, r, req.client.ID)
	if err != nil {
		h.Logger.LogAttrs(r.Context(), slog.LevelError, "consent page: CSRF cookie", slog.String("error", err.Error()))
		h.Pages.errorPage(w, pageError{Status: http.StatusInternalServerError, Title: "Something went wrong",
			Message: "The approval page could not be prepared.", Hint: "Try again."})
		return
	}
	name, nameIsID := req.client.Name, false
	if strings.TrimSpace(name) == "" {
		name, nameIsID = req.client.ID, true
	}
	view := consentView{
		pageBase:     pageBase{Service: h.Pages.service, Title: "Allow " + name + "?"},
		ClientName:   name,
		NameIsID:     nameIsID,
		ClientID:     req.client.ID,
		RedirectHost: redirectDisplay(req.redirectURI),
		RedirectURI:  req.redirectURI,
		Loopback:     isLoopbackRedirect(req.redirectURI),
		Scopes:       describeScopes(req.scopes, h.ScopeDescriptions),
		Tools:        consentToolsView(h.ConsentTools),
		Fields:       req.fields,
		CSRF:         csrf,
	}
	for _, p := range h.Providers {
		view.Providers = append(view.Providers, providerView{Name: p.Name(), DisplayName: p.DisplayName()})
	}
	formAction := append([]string(nil), h.UpstreamOrigins...)
	if o := redirectOrigin(req.redirectURI); o != "" {
		formAction = append(formAction, o)
	}
	h.Pages.render(w, http.StatusOK, tmplConsent, view, formAction)
}

// stateCookie is the value of the state cookie: the random browser
// binding whose hash is Pending.Browser.
type stateCookie struct {
	B string `json:"b"`
}

// startUpstream begins the upstream leg for an approved request (see
// upstreamLeg.begin). A store failure goes back to the client as
// temporarily_unavailable.
func (h *authorizeHandler) startUpstream(ctx context.Context, w http.ResponseWriter, r *http.Request, req *authRequest, p upstream.Provider) {
	leg := upstreamLeg{Pending: h.Pending, Keys: h.Keys, Cookies: h.Cookies, PendingTTL: h.PendingTTL, Now: h.Now,
		ReadOnly: h.readOnly(req.scopes)}
	err := leg.begin(ctx, w, r, p, tokens.Pending{
		ClientID:        req.client.ID,
		RedirectURI:     req.redirectURI,
		RedirectURISent: req.redirectURISent,
		CodeChallenge:   req.codeChallenge,
		Resource:        req.resource,
		Scopes:          req.scopes,
		ClientState:     req.state,
	})
	switch {
	case errors.Is(err, errPendingNotStored):
		h.Logger.LogAttrs(ctx, slog.LevelError, "storing the pending authorization failed",
			slog.String("client_id", req.client.ID), slog.String("error", err.Error()))
		redirectError(w, r, h.Issuer, req.redirectURI, req.state, storeUnavailable())
		return
	case err != nil:
		h.Logger.LogAttrs(ctx, slog.LevelError, "setting the state cookie failed", slog.String("error", err.Error()))
		h.Pages.errorPage(w, pageError{Status: http.StatusInternalServerError, Title: "Something went wrong",
			Message: "The sign-in could not be started.", Hint: "Go back to the application and try again."})
		return
	}
	h.Logger.LogAttrs(ctx, slog.LevelInfo, "upstream sign-in started",
		slog.String("client_id", req.client.ID), slog.String("provider", p.Name()))
}

// readOnly reports whether scopes reach no tool that writes: they do not
// satisfy the strongest tool scope (what a name that is no tool needs,
// protected.ToolScopes). The upstream token then asks for read-only
// upstream scopes, so that it follows the tools that can be called
// (issue 10.8); a step-up to a writing scope signs in upstream again. When
// no tool of any tool group writes (ToolsReadOnly), every sign-in is
// read-only. The tool group itself is decided only after the upstream
// sign-in (its rules may ask GitHub with the new token), so the upstream
// scopes follow the union of the groups' tools, not the person's group.
func (h *authorizeHandler) readOnly(scopes []string) bool {
	if h.ToolsReadOnly {
		return true
	}
	if h.ToolScopes == nil {
		return false
	}
	return !h.ToolScopes.Satisfies(scopes, h.ToolScopes.RequiredScope(""))
}

func (h *authorizeHandler) provider(name string) upstream.Provider {
	return findProvider(h.Providers, name)
}

// hiddenFields are the authorization parameters to carry through the
// consent form, as the client sent them (the POST validates them again).
func hiddenFields(params url.Values) []hiddenField {
	var out []hiddenField
	for _, name := range authorizeParams() {
		for _, v := range params[name] {
			out = append(out, hiddenField{Name: name, Value: v})
		}
	}
	return out
}
