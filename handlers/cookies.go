package handlers

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/mcpgate/mcpgate/tokens"
)

// Cookie names, without the "__Host-" prefix that is added when the issuer
// is https (RFC 6265bis §4.1.3.2: such a cookie must be Secure, have Path=/
// and no Domain, so no subdomain can set or shadow it), and without the
// port suffix of an http loopback issuer (see newIssuerCookieJar).
const (
	cookieConsent = "mcpgate_consent"
	cookieCSRF    = "mcpgate_csrf"
	cookieState   = "mcpgate_state"
)

// consentTTL is how long a browser remembers that it approved a client.
const consentTTL = 30 * 24 * time.Hour

// csrfTTL is how long a consent form may sit in a browser before it is
// submitted.
const csrfTTL = 24 * time.Hour

// cookieJar writes and reads mcpgate's browser cookies. Every value is a
// gorilla/securecookie value: JSON, encrypted (AES-256) and authenticated
// (HMAC-SHA256) with keys derived from the server secret, with a timestamp
// checked against maxAge. After a secret rotation, cookies made under a
// previous secret still decode (DecodeMulti tries every key pair) and new
// ones use the current secret. The cookie name is inside the MAC, so one
// cookie can never be replayed as another.
type cookieJar struct {
	secure bool // the issuer is https: Secure and the __Host- prefix
	suffix string
	pairs  [][]byte
}

func newCookieJar(keys *tokens.Keyring, secure bool) *cookieJar {
	return &cookieJar{secure: secure, pairs: keys.CookieKeyPairs()}
}

// newIssuerCookieJar is the jar of the server at issuer. On https every
// cookie is Secure and __Host- prefixed. An http issuer is on a loopback
// host (configuration refuses any other), where neither is possible: a
// browser drops Secure cookies from http, and cookies do not isolate by
// port (RFC 6265 §8.5), so every program listening on that loopback host
// receives them. That is acceptable for local use: such a program already
// runs on the person's machine; the values are encrypted and
// authenticated (it can neither read nor forge them); the state cookie
// alone completes nothing without the upstream code, which the identity
// provider sends to mcpgate's own callback; and a remembered consent only
// skips a page for a client and redirect URI that the person approved.
// What port-blindness would break is two local instances (a demo and a
// development server) overwriting each other's cookies, so there each
// name carries the issuer's port.
func newIssuerCookieJar(keys *tokens.Keyring, issuer string) *cookieJar {
	u, err := url.Parse(issuer)
	if err == nil && u.Scheme == "https" {
		return newCookieJar(keys, true)
	}
	j := newCookieJar(keys, false)
	port := "80"
	if err == nil && u.Port() != "" {
		port = u.Port()
	}
	j.suffix = "_" + port
	return j
}

// name is the cookie name as the browser sees it.
func (j *cookieJar) name(base string) string {
	if j.secure {
		return "__Host-" + base
	}
	return base + j.suffix
}

// codecs builds the codecs for one cookie kind: the timestamp inside the
// value is checked against maxAge, whatever the browser does with the
// cookie's own Max-Age.
func (j *cookieJar) codecs(maxAge time.Duration) []securecookie.Codec {
	codecs := securecookie.CodecsFromPairs(j.pairs...)
	for _, c := range codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.MaxAge(int(maxAge / time.Second))
			sc.SetSerializer(securecookie.JSONEncoder{})
		}
	}
	return codecs
}

// set encodes value into the cookie base: HttpOnly, SameSite=Lax (sent on
// the top-level navigations that bring the browser back from the client and
// from the identity provider, never on cross-site subrequests or POSTs),
// Path=/.
func (j *cookieJar) set(w http.ResponseWriter, base string, value any, maxAge time.Duration) error {
	name := j.name(base)
	encoded, err := securecookie.EncodeMulti(name, value, j.codecs(maxAge)...)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    encoded,
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   j.secure,
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// errNoCookie means the cookie is absent; any other error from get means it
// is present but tampered with, expired or made under a retired secret.
var errNoCookie = errors.New("cookie not present")

// get decodes the cookie base into dst.
func (j *cookieJar) get(r *http.Request, base string, dst any, maxAge time.Duration) error {
	name := j.name(base)
	c, err := r.Cookie(name)
	if err != nil {
		return errNoCookie
	}
	return securecookie.DecodeMulti(name, c.Value, dst, j.codecs(maxAge)...)
}

// clear deletes the cookie base.
func (j *cookieJar) clear(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{
		Name:     j.name(base),
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   j.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// randomToken returns 32 bytes from crypto/rand as base64url without
// padding (256 bits: state values, browser bindings, nonces, CSRF values).
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never returns an error
	return base64.RawURLEncoding.EncodeToString(b)
}
