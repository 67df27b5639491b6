package fakeoidc

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/upstream/internal/fakepage"
)

// authRequest is a validated authorization request.
type authRequest struct {
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	codeChallenge string
	hint          string // login_hint
	expires       time.Time
}

type authCode struct {
	authRequest
	subject  string
	authTime time.Time
}

// challengePattern is an S256 code challenge: 43 base64url characters
// (RFC 7636 §4.2).
var challengePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// handleAuthorize is the authorization endpoint (OpenID Connect Core 1.0
// §3.1.2.1). The client and redirect URI are checked before anything is
// redirected; then the request must ask for response_type=code and the
// openid scope and carry an S256 PKCE challenge (RFC 7636 §4.3).
func (f *Fake) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Get("client_id") != f.opts.ClientID {
		page(w, http.StatusBadRequest, pageData{Error: "Unknown client_id " + fakepage.Quote(q.Get("client_id")) + "."})
		return
	}
	redirect, ok := fakepage.ParseRedirectURI(q.Get("redirect_uri"))
	if !ok {
		page(w, http.StatusBadRequest, pageData{Error: fakepage.BadRedirectURI})
		return
	}
	req := authRequest{
		redirectURI:   q.Get("redirect_uri"),
		state:         q.Get("state"),
		nonce:         q.Get("nonce"),
		scopes:        strings.Fields(q.Get("scope")),
		codeChallenge: q.Get("code_challenge"),
		hint:          q.Get("login_hint"),
		expires:       f.now().Add(pendingTTL),
	}
	switch {
	case q.Get("response_type") != "code":
		redirectError(w, r, req, "unsupported_response_type", "Only response_type=code is supported.")
		return
	case !slices.Contains(req.scopes, "openid"):
		redirectError(w, r, req, "invalid_scope", "The openid scope is required.")
		return
	case req.codeChallenge == "":
		redirectError(w, r, req, "invalid_request", "code_challenge is required (PKCE, S256).")
		return
	case q.Get("code_challenge_method") != "S256":
		redirectError(w, r, req, "invalid_request", "code_challenge_method must be S256.")
		return
	case !challengePattern.MatchString(req.codeChallenge):
		redirectError(w, r, req, "invalid_request", "code_challenge must be a base64url SHA-256 digest.")
		return
	}
	if f.opts.AutoApprove {
		subject := f.opts.DefaultSubject
		if u := f.userByHint(req.hint); u != nil {
			subject = u.Subject
		}
		f.approve(w, r, req, subject)
		return
	}
	f.gc()
	id := randomToken()
	f.pending[id] = &req
	preselect := f.opts.DefaultSubject
	if u := f.userByHint(req.hint); u != nil {
		preselect = u.Subject
	}
	data := pageData{
		AppName:  f.opts.AppName,
		ClientID: f.opts.ClientID,
		Redirect: redirect.Scheme + "://" + redirect.Host,
		Scopes:   req.scopes,
		Request:  id,
	}
	for _, u := range f.users {
		data.Users = append(data.Users, pageUser{
			Subject: u.Subject, Name: u.Name, Email: u.Email,
			Unverified: u.Email != "" && !u.EmailVerified, Selected: u.Subject == preselect,
		})
	}
	page(w, http.StatusOK, data)
}

// handleDecision is the sign-in form's POST: request (the pending
// request's ID), subject and decision ("approve" or "deny").
func (f *Fake) handleDecision(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		page(w, http.StatusBadRequest, pageData{Error: "The form could not be read."})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PostForm.Get("request")
	req := f.pending[id]
	delete(f.pending, id)
	if req == nil || !f.now().Before(req.expires) {
		page(w, http.StatusBadRequest, pageData{Error: "This sign-in request is unknown or has expired. Start again from the application."})
		return
	}
	switch r.PostForm.Get("decision") {
	case "approve":
		f.approve(w, r, *req, r.PostForm.Get("subject"))
	case "deny":
		redirectError(w, r, *req, "access_denied", "The user cancelled the sign-in.")
	default:
		page(w, http.StatusBadRequest, pageData{Error: "Choose Authorize or Cancel."})
	}
}

