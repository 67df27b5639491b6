package handlers

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// connectionsView is the data of the connected-apps page.
type connectionsView struct {
	pageBase
	SignedIn bool
	CSRF     string

	// Signed out.
	Providers []providerView
	// Ended says the browser held a session that is no longer valid.
	Ended bool

	// Signed in.
	Account      string
	ProviderName string
	Flash        string
	Apps         []appView
}

// appView is one client with the grants it holds.
type appView struct {
	ClientID string
	Name     string
	// NameIsID: the client has no usable name; Name is its ID.
	NameIsID bool
	// Deleted: the registration is gone; the grants remain until revoked
	// or expired.
	Deleted bool
	// Unavailable: the client's metadata document cannot be read now.
	Unavailable   bool
	RedirectHosts []string
	Grants        []grantView
}

// grantView is one grant of a client.
type grantView struct {
	ID       string
	Scopes   []scopeView
	Provider string
	Created  string
	LastUsed string
	created  time.Time
}

func (h *connectionsHandler) showList(w http.ResponseWriter, r *http.Request, sess session) {
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	log := h.Logger.With(slog.String("user_id", sess.UserID))
	grants, err := h.Grants.ListGrants(ctx, sess.UserID, "")
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "listing the user's grants failed", slog.String("error", err.Error()))
		h.Pages.errorPage(w, connectionsUnavailable())
		return
	}
	apps, err := h.apps(r.Context(), grants)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "client lookup for the connected-apps page failed", slog.String("error", err.Error()))
		h.Pages.errorPage(w, connectionsUnavailable())
		return
	}
	csrf, err := h.CSRF.token(w, r, csrfScopeConnectionsUser+sess.UserID)
	if err != nil {
		h.internalError(w, r, "connected apps: CSRF cookie", err)
		return
	}
	view := connectionsView{
		pageBase:     pageBase{Service: h.Pages.service, Title: "Connected applications"},
		SignedIn:     true,
		CSRF:         csrf,
		Account:      sess.Display,
		ProviderName: h.providerDisplay(sess.Provider),
		Flash:        h.takeFlash(w, r),
		Apps:         apps,
	}
	h.Pages.render(w, http.StatusOK, tmplConnections, view, nil)
}

// apps groups grants by client, names each client and orders them by
// name; a client's grants come newest first.
func (h *connectionsHandler) apps(ctx context.Context, grants []tokens.Grant) ([]appView, error) {
	index := map[string]int{}
	var apps []appView
	for _, g := range grants {
		i, ok := index[g.ClientID]
		if !ok {
			app, err := h.describeClient(ctx, g.ClientID)
			if err != nil {
				return nil, err
			}
			i = len(apps)
			index[g.ClientID] = i
			apps = append(apps, app)
		}
		apps[i].Grants = append(apps[i].Grants, h.grantView(g))
	}
	slices.SortFunc(apps, func(a, b appView) int {
		return cmp.Or(
			compareBool(a.Deleted, b.Deleted),
			cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)),
			cmp.Compare(a.ClientID, b.ClientID))
	})
	for _, app := range apps {
		slices.SortFunc(app.Grants, func(a, b grantView) int {
			return cmp.Or(b.created.Compare(a.created), cmp.Compare(a.ID, b.ID))
		})
	}
	return apps, nil
}

// describeClient names the client id. A deleted registration is "Deleted
// application"; a metadata document that cannot be read now leaves the
// document's address as the name. Only a store failure is an error.
func (h *connectionsHandler) describeClient(ctx context.Context, id string) (appView, error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	c, err := h.Clients.GetClient(ctx, id)
	switch {
	case err == nil:
		app := appView{ClientID: id, Name: strings.TrimSpace(c.Name)}
		if app.Name == "" {
			app.Name, app.NameIsID = id, true
		}
		for _, u := range c.RedirectURIs {
			if host := redirectDisplay(u); !slices.Contains(app.RedirectHosts, host) {
				app.RedirectHosts = append(app.RedirectHosts, host)
			}
		}
		return app, nil
	case isMetadataURL(id):
		return appView{ClientID: id, Name: id, NameIsID: true, Unavailable: true}, nil
	case isNotFound(err):
		return appView{ClientID: id, Name: deletedClientName, Deleted: true}, nil
	}
	return appView{}, err
}

func (h *connectionsHandler) grantView(g tokens.Grant) grantView {
	v := grantView{
		ID:       g.ID,
		Scopes:   describeScopes(g.Scopes, h.ScopeDescriptions),
		Provider: h.providerDisplay(g.Provider),
		Created:  displayTime(g.CreatedAt),
		LastUsed: "never",
		created:  g.CreatedAt,
	}
	if !g.LastUsedAt.IsZero() {
		v.LastUsed = displayTime(g.LastUsedAt)
	}
	return v
}

// displayTime formats a time for the page, in UTC.
func displayTime(t time.Time) string {
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
