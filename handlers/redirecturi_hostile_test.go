package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// The rules these tests pin (see redirecturi.go):
//
//   - Registration accepts only RFC 3986 characters (no white space,
//     control, non-ASCII or backslash), no user information, no fragment,
//     and a host that is a plain DNS name (ASCII labels, no empty label, so
//     no trailing dot) or an IP address. Internationalised names are
//     registered in their A-label form (xn--…), which the consent page shows
//     as it is, so a lookalike cannot pass for the real name.
//   - Scheme and host are case-insensitive in RFC 3986, but matching at
//     /authorize is an exact string comparison, case included: a requested
//     URI must be spelt exactly as registered. The only exceptions are the
//     port of an http loopback URI (RFC 8252 §7.3), where everything else
//     must still be spelt identically, and Claude's two callbacks.
//   - A URI that is valid but odd (upper case, dot segments, encoded
//     slashes) may be registered: it stays on the host it names, and only
//     that very string ever matches it.

// hostileURI is a redirect URI an attacker might try.
type hostileURI struct {
	name, uri string
}

// hostileRegistrations are redirect URIs that registration must refuse.
func hostileRegistrations() []hostileURI {
	return []hostileURI{
		{"userinfo before the real host", "https://claude.ai@evil.com/cb"},
		{"fragment hiding the authority", "https://evil.com#@claude.ai/cb"},
		{"userinfo with a port", "https://claude.ai:443@evil.com"},
		{"userinfo with an encoded slash", "https://claude.ai%2F@evil.com"},
		{"backslash before @", `https://claude.ai\@evil.com`},
		{"backslash in the host", `https://evil.com\.claude.ai/cb`},
		{"backslash in the path", `https://claude.ai/cb\..\..\evil`},
		{"fragment", "https://claude.ai/cb#x"},
		{"empty fragment", "https://claude.ai/cb#"},
		{"Cyrillic a in the host", "https://cl\u0430ude.ai/cb"},
		{"percent-encoded Cyrillic a in the host", "https://cl%D0%B0ude.ai/cb"},
		{"fullwidth letter in the host", "https://\uff43laude.ai/cb"},
		{"zero-width space in the host", "https://claude\u200b.ai/cb"},
		{"percent-encoded dot in the host", "https://claude%2Eai/cb"},
		{"javascript", "javascript:alert(1)"},
		{"javascript with an authority", "javascript://claude.ai/%0aalert(1)"},
		{"javascript in upper case", "JAVASCRIPT:alert(1)"},
		{"data", "data:text/html,<script>alert(1)</script>"},
		{"data base64", "data:text/html;base64,PHNjcmlwdD4="},
		{"file", "file:///etc/passwd"},
		{"vbscript", "vbscript:msgbox(1)"},
		{"dot-less private scheme", "cursor://callback"},
		{"private scheme naming a hostile host", "com.example.app://evil.com;script-src/cb"},
		{"loopback name as a subdomain", "http://localhost.evil.com/cb"},
		{"loopback address as a subdomain", "http://127.0.0.1.nip.io/cb"},
		{"IPv6 loopback as a subdomain", "http://[::1].evil.com/cb"},
		{"short IPv4 loopback", "http://127.1/cb"},
		{"hexadecimal IPv4 loopback", "http://0x7f000001/cb"},
		{"decimal IPv4 loopback", "http://2130706433/cb"},
		{"octal IPv4 loopback", "http://0177.0.0.1/cb"},
		{"other loopback address", "http://127.0.0.2/cb"},
		{"IPv4-mapped IPv6 loopback", "http://[::ffff:127.0.0.1]/cb"},
		{"IPv6 loopback with a zone", "http://[::1%25eth0]/cb"},
		{"loopback userinfo", "http://localhost:80@evil.com/"},
		{"loopback trailing dot", "http://localhost./cb"},
		{"http off loopback", "http://claude.ai/cb"},
		{"trailing dot", "https://claude.ai./cb"},
		{"empty label", "https://claude..ai/cb"},
		{"leading dot", "https://.claude.ai/cb"},
		{"wildcard host", "https://*.claude.ai/cb"},
		{"host breaking a CSP", "https://evil.com;script-src/cb"},
		{"quote in the host", "https://evil.com'x/cb"},
		{"space", "https://claude.ai/c b"},
		{"leading space", " https://claude.ai/cb"},
		{"trailing space", "https://claude.ai/cb "},
		{"tab", "https://claude.ai/\tcb"},
		{"header injection", "https://claude.ai/cb\r\nLocation: https://evil.com"},
		{"NUL", "https://claude.ai/cb\x00"},
		{"DEL", "https://claude.ai/cb\x7f"},
		{"no-break space", "https://claude.ai/cb\u00a0"},
		{"right-to-left override", "https://claude.ai/\u202ebc"},
		{"invalid UTF-8", "https://claude.ai/cb\xff"},
		{"angle brackets", "https://claude.ai/<cb>"},
		{"overlong", "https://claude.ai/" + strings.Repeat("a", maxRedirectURILen)},
		{"scheme-relative", "//claude.ai/cb"},
		{"relative", "/cb"},
		{"opaque https", "https:claude.ai/cb"},
		{"https without a host", "https:///cb"},
		{"empty", ""},
	}
}