// approve issues a code for subject and redirects back (OpenID Connect
// Core 1.0 §3.1.2.5); f.mu must be held.
func (f *Fake) approve(w http.ResponseWriter, r *http.Request, req authRequest, subject string) {
	if f.user(subject) == nil {
		page(w, http.StatusBadRequest, pageData{Error: "Unknown user " + fakepage.Quote(subject) + "."})
		return
	}
	f.gc()
	code := randomToken()
	now := f.now()
	req.expires = now.Add(codeTTL)
	f.codes[code] = &authCode{authRequest: req, subject: subject, authTime: now}
	f.counts.Authorizations++
	redirectWith(w, r, req, url.Values{"code": {code}})
}

// redirectError sends an authorization error response (RFC 6749
// §4.1.2.1) back to the client.
func redirectError(w http.ResponseWriter, r *http.Request, req authRequest, code, description string) {
	redirectWith(w, r, req, url.Values{"error": {code}, "error_description": {description}})
}

func redirectWith(w http.ResponseWriter, r *http.Request, req authRequest, params url.Values) {
	fakepage.Redirect(w, r, req.redirectURI, req.state, params) // validated in handleAuthorize
}

// gc drops expired sign-in requests, codes and tokens; f.mu must be held.
func (f *Fake) gc() {
	now := f.now()
	for k, p := range f.pending {
		if !now.Before(p.expires) {
			delete(f.pending, k)
		}
	}
	for k, c := range f.codes {
		if !now.Before(c.expires) {
			delete(f.codes, k)
		}
	}
	for _, m := range []map[string]*grantToken{f.access, f.refresh} {
		for k, t := range m {
			if !now.Before(t.expires) {
				delete(m, k)
			}
		}
	}
}

type pageUser struct {
	Subject, Name, Email string
	Unverified, Selected bool
}

type pageData = fakepage.Data[pageUser]

func page(w http.ResponseWriter, status int, data pageData) {
	fakepage.Write(w, status, pageTemplate, data)
}

var pageTemplate = template.Must(template.New("authorize").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to Fake OpenID Provider</title>
<style>
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", sans-serif; background: #f3f4f6; color: #111827; margin: 0; }
main { max-width: 28rem; margin: 3rem auto; background: #fff; border: 1px solid #d1d5db; border-radius: 8px; padding: 1.5rem 2rem; }
h1 { font-size: 1.3rem; font-weight: 400; }
.banner { background: #fef9c3; border: 1px solid #ca8a04; border-radius: 6px; padding: .5rem .75rem; font-size: .85rem; }
.error { background: #fee2e2; border: 1px solid #f87171; border-radius: 6px; padding: .75rem; }
label { display: block; padding: .4rem 0; }
.muted { color: #6b7280; font-size: .9rem; }
code { background: #f3f4f6; padding: 0 .25rem; border-radius: 3px; }
.buttons { display: flex; gap: .75rem; margin-top: 1.25rem; }
button { font-size: 1rem; padding: .45rem 1rem; border-radius: 6px; border: 1px solid #d1d5db; background: #f9fafb; cursor: pointer; }
button.primary { background: #2563eb; border-color: #1d4ed8; color: #fff; }
</style>
</head>
<body>
<main>
<p class="banner">This is a <strong>Fake OpenID Provider</strong>, a local stand-in used by tests and demos. No real account is involved.</p>
{{if .Error}}
<h1>Something went wrong</h1>
<p class="error">{{.Error}}</p>
{{else}}
<h1>Sign in to <strong>{{.AppName}}</strong></h1>
<p>Client <code>{{.ClientID}}</code> will be redirected to <code>{{.Redirect}}</code>.</p>
<p>Requested scopes: {{range $i, $s := .Scopes}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}</p>
<form method="post" action="authorize">
<input type="hidden" name="request" value="{{.Request}}">
<fieldset>
<legend>Sign in as</legend>
{{range .Users}}<label><input type="radio" name="subject" value="{{.Subject}}"{{if .Selected}} checked{{end}}> <strong>{{.Name}}</strong> <span class="muted">{{.Email}}{{if .Unverified}} (unverified){{end}}</span></label>
{{end}}</fieldset>
<div class="buttons">
<button class="primary" type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</div>
</form>
{{end}}
</main>
</body>
</html>
`))
