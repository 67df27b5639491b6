package handlers

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// The consent defence (MCP security best practices, "Confused Deputy
// Problem"): mcpgate signs every user in upstream with one static client ID
// per provider, so an identity provider's "already authorized" shortcut
// must never let a newly registered client obtain a code silently. The
// person therefore approves each client on our own page before the browser
// goes upstream, and the approval is remembered per browser, per client and
// per redirect URI in a signed, encrypted cookie.
//
// Re-registration (issue 14). Claude's connector registers a fresh client
// now and then (one operator counted 16 registrations in 11 days for one
// person), each with the same client_name and the same redirect URI, and
// would otherwise meet the consent page every time. So an approval is also
// remembered under the client's name, redirect URI, scopes and provider
// (reregistrationKey), and a new registration that repeats all four finds
// it: no consent page. This is safe because the confused-deputy risk is
// about who receives the authorization code, and the code can only reach
// the exact redirect URI (https, not loopback) that the person already
// approved for a client of that name: whoever registers again with that
// URI can only send the code to that URI's owner, who already holds the
// person's approval. The name alone proves nothing (anyone can register
// any name) and is never enough. The consent page stays whenever the
// redirect URI, the scopes or the provider differ, for loopback and http
// redirect URIs (any program on a machine can listen on a loopback port),
// and for client ID metadata documents (their client ID is stable, so the
// per-client approval already applies).

// maxConsentEntries bounds the consent cookie (Claude registers a new
// client on every fresh connection; the oldest approvals are dropped
// first). 24 entries, each with its re-registration key, encode to about
// 3 KB, under the 4 KB a browser keeps per cookie.
const maxConsentEntries = 24

// consentEntry is one remembered approval. Key is a SHA-256 digest of the
// client ID and the exact redirect URI (truncated to 128 bits), which keeps
// the cookie small whatever the length of either; the cookie is encrypted,
// so the digest is only about size, not secrecy.
type consentEntry struct {
	Key string `json:"k"`
	// Again is the approval's reregistrationKey, when the client may be
	// recognised at a re-registration.
	Again string `json:"n,omitempty"`
	At    int64  `json:"t"` // approval time, Unix seconds
}

// consentCookie is the value of the consent cookie.
type consentCookie struct {
	Entries []consentEntry `json:"a"`
}

// consentMemory reads and writes the consent cookie.
type consentMemory struct {
	jar *cookieJar
	now func() time.Time
}

