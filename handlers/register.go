package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
)

// Client authentication methods (RFC 7591 §2, RFC 6749 §2.3.1).
const (
	authMethodNone  = "none"
	authMethodPost  = "client_secret_post"
	authMethodBasic = "client_secret_basic"
)

// Grant types (RFC 6749 §4.1.3, §6).
const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
)

// registerHandler is dynamic client registration (RFC 7591): open
// registration, no initial access token (MCP clients register on their
// own, mcp-auth-checklist §3.4).
//
//	POST /register  JSON client metadata → 201 with client_id (and a
//	                client_secret for confidential clients)
//
// All three token endpoint authentication methods are accepted: "none"
// (mcp-remote, MCP Inspector; a public client, which must not receive a
// secret), "client_secret_post" (Claude) and "client_secret_basic" (the
// default when the field is omitted, RFC 7591 §2, echoed back so that
// clients know). Registrations are durable and never expire.
type registerHandler struct {
	Events  *observe.Observer // audit and metrics at outcome points; nil records nothing
	Clients tokens.ClientStore
	// Limits rate-limits registrations; nil admits all.
	Limits *limiter
	// Cap bounds the number of registrations; nil means no cap.
	Cap    *clientCap
	Keys   *tokens.Keyring
	Scopes scopePolicy
	Logger *slog.Logger
	Now    func() time.Time
}

// Mount registers /register.
func (h *registerHandler) Mount(mux *http.ServeMux) {
	mux.Handle(pathRegister, wire.WithCORS(wire.AllowMethods(http.HandlerFunc(h.register), http.MethodPost)))
}

// registrationRequest is the client metadata we read (RFC 7591 §2). Any
// other member (jwks, application_type, …) is ignored, whatever its JSON
// type; tos_uri, policy_uri, jwks_uri and contacts are not stored either,
// and are read only to bound their size (registerlimits.go).
type registrationRequest struct {
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	LogoURI                 string   `json:"logo_uri"`
	Scope                   string   `json:"scope"`
	SoftwareID              string   `json:"software_id"`
	SoftwareVersion         string   `json:"software_version"`

	TOSURI    json.RawMessage `json:"tos_uri"`
	PolicyURI json.RawMessage `json:"policy_uri"`
	JWKSURI   json.RawMessage `json:"jwks_uri"`
	Contacts  json.RawMessage `json:"contacts"`
}

// registrationResponse is the client information response (RFC 7591
// §3.2.1). Empty values are omitted, never null.
type registrationResponse struct {
	ClientID         string `json:"client_id"`
	ClientSecret     string `json:"client_secret,omitempty"`
	ClientIDIssuedAt int64  `json:"client_id_issued_at"`
	// ClientSecretExpiresAt is REQUIRED when a secret is issued; 0 means it
	// never expires.
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	SoftwareID              string   `json:"software_id,omitempty"`
	SoftwareVersion         string   `json:"software_version,omitempty"`
}

