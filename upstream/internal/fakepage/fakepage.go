package fakepage

import (
	"html/template"
	"net/http"
	"net/url"
)

// Data is what a sign-in page shows: an error alone, or the request to
// approve with the accounts to choose from (U is a fake's account row).
type Data[U any] struct {
	// Site is the fake's own name on the page ("Fake GitHub", or "Demo
	// GitHub" in `mcpgate demo`), where a template shows it.
	Site     string
	Error    string
	AppName  string
	ClientID string
	Redirect string // the redirect URI's origin
	Scopes   []string
	Users    []U
	Request  string // the pending request's ID, posted back with the choice
}

// Write sends the page t renders from data with status. The page is never
// cached (it carries a one-time request ID), never framed (clickjacking),
// loads nothing but its inline style and sends no Referer. It has no
// form-action directive: browsers apply it to every redirect that follows
// the form POST (to the relying party's callback and on to its own
// client), whose origins the page cannot know.
func Write[U any](w http.ResponseWriter, status int, t *template.Template, data Data[U]) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}

// maxQuoted bounds how much of a request value an error page repeats.
const maxQuoted = 80

// Quote quotes a value from the request for an error page, cut to
// maxQuoted bytes.
func Quote(s string) string {
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "…"
	}
	return `"` + s + `"`
}

// BadRedirectURI is the error page's text for a redirect URI that
// ParseRedirectURI refuses.
const BadRedirectURI = "The redirect_uri is missing or is not an absolute http(s) URL."

// ParseRedirectURI parses a client's redirect URI: it must be an absolute
// http or https URL with a host and without a fragment (RFC 6749 §3.1.2).
// The fakes accept any such URI, as a provider with a wildcard
// registration would; nothing is redirected to a URI it refuses.
func ParseRedirectURI(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || raw == "" || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" || u.Fragment != "" {
		return nil, false
	}
	return u, true
}

// Redirect sends the authorization response to redirectURI, which
// ParseRedirectURI has accepted: params added to its query, and state when the
// request carried one.
func Redirect(w http.ResponseWriter, r *http.Request, redirectURI, state string, params url.Values) {
	u, _ := url.Parse(redirectURI)
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}