// hostileRedirectURIs are the URIs of hostileRegistrations (fuzz seeds).
func hostileRedirectURIs() []string {
	var out []string
	for _, h := range hostileRegistrations() {
		out = append(out, h.uri)
	}
	return out
}

func TestHostileRedirectURIsRefusedAtRegistration(t *testing.T) {
	for _, tt := range hostileRegistrations() {
		t.Run(tt.name, func(t *testing.T) {
			if err := validateRedirectURI(tt.uri); err == nil {
				t.Fatalf("validateRedirectURI(%q) accepted it", tt.uri)
			}
			s := newTestServer(t, nil)
			body, err := json.Marshal(map[string]any{"redirect_uris": []string{tt.uri}, "token_endpoint_auth_method": "none"})
			if err != nil {
				t.Fatal(err)
			}
			e := wantOAuthError(t, postRegister(s, string(body)), http.StatusBadRequest, wire.InvalidRedirectURI)
			if !strings.HasPrefix(e.ErrorDescription, "redirect_uris[0] ") {
				t.Errorf("description %q does not name the URI", e.ErrorDescription)
			}
			if len(tt.uri) > 8 && strings.Contains(e.ErrorDescription, tt.uri) {
				t.Errorf("description %q echoes the URI", e.ErrorDescription)
			}
			if clients, _ := s.store.ListClients(context.Background()); len(clients) != 0 {
				t.Errorf("a refused registration was stored")
			}
		})
	}
}

// TestOddRedirectURIsRegisterAsThemselves pins what registration accepts
// although it looks unusual: each URI stays on the host it names and
// matches only itself.
func TestOddRedirectURIsRegisterAsThemselves(t *testing.T) {
	tests := []struct {
		name, uri, display string
	}{
		{"upper-case scheme and host", "HTTPS://CLAUDE.AI/cb", "CLAUDE.AI"},
		{"A-label of a lookalike", "https://xn--clude-5ve.ai/cb", "xn--clude-5ve.ai"},
		{"dot segments", "https://claude.ai/cb/../evil", "claude.ai"},
		{"encoded slashes", "https://claude.ai/cb%2F..%2F..", "claude.ai"},
		{"explicit default port", "https://claude.ai:443/cb", "claude.ai:443"},
		{"upper-case loopback", "HTTP://LOCALHOST:8080/cb", "LOCALHOST:8080"},
		{"private-use scheme naming a host", "com.example.app://claude.ai/cb", "com.example.app:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, tt.uri)
			stored, err := s.store.GetClient(context.Background(), c.ID)
			if err != nil || len(stored.RedirectURIs) != 1 || stored.RedirectURIs[0] != tt.uri {
				t.Fatalf("stored %q, %v; want exactly %q", stored.RedirectURIs, err, tt.uri)
			}
			if got := redirectDisplay(tt.uri); got != tt.display {
				t.Errorf("the consent page shows %q, want %q", got, tt.display)
			}
		})
	}
}

