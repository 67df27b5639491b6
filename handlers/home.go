package handlers

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/mcpgate/mcpgate/handlers/protected"
)

// Paths of the pages for a person who opens the server's URL in a browser.
const (
	pathHome    = "/{$}"
	pathFavicon = "/favicon.ico"
	tmplHome    = "home"
)

// homeHandler serves GET / for a person who opens the public URL in a
// browser: a small page naming the server, its MCP URL (what to paste into
// a client) and /connections. It shows nothing about the visitor and sets
// no cookie. GET /favicon.ico answers 204 No Content, so browsers stop
// asking without a 404 in the logs.
type homeHandler struct {
	Issuer string
	Pages  *pages
}

// homeView is the data of the home page.
type homeView struct {
	pageBase
	MCPURL         string
	ConnectionsURL string
}

// addHomePage parses the home page's template into pg.
func addHomePage(pg *pages) error {
	t, err := template.ParseFS(templateFS, "templates/base.html", "templates/"+tmplHome+".html")
	if err != nil {
		return fmt.Errorf("handlers: parsing template %s: %w", tmplHome, err)
	}
	pg.templates[tmplHome] = t
	return nil
}

// Mount registers GET / (exactly; other paths stay 404) and GET
// /favicon.ico.
func (h *homeHandler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+pathHome, h.home)
	mux.HandleFunc("GET "+pathFavicon, favicon)
}

func (h *homeHandler) home(w http.ResponseWriter, _ *http.Request) {
	h.Pages.render(w, http.StatusOK, tmplHome, homeView{
		pageBase:       pageBase{Service: h.Pages.service, Title: "MCP server"},
		MCPURL:         h.Issuer + protected.PathMCP,
		ConnectionsURL: h.Issuer + pathConnections,
	}, nil)
}

// favicon answers 204: there is no icon, and a day's caching keeps
// browsers from asking on every page.
func favicon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.WriteHeader(http.StatusNoContent)
}
