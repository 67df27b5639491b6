package fakegithub

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type accessToken struct {
	login   string
	scopes  []string // nil for GitHub App user tokens, which carry no scopes
	expires time.Time
}

type refreshToken struct {
	login   string
	scopes  []string
	expires time.Time
}

// authRequest is a validated authorization request waiting on the sign-in
// page.
type authRequest struct {
	clientID      string
	redirectURI   string
	state         string
	scopes        []string
	codeChallenge string
	login         string // suggested account
	expires       time.Time
}

type authCode struct {
	authRequest
	login string
}

// verifierPattern is RFC 7636 §4.1: 43 to 128 unreserved characters. A
// S256 challenge is always 43 of them.
var verifierPattern = regexp.MustCompile(`^[A-Za-z0-9\-._~]{43,128}$`)

// newSecret returns a GitHub-shaped secret with the given prefix.
func newSecret(prefix string) string {
	return prefix + strings.TrimRight(base64.RawURLEncoding.EncodeToString(randomBytes(27)), "=")
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}

// IssueToken mints an access token for login directly, as if the user had
// signed in, with the scopes repo, read:user and user:email (or, with
// AppTokens, an expiring user token). It returns "" for an unknown login.
func (f *Fake) IssueToken(login string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.user(login)
	if u == nil {
		return ""
	}
	access, _ := f.mint(u.Login, []string{"repo", "read:user", "user:email"}, false)
	return access
}

// IssueTokenWithScopes is IssueToken with the given OAuth scopes (read:org
// for the membership endpoints, for instance). With AppTokens the scopes
// are ignored, as GitHub App user tokens carry none.
func (f *Fake) IssueTokenWithScopes(login string, scopes ...string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.user(login)
	if u == nil {
		return ""
	}
	access, _ := f.mint(u.Login, scopes, false)
	return access
}

// IssuedTokens returns every access and refresh token the fake has issued,
// so tests can assert that none of them leaks (into logs, responses).
func (f *Fake) IssuedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.issued)
}

// mint creates an access token and, with AppTokens and withRefresh, a
// refresh token; f.mu must be held.
func (f *Fake) mint(login string, scopes []string, withRefresh bool) (access, refresh string) {
	defer func() {
		f.issued = append(f.issued, access)
		if refresh != "" {
			f.issued = append(f.issued, refresh)
		}
	}()
	now := f.now()
	f.dropExpired(now)
	if !f.opts.AppTokens {
		access = newSecret("gho_")
		f.tokens[access] = &accessToken{login: login, scopes: slices.Clone(scopes)}
		if f.tokens[access].scopes == nil {
			f.tokens[access].scopes = []string{}
		}
		return access, ""
	}
	access = newSecret("ghu_")
	f.tokens[access] = &accessToken{login: login, expires: now.Add(f.opts.TokenTTL)}
	if withRefresh {
		refresh = newSecret("ghr_")
		f.refresh[refresh] = &refreshToken{login: login, scopes: slices.Clone(scopes), expires: now.Add(f.opts.RefreshTTL)}
	}
	return access, refresh
}

// dropExpired forgets expired tokens so a long-running demo does not
// grow; f.mu must be held.
func (f *Fake) dropExpired(now time.Time) {
	for k, t := range f.tokens {
		if !t.expires.IsZero() && !now.Before(t.expires) {
			delete(f.tokens, k)
		}
	}
	for k, t := range f.refresh {
		if !now.Before(t.expires) {
			delete(f.refresh, k)
		}
	}
}

// RevokeAll makes every access and refresh token of login stop working:
// REST calls answer 401 Bad credentials, refreshes bad_refresh_token.
func (f *Fake) RevokeAll(login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, t := range f.tokens {
		if strings.EqualFold(t.login, login) {
			delete(f.tokens, k)
		}
	}
	for k, t := range f.refresh {
		if strings.EqualFold(t.login, login) {
			delete(f.refresh, k)
		}
	}
}

// ExpireAccessTokens makes every access token issued so far expired (REST
// calls with them answer 401); refresh tokens keep working. Meant for
// AppTokens, where clients are expected to refresh.
func (f *Fake) ExpireAccessTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	past := f.now().Add(-time.Second)
	for _, t := range f.tokens {
		t.expires = past
	}
}