func consentKey(clientID, redirectURI string) string {
	sum := sha256.Sum256([]byte(clientID + "\x00" + redirectURI))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// reregistrationKey names an approval by what a re-registration of the
// same client repeats: its client_name, the redirect URI and scopes
// (subject, consentSubject) and the provider; "" when the client cannot be
// recognised that way (no name, a metadata-document client, a loopback or
// non-https redirect URI). Like consentKey it is a truncated SHA-256.
func reregistrationKey(c tokens.Client, redirectURI, subject, provider string) string {
	u, err := url.Parse(redirectURI)
	if c.Name == "" || strings.HasPrefix(c.ID, "https://") || err != nil || u.Scheme != "https" || isLoopbackHost(u.Hostname()) {
		return ""
	}
	sum := sha256.Sum256([]byte("again\x00" + c.Name + "\x00" + subject + "\x00" + provider))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// load returns the live entries of the browser's consent cookie; a missing,
// tampered or expired cookie is no approval at all.
func (m consentMemory) load(r *http.Request) []consentEntry {
	var c consentCookie
	if err := m.jar.get(r, cookieConsent, &c, consentTTL); err != nil {
		return nil
	}
	cutoff := m.now().Add(-consentTTL).Unix()
	live := c.Entries[:0]
	for _, e := range c.Entries {
		if e.At > cutoff && e.Key != "" {
			live = append(live, e)
		}
	}
	return live
}

// approved reports whether this browser approved clientID with redirectURI.
func (m consentMemory) approved(r *http.Request, clientID, redirectURI string) bool {
	key := consentKey(clientID, redirectURI)
	for _, e := range m.load(r) {
		if tokens.HashEqual(e.Key, key) {
			return true
		}
	}
	return false
}

// approvedAgain reports whether this browser approved an earlier
// registration with reregistration key again (never for "").
func (m consentMemory) approvedAgain(r *http.Request, again string) bool {
	if again == "" {
		return false
	}
	for _, e := range m.load(r) {
		if e.Again != "" && tokens.HashEqual(e.Again, again) {
			return true
		}
	}
	return false
}

// remember records an approval, with its reregistration key again (or
// ""), keeping the newest maxConsentEntries.
func (m consentMemory) remember(w http.ResponseWriter, r *http.Request, clientID, redirectURI, again string) error {
	key := consentKey(clientID, redirectURI)
	entries := []consentEntry{}
	for _, e := range m.load(r) {
		if e.Key != key {
			entries = append(entries, e)
		}
	}
	entries = append(entries, consentEntry{Key: key, Again: again, At: m.now().Unix()})
	if len(entries) > maxConsentEntries {
		entries = entries[len(entries)-maxConsentEntries:]
	}
	return m.jar.set(w, cookieConsent, consentCookie{Entries: entries}, consentTTL)
}

// csrfGuard protects the consent form with a signed double submit: the
// browser holds a random value in the CSRF cookie (securecookie, HttpOnly),
// and the form carries HMAC(server key, client_id, that value). A POST must
// present both, and they must agree. Another site can make the browser
// send the cookie (SameSite=Lax forbids even that for a cross-site POST)
// but can neither read it nor compute the form value, and a form value for
// one client does not approve another.
type csrfGuard struct {
	jar  *cookieJar
	keys *tokens.Keyring
}

// csrfCookie is the value of the CSRF cookie.
type csrfCookie struct {
	V string `json:"v"`
}

func csrfInput(clientID, value string) string {
	return "csrf\x00" + clientID + "\x00" + value
}

// token returns the form value for clientID, (re)setting the browser's
// CSRF cookie. An existing valid cookie keeps its value, so consent pages
// open in several tabs all stay valid.
func (g csrfGuard) token(w http.ResponseWriter, r *http.Request, clientID string) (string, error) {
	var c csrfCookie
	if err := g.jar.get(r, cookieCSRF, &c, csrfTTL); err != nil || c.V == "" {
		c = csrfCookie{V: randomToken()}
	}
	if err := g.jar.set(w, cookieCSRF, c, csrfTTL); err != nil {
		return "", err
	}
	return g.keys.Hash(csrfInput(clientID, c.V)), nil
}

// check reports whether formValue is the CSRF value of this browser for
// clientID (under the current or a previous server secret).
func (g csrfGuard) check(r *http.Request, clientID, formValue string) bool {
	if formValue == "" {
		return false
	}
	var c csrfCookie
	if err := g.jar.get(r, cookieCSRF, &c, csrfTTL); err != nil || c.V == "" {
		return false
	}
	ok := false
	for _, h := range g.keys.Hashes(csrfInput(clientID, c.V)) {
		if tokens.HashEqual(h, formValue) {
			ok = true
		}
	}
	return ok
}

// consentView is the data of the consent page.
type consentView struct {
	pageBase
	ClientName   string
	NameIsID     bool // the client gave no name; ClientName is its ID
	ClientID     string
	RedirectHost string
	RedirectURI  string
	Loopback     bool
	Scopes       []scopeView
	Providers    []providerView
	Tools        *ConsentTools // consent_tools.go
	Fields       []hiddenField
	CSRF         string
}

type scopeView struct {
	Name        string
	Description string
}

type providerView struct {
	Name        string
	DisplayName string
}

type hiddenField struct {
	Name  string
	Value string
}

// builtinScopeDescription describes the scopes mcpgate ships with; a
// Config may describe others (Config.ScopeDescriptions).
func builtinScopeDescription(scope string) (string, bool) {
	switch scope {
	case "mcp:read":
		return "Read data in your account through this server's tools", true
	case "mcp:write":
		return "Make changes in your account through this server's tools (create issues, comment, …)", true
	case "mcp":
		return "Use this server's tools on your behalf", true
	}
	return "", false
}

// describeScopes returns the human description of each scope.
func describeScopes(scopes []string, custom map[string]string) []scopeView {
	out := make([]scopeView, 0, len(scopes))
	for _, s := range scopes {
		d, ok := custom[s]
		if !ok {
			d, ok = builtinScopeDescription(s)
		}
		if !ok {
			d = "Permission " + s
		}
		out = append(out, scopeView{Name: s, Description: d})
	}
	return out
}
