package fakeoidc

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// grantToken is an access or refresh token.
type grantToken struct {
	subject string
	scopes  []string
	expires time.Time
}

// verifierPattern is RFC 7636 §4.1: 43 to 128 unreserved characters.
var verifierPattern = regexp.MustCompile(`^[A-Za-z0-9\-._~]{43,128}$`)

// randomToken returns 256 random bits, base64url encoded.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

type errorResponse struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// tokenError writes an RFC 6749 §5.2 error: 401 for invalid_client
// (with a Basic challenge when the client tried Basic), 400 otherwise.
func tokenError(w http.ResponseWriter, basic bool, code, description string) {
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="fakeoidc"`)
		}
	}
	writeJSON(w, status, errorResponse{Error: code, ErrorDescription: description})
}

// handleToken is the token endpoint: authorization_code with PKCE (RFC
// 6749 §4.1.3, RFC 7636 §4.6, OpenID Connect Core 1.0 §3.1.3) and
// refresh_token (RFC 6749 §6). The client authenticates with
// client_secret_basic (form-urlencoded credentials, RFC 6749 §2.3.1) or
// client_secret_post.
func (f *Fake) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		tokenError(w, false, "invalid_request", "The body must be a form.")
		return
	}
	form := r.PostForm
	clientID, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		clientID, err1 = url.QueryUnescape(clientID)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			tokenError(w, true, "invalid_client", "Malformed client credentials.")
			return
		}
	} else {
		clientID, secret = form.Get("client_id"), form.Get("client_secret")
	}
	grant := form.Get("grant_type")

	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(code, description string) {
		if grant == "refresh_token" {
			f.counts.FailedRefreshes++
		} else {
			f.counts.FailedExchanges++
		}
		tokenError(w, basic, code, description)
	}
	if subtle.ConstantTimeCompare([]byte(clientID), []byte(f.opts.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(f.opts.ClientSecret)) != 1 {
		fail("invalid_client", "Client authentication failed.")
		return
	}
	f.gc()
	switch grant {
	case "authorization_code":
		f.exchangeCode(w, r, form, fail)
	case "refresh_token":
		f.refreshGrant(w, r, form, fail)
	default:
		fail("unsupported_grant_type", "Only authorization_code and refresh_token are supported.")
	}
}

func (f *Fake) exchangeCode(w http.ResponseWriter, r *http.Request, form url.Values, fail func(code, description string)) {
	code := form.Get("code")
	ac := f.codes[code]
	delete(f.codes, code) // single use, whatever happens next
	switch {
	case ac == nil || !f.now().Before(ac.expires):
		fail("invalid_grant", "The authorization code is invalid or expired.")
		return
	case form.Get("redirect_uri") != ac.redirectURI:
		fail("invalid_grant", "redirect_uri does not match the authorization request.")
		return
	case !verifierPattern.MatchString(form.Get("code_verifier")):
		fail("invalid_request", "code_verifier is missing or malformed.")
		return
	case subtle.ConstantTimeCompare([]byte(s256(form.Get("code_verifier"))), []byte(ac.codeChallenge)) != 1:
		fail("invalid_grant", "code_verifier does not match the code_challenge.")
		return
	}
	u := f.user(ac.subject)
	if u == nil {
		fail("invalid_grant", "The user no longer exists.")
		return
	}
	resp, err := f.mint(r, u, ac.scopes, ac.nonce, ac.authTime, !f.opts.NoRefreshTokens)
	if err != nil {
		fail("server_error", "Could not sign the ID token.")
		return
	}
	f.counts.Exchanges++
	writeTokens(w, resp)
}

func (f *Fake) refreshGrant(w http.ResponseWriter, r *http.Request, form url.Values, fail func(code, description string)) {
	old := form.Get("refresh_token")
	rt := f.refresh[old]
	if rt == nil || !f.now().Before(rt.expires) {
		fail("invalid_grant", "The refresh token is invalid, expired or revoked.")
		return
	}
	u := f.user(rt.subject)
	if u == nil {
		fail("invalid_grant", "The user no longer exists.")
		return
	}
	scopes := rt.scopes
	if s := form.Get("scope"); s != "" {
		narrowed := strings.Fields(s)
		for _, sc := range narrowed {
			if !slices.Contains(rt.scopes, sc) {
				fail("invalid_scope", "A refresh cannot widen the scope.")
				return
			}
		}
		scopes = narrowed
	}
	rotate := !f.opts.NoRefreshRotation
	resp, err := f.mint(r, u, scopes, "", f.now(), rotate)
	if err != nil {
		fail("server_error", "Could not sign the ID token.")
		return
	}
	if rotate {
		delete(f.refresh, old) // a rotated refresh token works once
	}
	f.counts.Refreshes++
	writeTokens(w, resp)
}

// mint issues an access token, an ID token and, with withRefresh, a
// refresh token; f.mu must be held.
func (f *Fake) mint(r *http.Request, u *User, scopes []string, nonce string, authTime time.Time, withRefresh bool) (tokenResponse, error) {
	now := f.now()
	resp := tokenResponse{
		AccessToken: randomToken(),
		TokenType:   "Bearer",
		ExpiresIn:   int64(f.opts.TokenTTL / time.Second),
		Scope:       strings.Join(scopes, " "),
	}
	f.access[resp.AccessToken] = &grantToken{subject: u.Subject, scopes: slices.Clone(scopes), expires: now.Add(f.opts.TokenTTL)}
	f.issued = append(f.issued, resp.AccessToken)
	if withRefresh {
		resp.RefreshToken = randomToken()
		f.refresh[resp.RefreshToken] = &grantToken{subject: u.Subject, scopes: slices.Clone(scopes), expires: now.Add(f.opts.RefreshTTL)}
		f.issued = append(f.issued, resp.RefreshToken)
	}
	if f.noIDTok {
		return resp, nil
	}
	claims := map[string]any{
		"iss":       f.tokenIssuer(f.origin(r), u),
		"sub":       u.Subject,
		"aud":       f.opts.ClientID,
		"iat":       now.Unix(),
		"exp":       now.Add(f.opts.TokenTTL).Unix(),
		"auth_time": authTime.Unix(),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	f.addUserClaims(claims, u, scopes, !f.opts.OmitEmailFromIDToken)
	if f.idMut != nil {
		f.idMut(claims)
	}
	idt, err := f.sign(claims)
	if err != nil {
		return tokenResponse{}, err
	}
	resp.IDToken = idt
	f.issued = append(f.issued, idt)
	return resp, nil
}

// addUserClaims adds the claims the scopes release (OpenID Connect Core
// 1.0 §5.4) and the provider-specific hd, tid and groups.
func (f *Fake) addUserClaims(claims map[string]any, u *User, scopes []string, withEmail bool) {
	if withEmail && slices.Contains(scopes, "email") && u.Email != "" {
		claims["email"] = u.Email
		claims["email_verified"] = u.EmailVerified
	}
	if slices.Contains(scopes, "profile") {
		if u.Name != "" {
			claims["name"] = u.Name
		}
		if u.PreferredUsername != "" {
			claims["preferred_username"] = u.PreferredUsername
		}
	}
	if u.HostedDomain != "" {
		claims["hd"] = u.HostedDomain
	}
	if tid := f.tenantOf(u); tid != "" {
		claims["tid"] = tid
	}
	if len(u.Groups) > 0 {
		claims["groups"] = slices.Clone(u.Groups)
	}
}

func writeTokens(w http.ResponseWriter, resp tokenResponse) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