func (h *registerHandler) register(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	if !h.Limits.register(w, r) {
		return
	}
	req, oerr := decodeRegistration(w, r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	client, oerr := h.validate(req)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	if oerr := h.Cap.admit(ctx); oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	var secret string
	if client.TokenEndpointAuthMethod != authMethodNone {
		secret = tokens.Mint(tokens.KindClientSecret, "")
		client.SecretHash = h.Keys.Hash(secret)
	}
	client.CreatedAt = h.Now()
	var err error
	for range 3 { // a collision of 128 random bits does not happen; retrying costs nothing
		client.ID = tokens.NewID()
		if err = h.Clients.CreateClient(ctx, client); !errors.Is(err, tokens.ErrAlreadyExists) {
			break
		}
	}
	if err != nil {
		h.Logger.LogAttrs(ctx, slog.LevelError, "storing a client registration failed", slog.String("error", err.Error()))
		writeOAuthError(w, storeUnavailable())
		return
	}
	h.Events.Record(ctx, observe.Event{Kind: observe.ClientRegistered, ClientID: client.ID})
	h.Logger.LogAttrs(ctx, slog.LevelInfo, "client registered",
		slog.String("client_id", client.ID), slog.String("client_name", client.Name),
		slog.String("token_endpoint_auth_method", client.TokenEndpointAuthMethod))

	resp := registrationResponse{
		ClientID:                client.ID,
		ClientSecret:            secret,
		ClientIDIssuedAt:        client.CreatedAt.Unix(),
		RedirectURIs:            client.RedirectURIs,
		TokenEndpointAuthMethod: client.TokenEndpointAuthMethod,
		GrantTypes:              client.GrantTypes,
		ResponseTypes:           client.ResponseTypes,
		ClientName:              client.Name,
		ClientURI:               client.ClientURI,
		LogoURI:                 client.LogoURI,
		Scope:                   client.Scope,
		SoftwareID:              client.SoftwareID,
		SoftwareVersion:         client.SoftwareVersion,
	}
	if secret != "" {
		never := int64(0)
		resp.ClientSecretExpiresAt = &never
	}
	wire.WriteJSON(w, http.StatusCreated, resp)
}

// decodeRegistration reads the body: at most maxRegistrationBytes of one
// JSON object.
func decodeRegistration(w http.ResponseWriter, r *http.Request) (registrationRequest, *oauthError) {
	var req registrationRequest
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRegistrationBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return req, badRequest(wire.InvalidClientMetadata, fmt.Sprintf("the request body exceeds %d bytes", maxRegistrationBytes))
		}
		return req, badRequest(wire.InvalidClientMetadata, "the request body could not be read")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return req, badRequest(wire.InvalidClientMetadata, "the body must be a JSON object of client metadata (RFC 7591)")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&req); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return req, badRequest(wire.InvalidClientMetadata, typeErr.Field+" has the wrong JSON type")
		}
		return req, badRequest(wire.InvalidClientMetadata, "the body is not valid JSON")
	}
	if dec.More() {
		return req, badRequest(wire.InvalidClientMetadata, "the body must hold exactly one JSON object")
	}
	return req, nil
}

