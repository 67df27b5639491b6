package handlers

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages renders the HTML pages (consent and errors) from the embedded
// templates. Pages are self-contained: inline CSS, an inline SVG, no
// external asset, no script. html/template escapes every value.
type pages struct {
	service   string
	templates map[string]*template.Template
}

// Template names.
const (
	tmplConsent = "consent"
	tmplError   = "error"
)

func newPages(service string) (*pages, error) {
	p := &pages{service: service, templates: make(map[string]*template.Template)}
	for _, name := range []string{tmplConsent, tmplError} {
		t, err := template.ParseFS(templateFS, "templates/base.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("handlers: parsing template %s: %w", name, err)
		}
		p.templates[name] = t
	}
	return p, nil
}

// pageBase is what every page shows: the service name and the title.
type pageBase struct {
	Service string
	Title   string
}

// errorView is the data of the error page.
type errorView struct {
	pageBase
	Message string
	Hint    string
	Status  int
	// Link and LinkText, when set, offer one way on (back to the client).
	Link     template.URL
	LinkText string
}

// pageError is an error shown to the person in the browser instead of a
// redirect: an unknown client, an unregistered redirect URI, an expired
// sign-in. It says what happened and what to do.
type pageError struct {
	Status  int
	Title   string
	Message string
	Hint    string
	// Link, when set, is shown as a link labelled LinkText. It must be a
	// URL the server chose or validated (a registered redirect URI): it is
	// rendered as trusted, since html/template would otherwise blank the
	// private-use schemes of native apps.
	Link     string
	LinkText string
}

// errorPage shows e.
func (p *pages) errorPage(w http.ResponseWriter, e pageError) {
	if e.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "5")
	}
	p.render(w, e.Status, tmplError, errorView{
		pageBase: pageBase{Service: p.service, Title: e.Title},
		Message:  e.Message,
		Hint:     e.Hint,
		Status:   e.Status,
		Link:     template.URL(e.Link),
		LinkText: e.LinkText,
	}, nil)
}

// render writes the named page with the HTML security headers. formAction
// lists the extra CSP form-action sources the page's form may end up at.
// The page is rendered into a buffer first, so a template failure is a
// clean 500 instead of half a page.
func (p *pages) render(w http.ResponseWriter, status int, name string, data any, formAction []string) {
	var buf bytes.Buffer
	if err := p.templates[name].ExecuteTemplate(&buf, "base", data); err != nil {
		setHTMLHeaders(w, nil)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	setHTMLHeaders(w, formAction)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) // a write error means the browser went away
}

// setHTMLHeaders sets the headers every HTML page carries (MCP security
// best practices, "Consent UI Requirements"; OWASP secure headers):
//
//   - a Content-Security-Policy that allows nothing but inline styles and
//     same-origin or data: images, forbids framing (frame-ancestors
//     'none', the clickjacking defence for the consent page) and base
//     tags, and lets forms submit only to this server. Browsers apply
//     form-action to every redirect that follows a form submission too, so
//     the consent page adds the origins its POST may be redirected to (the
//     identity providers' authorization endpoints and the client's
//     redirect URI);
//   - X-Frame-Options DENY for browsers without frame-ancestors;
//   - nosniff, no referrer (URLs carry state and codes), no caching.
func setHTMLHeaders(w http.ResponseWriter, formAction []string) {
	sources := append([]string{"'self'"}, formAction...)
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action "+
		strings.Join(sources, " ")+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}
