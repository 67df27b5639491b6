package fakegithub

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/upstream/internal/fakepage"
)

// handleAuthorize is GET /login/oauth/authorize (RFC 6749 §4.1.1). The
// client and redirect URI are checked before anything is redirected; a
// PKCE challenge, when sent, must use S256 (RFC 7636 §4.3).
func (f *Fake) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Get("client_id") != f.opts.ClientID {
		f.authorizePage(w, http.StatusNotFound, pageData{Error: "No OAuth application has the client_id " + fakepage.Quote(q.Get("client_id")) + "."})
		return
	}
	redirect, ok := fakepage.ParseRedirectURI(q.Get("redirect_uri"))
	if !ok {
		f.authorizePage(w, http.StatusBadRequest, pageData{Error: fakepage.BadRedirectURI})
		return
	}
	req := authRequest{
		clientID:      f.opts.ClientID,
		redirectURI:   q.Get("redirect_uri"),
		state:         q.Get("state"),
		scopes:        parseScopes(q.Get("scope")),
		codeChallenge: q.Get("code_challenge"),
		login:         q.Get("login"),
		expires:       f.now().Add(pendingTTL),
	}
	method := q.Get("code_challenge_method")
	switch {
	case req.codeChallenge == "" && method == "":
	case method != "S256":
		redirectError(w, r, req, "invalid_request", "code_challenge_method must be S256.")
		return
	case !verifierPattern.MatchString(req.codeChallenge) || len(req.codeChallenge) != 43:
		redirectError(w, r, req, "invalid_request", "code_challenge must be a base64url SHA-256 digest.")
		return
	}
	if f.opts.AutoApprove {
		f.approve(w, r, req, f.opts.DefaultLogin)
		return
	}
	f.gcPending()
	id := newSecret("")
	f.pending[id] = &req
	preselect := f.opts.DefaultLogin
	if req.login != "" && f.user(req.login) != nil {
		preselect = req.login
	}
	data := pageData{
		AppName:  f.opts.AppName,
		ClientID: req.clientID,
		Redirect: redirect.Scheme + "://" + redirect.Host,
		Scopes:   req.scopes,
		Request:  id,
	}
	for _, u := range f.sortedUsers() {
		data.Users = append(data.Users, pageUser{Login: u.Login, Name: u.Name, Selected: strings.EqualFold(u.Login, preselect)})
	}
	f.authorizePage(w, http.StatusOK, data)
}

// handleAuthorizeDecision is the sign-in form's POST: request (the pending
// request ID), login and decision ("approve" or "deny").
func (f *Fake) handleAuthorizeDecision(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		f.authorizePage(w, http.StatusBadRequest, pageData{Error: "The form could not be read."})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := r.PostForm.Get("request")
	req := f.pending[id]
	delete(f.pending, id)
	if req == nil || !f.now().Before(req.expires) {
		f.authorizePage(w, http.StatusBadRequest, pageData{Error: "This sign-in request is unknown or has expired. Start again from the application."})
		return
	}
	switch r.PostForm.Get("decision") {
	case "approve":
		login := r.PostForm.Get("login")
		if f.user(login) == nil {
			f.authorizePage(w, http.StatusBadRequest, pageData{Error: "Unknown user " + fakepage.Quote(login) + "."})
			return
		}
		f.approve(w, r, *req, login)
	case "deny":
		redirectError(w, r, *req, "access_denied", "The user has denied your application access.")
	default:
		f.authorizePage(w, http.StatusBadRequest, pageData{Error: "Choose Authorize or Cancel."})
	}
}

// approve issues a code for login and redirects back (RFC 6749 §4.1.2);
// f.mu must be held.
func (f *Fake) approve(w http.ResponseWriter, r *http.Request, req authRequest, login string) {
	u := f.user(login)
	if u == nil {
		f.authorizePage(w, http.StatusBadRequest, pageData{Error: "Unknown user " + fakepage.Quote(login) + "."})
		return
	}
	f.gcPending()
	code := newSecret("")[:20]
	req.expires = f.now().Add(codeTTL)
	f.codes[code] = &authCode{authRequest: req, login: u.Login}
	f.counts.Authorizations++
	redirectWith(w, r, req, url.Values{"code": {code}})
}

// redirectError sends an RFC 6749 §4.1.2.1 error back to the client.
func redirectError(w http.ResponseWriter, r *http.Request, req authRequest, code, description string) {
	redirectWith(w, r, req, url.Values{
		"error":             {code},
		"error_description": {description},
		"error_uri":         {"https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors"},
	})
}

func redirectWith(w http.ResponseWriter, r *http.Request, req authRequest, params url.Values) {
	fakepage.Redirect(w, r, req.redirectURI, req.state, params) // validated in handleAuthorize
}

// gcPending drops expired sign-in requests and codes; f.mu must be held.
func (f *Fake) gcPending() {
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
}

func (f *Fake) sortedUsers() []*User {
	out := make([]*User, 0, len(f.users))
	for _, u := range f.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *User) int { return strings.Compare(strings.ToLower(a.Login), strings.ToLower(b.Login)) })
	return out
}

type pageUser struct {
	Login, Name string
	Selected    bool
}

type pageData = fakepage.Data[pageUser]

func (f *Fake) authorizePage(w http.ResponseWriter, status int, data pageData) {
	data.Site = f.opts.SiteName
	fakepage.Write(w, status, pageTemplate, data)
}

var pageTemplate = template.Must(template.New("authorize").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to {{.Site}}</title>
<style>
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", sans-serif; background: #f6f8fa; color: #1f2328; margin: 0; }
main { max-width: 28rem; margin: 3rem auto; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 1.5rem 2rem; }
h1 { font-size: 1.3rem; font-weight: 400; }
.banner { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: .5rem .75rem; font-size: .85rem; }
.error { background: #ffebe9; border: 1px solid #ff8182; border-radius: 6px; padding: .75rem; }
label { display: block; padding: .4rem 0; }
code { background: #eff1f3; padding: 0 .25rem; border-radius: 3px; }
.buttons { display: flex; gap: .75rem; margin-top: 1.25rem; }
button { font-size: 1rem; padding: .45rem 1rem; border-radius: 6px; border: 1px solid #d0d7de; background: #f6f8fa; cursor: pointer; }
button.primary { background: #1f883d; border-color: #1a7f37; color: #fff; }
</style>
</head>
<body>
<main>
<p class="banner">This is <strong>{{.Site}}</strong>, a local stand-in for GitHub used by tests and demos. No real account is involved.</p>
{{if .Error}}
<h1>Something went wrong</h1>
<p class="error">{{.Error}}</p>
{{else}}
<h1>Authorize <strong>{{.AppName}}</strong></h1>
<p>Client ID <code>{{.ClientID}}</code> will be redirected to <code>{{.Redirect}}</code>.</p>
<p>Requested scopes: {{if .Scopes}}{{range $i, $s := .Scopes}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}{{else}}none (public data only){{end}}</p>
<form method="post" action="/login/oauth/authorize">
<input type="hidden" name="request" value="{{.Request}}">
<fieldset>
<legend>Sign in as</legend>
{{range .Users}}<label><input type="radio" name="login" value="{{.Login}}"{{if .Selected}} checked{{end}}> <strong>{{.Login}}</strong> {{.Name}}</label>
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
