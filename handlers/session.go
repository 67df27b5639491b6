package handlers

import (
	"errors"
	"net/http"
	"time"
)

// cookieSession holds the browser session of the connected-apps page.
const cookieSession = "mcpgate_session"

// sessionTTL is how long a sign-in to the connected-apps page lasts. It
// is short: the page can revoke every grant of the account.
const sessionTTL = 30 * time.Minute

// session is a person signed in to the connected-apps page through an
// upstream provider. It exists only in the browser's cookie: nothing is
// stored server-side, and the upstream token of the sign-in is dropped.
type session struct {
	// UserID is the stable user identifier (provider + ":" + subject), the
	// Grant.UserID of the person's grants.
	UserID string
	// Provider is the name of the provider the person signed in with.
	Provider string
	// Display is what the page calls the person: login, e-mail address,
	// name or subject, the first that the provider returned.
	Display string
	// ExpiresAt is when the session ends, on the handlers' clock.
	ExpiresAt time.Time
}

// sessionCookie is the value of the session cookie.
type sessionCookie struct {
	U string `json:"u"`
	P string `json:"p"`
	D string `json:"d,omitempty"`
	E int64  `json:"e"` // expiry, Unix seconds
}

// sessions writes and reads the session cookie: a securecookie value
// (encrypted and authenticated with keys derived from the server secret)
// that is HttpOnly, SameSite=Lax and, on https, __Host- prefixed. The
// expiry is inside the value and checked against the injected clock;
// securecookie's own timestamp check (on the wall clock) backs it up.
type sessions struct {
	jar *cookieJar
	now func() time.Time
}

// errNoSession means the request carries no usable session: none, a
// tampered one, one made under a retired secret, or an expired one.
var errNoSession = errors.New("no session")

// start signs the browser in as s, for sessionTTL from now. s.ExpiresAt
// is ignored.
func (m sessions) start(w http.ResponseWriter, s session) error {
	exp := m.now().Add(sessionTTL)
	return m.jar.set(w, cookieSession, sessionCookie{U: s.UserID, P: s.Provider, D: s.Display, E: exp.Unix()}, sessionTTL)
}

// get returns the browser's live session. present reports whether the
// request carried a session cookie at all, usable or not.
func (m sessions) get(r *http.Request) (s session, present bool, err error) {
	var c sessionCookie
	switch err := m.jar.get(r, cookieSession, &c, sessionTTL); {
	case errors.Is(err, errNoCookie):
		return session{}, false, errNoSession
	case err != nil:
		return session{}, true, errNoSession
	}
	exp := time.Unix(c.E, 0)
	if c.U == "" || c.P == "" || !m.now().Before(exp) {
		return session{}, true, errNoSession
	}
	return session{UserID: c.U, Provider: c.P, Display: c.D, ExpiresAt: exp}, true, nil
}

// end signs the browser out.
func (m sessions) end(w http.ResponseWriter) {
	m.jar.clear(w, cookieSession)
}