// parseScopes splits GitHub's scope parameter (space or comma separated).
func parseScopes(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	var out []string
	for _, f := range fields {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// tokenResponse writes a token endpoint answer the way GitHub does: JSON
// when the client asks for it with Accept, form-encoded otherwise, and
// HTTP 200 even for errors.
func tokenResponse(w http.ResponseWriter, r *http.Request, fields [][2]string) {
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		m := make(map[string]any, len(fields))
		for _, kv := range fields {
			if n, err := strconv.ParseInt(kv[1], 10, 64); err == nil && strings.HasSuffix(kv[0], "expires_in") {
				m[kv[0]] = n
			} else {
				m[kv[0]] = kv[1]
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(m)
		return
	}
	v := url.Values{}
	for _, kv := range fields {
		v.Set(kv[0], kv[1])
	}
	w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	_, _ = w.Write([]byte(v.Encode()))
}

func tokenError(w http.ResponseWriter, r *http.Request, code, description, doc string) {
	tokenResponse(w, r, [][2]string{
		{"error", code},
		{"error_description", description},
		{"error_uri", doc},
	})
}

const docsOAuthErrors = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"

// handleAccessToken is POST /login/oauth/access_token: the
// authorization_code grant with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.6) and,
// with AppTokens, the rotating refresh_token grant (RFC 6749 §6).
func (f *Fake) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return
	}
	form := r.PostForm
	clientID, secret := form.Get("client_id"), form.Get("client_secret")
	if id, s, ok := r.BasicAuth(); ok {
		clientID, secret = id, s
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	grant := form.Get("grant_type")
	if subtle.ConstantTimeCompare([]byte(clientID), []byte(f.opts.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(f.opts.ClientSecret)) != 1 {
		if grant == "refresh_token" {
			f.counts.FailedRefreshes++
		} else {
			f.counts.FailedExchanges++
		}
		tokenError(w, r, "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.", docsOAuthErrors+"#incorrect-client-credentials")
		return
	}
	switch grant {
	case "", "authorization_code":
		f.exchangeCode(w, r, form)
	case "refresh_token":
		f.refreshGrant(w, r, form)
	default:
		f.counts.FailedExchanges++
		tokenError(w, r, "unsupported_grant_type", "The grant type is not supported.", docsOAuthErrors)
	}
}

func (f *Fake) exchangeCode(w http.ResponseWriter, r *http.Request, form url.Values) {
	now := f.now()
	code := form.Get("code")
	ac := f.codes[code]
	delete(f.codes, code) // single use, whatever happens next
	fail := func(code, desc, doc string) {
		f.counts.FailedExchanges++
		tokenError(w, r, code, desc, doc)
	}
	if ac == nil || !now.Before(ac.expires) || ac.clientID != f.opts.ClientID {
		fail("bad_verification_code", "The code passed is incorrect or expired.", docsOAuthErrors+"#bad-verification-code")
		return
	}
	if ru := form.Get("redirect_uri"); ru != "" && ru != ac.redirectURI {
		fail("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.", docsOAuthErrors+"#redirect-uri-mismatch")
		return
	}
	verifier := form.Get("code_verifier")
	switch {
	case ac.codeChallenge == "" && verifier != "":
		fail("invalid_request", "A code_verifier was sent but the authorization request had no code_challenge.", docsOAuthErrors)
		return
	case ac.codeChallenge != "" && !verifierPattern.MatchString(verifier):
		fail("invalid_request", "The code_verifier is missing or malformed.", docsOAuthErrors)
		return
	case ac.codeChallenge != "" && subtle.ConstantTimeCompare([]byte(s256(verifier)), []byte(ac.codeChallenge)) != 1:
		fail("bad_verification_code", "The code_verifier does not match the code_challenge.", docsOAuthErrors+"#bad-verification-code")
		return
	}
	if f.user(ac.login) == nil {
		fail("bad_verification_code", "The code passed is incorrect or expired.", docsOAuthErrors+"#bad-verification-code")
		return
	}
	f.counts.Exchanges++
	access, refresh := f.mint(ac.login, ac.scopes, true)
	f.writeTokens(w, r, access, refresh, ac.scopes)
}

func (f *Fake) refreshGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	now := f.now()
	old := form.Get("refresh_token")
	rt := f.refresh[old]
	if !f.opts.AppTokens || rt == nil || !now.Before(rt.expires) || f.user(rt.login) == nil {
		f.counts.FailedRefreshes++
		tokenError(w, r, "bad_refresh_token", "The refresh token passed is incorrect or expired.", docsOAuthErrors+"#bad-refresh-token")
		return
	}
	delete(f.refresh, old) // rotation: a refresh token works once
	f.counts.Refreshes++
	access, refresh := f.mint(rt.login, rt.scopes, true)
	f.writeTokens(w, r, access, refresh, rt.scopes)
}

func (f *Fake) writeTokens(w http.ResponseWriter, r *http.Request, access, refresh string, scopes []string) {
	fields := [][2]string{{"access_token", access}}
	if f.opts.AppTokens {
		fields = append(fields,
			[2]string{"expires_in", strconv.FormatInt(int64(f.opts.TokenTTL/time.Second), 10)},
			[2]string{"refresh_token", refresh},
			[2]string{"refresh_token_expires_in", strconv.FormatInt(int64(f.opts.RefreshTTL/time.Second), 10)},
			[2]string{"scope", ""},
		)
	} else {
		fields = append(fields, [2]string{"scope", strings.Join(scopes, ",")})
	}
	fields = append(fields, [2]string{"token_type", "bearer"})
	tokenResponse(w, r, fields)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