// validate turns request metadata into a client record (without ID, secret
// and creation time) or says what is wrong with it.
//
// Its cyclomatic complexity (above 15) is that of a parser: one check per
// field of the request (RFC 7591 §2), each with its own message.
func (h *registerHandler) validate(req registrationRequest) (tokens.Client, *oauthError) {
	if len(req.RedirectURIs) == 0 {
		return tokens.Client{}, badRequest(wire.InvalidRedirectURI, "redirect_uris must list at least one redirect URI")
	}
	if len(req.RedirectURIs) > maxRedirectURIs {
		return tokens.Client{}, badRequest(wire.InvalidRedirectURI, fmt.Sprintf("redirect_uris may list at most %d URIs", maxRedirectURIs))
	}
	var uris []string
	for i, u := range req.RedirectURIs {
		if err := validateRedirectURI(u); err != nil {
			return tokens.Client{}, badRequest(wire.InvalidRedirectURI, fmt.Sprintf("redirect_uris[%d] %v", i, err))
		}
		if !slices.Contains(uris, u) {
			uris = append(uris, u)
		}
	}

	if oerr := checkUnstoredSizes(req); oerr != nil {
		return tokens.Client{}, oerr
	}
	method := req.TokenEndpointAuthMethod
	switch method {
	case "":
		method = authMethodBasic // RFC 7591 §2 default
	case authMethodNone, authMethodPost, authMethodBasic:
	default:
		return tokens.Client{}, badRequest(wire.InvalidClientMetadata,
			"token_endpoint_auth_method must be none, client_secret_post or client_secret_basic")
	}

	grantTypes, oerr := subsetOf("grant_types", req.GrantTypes, []string{grantAuthorizationCode}, grantAuthorizationCode, grantRefreshToken)
	if oerr != nil {
		return tokens.Client{}, oerr
	}
	if !slices.Contains(grantTypes, grantAuthorizationCode) {
		return tokens.Client{}, badRequest(wire.InvalidClientMetadata, "grant_types must include authorization_code")
	}
	responseTypes, oerr := subsetOf("response_types", req.ResponseTypes, []string{"code"}, "code")
	if oerr != nil {
		return tokens.Client{}, oerr
	}

	name, oerr := cleanText("client_name", req.ClientName, maxClientNameLen)
	if oerr != nil {
		return tokens.Client{}, oerr
	}
	if len(req.Scope) > maxScopeParamLen {
		return tokens.Client{}, badRequest(wire.InvalidClientMetadata, fmt.Sprintf("scope is longer than %d bytes", maxScopeParamLen))
	}
	clientURI, oerr := webURL("client_uri", req.ClientURI)
	if oerr != nil {
		return tokens.Client{}, oerr
	}
	logoURI, oerr := webURL("logo_uri", req.LogoURI)
	if oerr != nil {
		return tokens.Client{}, oerr
	}
	softwareID, oerr := cleanText("software_id", req.SoftwareID, maxSoftwareLen)
	if oerr != nil {
		return tokens.Client{}, oerr
	}
	softwareVersion, oerr := cleanText("software_version", req.SoftwareVersion, maxSoftwareLen)
	if oerr != nil {
		return tokens.Client{}, oerr
	}
	return tokens.Client{
		Name:                    name,
		RedirectURIs:            uris,
		TokenEndpointAuthMethod: method,
		GrantTypes:              grantTypes,
		ResponseTypes:           responseTypes,
		// Only the supported part of the requested scope is kept (RFC 7591
		// §2 lets the server replace it). It does not cap later requests.
		Scope:           strings.Join(h.Scopes.subset(req.Scope), " "),
		ClientURI:       clientURI,
		LogoURI:         logoURI,
		SoftwareID:      softwareID,
		SoftwareVersion: softwareVersion,
	}, nil
}

// subsetOf checks that values (or def when empty) only holds allowed
// values, at most maxTypeEntries of them, and removes duplicates.
func subsetOf(field string, values, def []string, allowed ...string) ([]string, *oauthError) {
	if len(values) == 0 {
		return def, nil
	}
	if len(values) > maxTypeEntries {
		return nil, badRequest(wire.InvalidClientMetadata, fmt.Sprintf("%s may list at most %d values", field, maxTypeEntries))
	}
	var out []string
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			return nil, badRequest(wire.InvalidClientMetadata, fmt.Sprintf("%s may only contain %s", field, strings.Join(allowed, ", ")))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// cleanText accepts human-readable metadata: valid UTF-8 without control
// characters and without bidirectional formatting characters (which would
// reorder the consent page's text around a client name), trimmed, at most
// max bytes.
func cleanText(field, s string, max int) (string, *oauthError) {
	s = strings.TrimSpace(s)
	if len(s) > max {
		return "", badRequest(wire.InvalidClientMetadata, fmt.Sprintf("%s is longer than %d bytes", field, max))
	}
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }) >= 0 {
		return "", badRequest(wire.InvalidClientMetadata, field+" must be printable text without control or bidirectional formatting characters")
	}
	return s, nil
}

// webURL accepts an empty value or an absolute http(s) URL (client_uri,
// logo_uri; RFC 7591 §2). They are stored and echoed, never shown as links
// or images.
func webURL(field, s string) (string, *oauthError) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if len(s) > maxWebURILen {
		return "", badRequest(wire.InvalidClientMetadata, fmt.Sprintf("%s is longer than %d bytes", field, maxWebURILen))
	}
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", badRequest(wire.InvalidClientMetadata, field+" must be an absolute http(s) URL")
	}
	return s, nil
}