// hostileRequests are redirect URIs an attacker might put in an
// authorization request of a client that registered hostileRegistered;
// none may match.
func hostileRequests() []hostileURI {
	const claude = "https://claude.ai/api/mcp/auth_callback"
	const loop = "http://localhost:6274/oauth/callback"
	out := []hostileURI{
		{"userinfo", "https://claude.ai@evil.com/api/mcp/auth_callback"},
		{"fragment hiding the authority", "https://evil.com#@claude.ai/api/mcp/auth_callback"},
		{"userinfo with a port", "https://claude.ai:443@evil.com/api/mcp/auth_callback"},
		{"userinfo with an encoded slash", "https://claude.ai%2F@evil.com/api/mcp/auth_callback"},
		{"backslash", `https://claude.ai\@evil.com/api/mcp/auth_callback`},
		{"fragment", claude + "#x"},
		{"empty fragment", claude + "#"},
		{"mixed-case host", "https://Claude.ai/api/mcp/auth_callback"},
		{"upper-case host", "https://CLAUDE.AI/api/mcp/auth_callback"},
		{"upper-case scheme", "HTTPS://claude.ai/api/mcp/auth_callback"},
		{"mixed-case path", "https://claude.ai/api/mcp/Auth_callback"},
		{"explicit default port", "https://claude.ai:443/api/mcp/auth_callback"},
		{"other port", "https://claude.ai:8443/api/mcp/auth_callback"},
		{"Cyrillic a", "https://cl\u0430ude.ai/api/mcp/auth_callback"},
		{"A-label of the lookalike", "https://xn--clude-5ve.ai/api/mcp/auth_callback"},
		{"trailing dot", "https://claude.ai./api/mcp/auth_callback"},
		{"http downgrade", "http://claude.ai/api/mcp/auth_callback"},
		{"path traversal", claude + "/../evil"},
		{"encoded path traversal", claude + "%2F..%2F..%2Fevil"},
		{"encoded letter", "https://claude.ai/api/mcp/auth%5Fcallback"},
		{"trailing slash", claude + "/"},
		{"extra query", claude + "?next=https://evil.com"},
		{"empty query", claude + "?"},
		{"suffix", claude + "x"},
		{"other Claude host", "https://claude.co/api/mcp/auth_callback"},
		{"Claude twin with a slash", "https://claude.com/api/mcp/auth_callback/"},
		{"javascript", "javascript:alert(1)"},
		{"data", "data:text/html,x"},
		{"file", "file:///api/mcp/auth_callback"},
		{"trailing space", claude + " "},
		{"header injection", claude + "\r\nLocation: https://evil.com"},
		{"overlong", claude + "?" + strings.Repeat("a", maxRedirectURILen)},
		{"loopback subdomain", "http://localhost.evil.com:6274/oauth/callback"},
		{"loopback nip.io", "http://127.0.0.1.nip.io:6274/oauth/callback"},
		{"other loopback name", "http://127.0.0.1:6274/oauth/callback"},
		{"IPv6 loopback instead", "http://[::1]:6274/oauth/callback"},
		{"short IPv4 loopback", "http://127.1:6274/oauth/callback"},
		{"hexadecimal IPv4 loopback", "http://0x7f000001:6274/oauth/callback"},
		{"decimal IPv4 loopback", "http://2130706433:6274/oauth/callback"},
		{"loopback userinfo", "http://localhost:80@evil.com/oauth/callback"},
		{"loopback upper-case scheme", "HTTP://localhost:1/oauth/callback"},
		{"loopback upper-case host", "http://LOCALHOST:1/oauth/callback"},
		{"loopback https", "https://localhost:6274/oauth/callback"},
		{"loopback path traversal", "http://localhost:1/oauth/callback/../../evil"},
		{"loopback encoded path", "http://localhost:1/oauth/%63allback"},
		{"loopback query", loop + "?x=1"},
		{"loopback port zero", "http://localhost:0/oauth/callback"},
		{"loopback port too large", "http://localhost:65536/oauth/callback"},
		{"loopback signed port", "http://localhost:+1/oauth/callback"},
		{"loopback trailing dot", "http://localhost.:1/oauth/callback"},
		{"private scheme in upper case", "COM.EXAMPLE.APP:/oauth"},
		{"private scheme with an authority", "com.example.app://oauth"},
		{"private scheme path traversal", "com.example.app:/oauth/../x"},
	}
	for _, h := range hostileRegistrations() {
		out = append(out, hostileURI{"registration: " + h.name, h.uri})
	}
	return out
}

// hostileRegistered is what the client under attack registered.
func hostileRegistered() []string {
	return []string{"https://claude.ai/api/mcp/auth_callback", "http://localhost:6274/oauth/callback", "com.example.app:/oauth"}
}

func TestHostileRedirectURIsDoNotMatch(t *testing.T) {
	registered := hostileRegistered()
	for _, tt := range hostileRequests() {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := matchRedirectURI(registered, tt.uri); ok || got != "" {
				t.Fatalf("matchRedirectURI(%q) = %q, %v; want no match", tt.uri, got, ok)
			}
		})
	}
}

func TestHostileRedirectURIsShowErrorPage(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, hostileRegistered()...)
	for _, tt := range hostileRequests() {
		t.Run(tt.name, func(t *testing.T) {
			_, challenge := pkce()
			c.RedirectURI = tt.uri
			wantErrorPage(t, s.browserGet("/authorize", authParams(c, challenge)), http.StatusBadRequest, "did not register")
		})
	}
	// The same client still works with what it registered, so the page
	// above is the redirect URI's doing.
	for _, ok := range []string{"https://claude.com/api/mcp/auth_callback", "http://localhost:1/oauth/callback", "com.example.app:/oauth"} {
		_, challenge := pkce()
		c.RedirectURI = ok
		if resp := s.browserGet("/authorize", authParams(c, challenge)); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d, want the consent page", ok, resp.StatusCode)
		}
	}
}
