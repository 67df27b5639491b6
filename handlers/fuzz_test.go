package handlers

// Fuzz targets for the surfaces that parse what strangers send: client
// registration metadata, redirect URIs (validation and matching), the RFC
// 8707 resource parameter, token requests (form bodies and HTTP Basic
// credentials) and the Authorization header of /mcp. Each target checks
// properties of the answer, not only the absence of a panic. scripts/fuzz
// runs them for longer; scripts/test runs each for a few seconds. Inputs that
// once failed live in testdata/fuzz/<target>/ and run with every go test.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/safehttp"
	"github.com/mcpgate/mcpgate/internal/testlog"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	"github.com/mcpgate/mcpgate/upstream"
)

// fuzzAS is the whole HTTP surface (New over the memory store) shared by
// every input of one fuzz target: building it per input would spend the
// fuzzer's time in set-up. The clock is fixed.
type fuzzAS struct {
	handler http.Handler
	store   *memory.Store
	keys    *tokens.Keyring
	now     time.Time
	log     *testlog.Buffer
}

func newFuzzAS(f *testing.F) *fuzzAS {
	f.Helper()
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { return now }
	store := memory.New(clock)
	f.Cleanup(func() { store.Close() })
	keys, err := tokens.NewKeyring([]byte("mcpgate fuzz targets: a fixed server secret"))
	if err != nil {
		f.Fatalf("NewKeyring: %v", err)
	}
	log := &testlog.Buffer{}
	h, err := New(Config{
		Issuer:          asTestIssuer,
		Store:           store,
		Keys:            keys,
		Providers:       []upstream.Provider{newFakeProvider("github", "GitHub", asTestIdP)},
		MCPServer:       mcp.NewServer(&mcp.Implementation{Name: "mcpgate-fuzz", Version: "0.0.1"}, nil),
		ScopesSupported: []string{"mcp:read", "mcp:write"},
		DefaultScopes:   []string{"mcp:read"},
		Logger:          slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelError})),
		Now:             clock,
		// A fuzz target makes no network call: a client_id that is an https
		// URL (a metadata document) is answered as a host off the public
		// internet is, a definite refusal. Without this, the production
		// fetcher's DNS lookup fails on a machine without a resolver, and
		// /token rightly answers 503 for a document host it cannot reach.
		// Fetching documents is tested in cimd_test.go.
		FetchClientMetadata: func(context.Context, string) ([]byte, http.Header, error) {
			return nil, nil, safehttp.ErrForbiddenAddress
		},
	})
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	return &fuzzAS{handler: h, store: store, keys: keys, now: now, log: log}
}

// serve runs one request and returns the status, headers and body.
func (s *fuzzAS) serve(r *http.Request) (*http.Response, []byte) {
	s.log.Reset()
	resp := mcptest.ServeBounded(s.handler, r).Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// wantJSONError checks an RFC 6749 §5.2 error answer: JSON, no-store, an
// error code among codes and a description.
func wantJSONError(t *testing.T, resp *http.Response, body []byte, codes ...string) wire.ErrorBody {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d: Content-Type %q, want application/json; body %q", resp.StatusCode, ct, body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("status %d: Cache-Control %q, want no-store", resp.StatusCode, cc)
	}
	var e wire.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("status %d: error body %q is not JSON: %v", resp.StatusCode, body, err)
	}
	if !slices.Contains(codes, e.Error) {
		t.Fatalf("status %d: error %q (%s), want one of %q", resp.StatusCode, e.Error, e.ErrorDescription, codes)
	}
	if e.ErrorDescription == "" {
		t.Fatalf("status %d: error %q without error_description", resp.StatusCode, e.Error)
	}
	return e
}

// uriChar reports whether c may appear in a URI (RFC 3986 §2: unreserved,
// reserved, and % of percent-encoding).
func uriChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
}

// plainHost reports whether host (without brackets and port) is a DNS name
// of non-empty labels of ASCII letters, digits and '-', or an IP address.
func plainHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return !strings.Contains(host, "%") // no IPv6 zone
	}
	if host == "" {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// redirectRuleBroken restates the documented redirect URI rules
// (redirecturi.go) independently of validateRedirectURI and returns the
// first one raw breaks, or "".
func redirectRuleBroken(raw string) string {
	if raw == "" || len(raw) > maxRedirectURILen {
		return "empty or longer than the limit"
	}
	for i := 0; i < len(raw); i++ {
		if !uriChar(raw[i]) {
			return "a character outside RFC 3986"
		}
	}
	if strings.Contains(raw, "#") {
		return "a fragment"
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return "not an absolute URI"
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return "user information"
	}
	if u.Host != "" && !plainHost(u.Hostname()) {
		return "a host that is neither a DNS name nor an IP address"
	}
	switch u.Scheme {
	case "https":
		if u.Opaque != "" || u.Host == "" {
			return "https without a host"
		}
	case "http":
		if u.Opaque != "" {
			return "opaque http"
		}
		switch strings.ToLower(u.Hostname()) {
		case "localhost", "127.0.0.1", "::1":
		default:
			return "http off loopback"
		}
	default:
		if !strings.Contains(u.Scheme, ".") {
			return "a scheme that is neither https, loopback http nor reverse-DNS"
		}
	}
	return ""
}

// FuzzRedirectURIValidation: whatever validateRedirectURI accepts follows
// every documented rule, and what the consent page shows of it and puts in
// its Content-Security-Policy cannot mislead or break out.
func FuzzRedirectURIValidation(f *testing.F) {
	for _, seed := range append(hostileRedirectURIs(),
		"https://claude.ai/api/mcp/auth_callback", "http://localhost:6274/oauth/callback",
		"http://127.0.0.1:33418/cb", "http://[::1]:8080/cb", "com.example.app:/oauth2redirect",
		"com.example.app://callback", "HTTPS://APP.EXAMPLE.COM/cb?x=1", "https://xn--clude-5ve.ai/cb",
		"com.attacker.app://claude.ai/cb", "https://[2001:db8::1]/cb", "https://a.example/%41%zz",
	) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if err := validateRedirectURI(raw); err != nil {
			if len(raw) >= 12 && !strings.Contains(raw, " ") && strings.Contains(err.Error(), raw) {
				t.Fatalf("the error %q echoes the URI", err)
			}
			return
		}
		if broken := redirectRuleBroken(raw); broken != "" {
			t.Fatalf("validateRedirectURI(%q) accepted %s", raw, broken)
		}
		u, _ := url.Parse(raw)
		display, origin := redirectDisplay(raw), redirectOrigin(raw)
		switch u.Scheme {
		case "https", "http":
			wantOrigin := u.Scheme + "://" + u.Host
			if strings.HasPrefix(u.Host, "[") {
				wantOrigin = u.Scheme + ":" // CSP cannot spell IPv6 literals
			}
			if display != u.Host || origin != wantOrigin {
				t.Fatalf("%q: display %q, CSP source %q; want the host", raw, display, origin)
			}
		default:
			// A private-use URI goes to the app owning the scheme, whatever
			// host it names: the page shows the scheme, never that host.
			if display != u.Scheme+":" || origin != u.Scheme+":" {
				t.Fatalf("%q: display %q, CSP source %q; want the scheme %q", raw, display, origin, u.Scheme+":")
			}
		}
		if strings.ContainsAny(origin, " ;,'\"") {
			t.Fatalf("%q: CSP source %q would break the policy", raw, origin)
		}
		if !isLoopbackRedirect(raw) && u.Scheme == "http" {
			t.Fatalf("%q is http but not shown as a loopback redirect", raw)
		}
	})
}

// loopbackWithoutPort splits an http loopback URI at its port: it returns
// the URI with ":port" removed and true, or false when uri is not
// "http://" + loopback host (in any case) + optional port + the rest.
func loopbackWithoutPort(uri string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, "http://")
	if !ok {
		return "", false
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	host := authority
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.HasSuffix(authority, "]") {
		host = authority[:i]
	}
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "[::1]":
		return "http://" + host + tail, true
	}
	return "", false
}

// FuzzRedirectURIMatch: a requested redirect URI matches a registered one
// only when it is that very string, Claude's other callback, or the same
// http loopback URI spelt identically except for the port (RFC 8252 §7.3).
// In particular it never matches another host.
func FuzzRedirectURIMatch(f *testing.F) {
	pairs := [][2]string{
		{"https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"},
		{"http://localhost:6274/oauth/callback", "http://localhost:1/oauth/callback"},
		{"http://localhost/cb", "http://localhost:/cb"},
		{"http://127.0.0.1:5000/cb", "http://127.0.0.1/cb"},
		{"http://[::1]:1000/cb?a=1", "http://[::1]:2000/cb?a=1"},
		{"HTTP://localhost:1/cb", "http://localhost:2/cb"},
		{"http://LOCALHOST:1/cb", "http://localhost:2/cb"},
		{"http://LocalHost:1/cb", "http://LocalHost:2/cb"},
		{"http://localhost:1/cb", "http://localhost:2/cb/../evil"},
		{"http://localhost:1/cb", "http://localhost:2/%63b"},
		{"https://a.example/cb", "https://A.example/cb"},
		{"https://a.example/cb", ""},
		{"com.example.app:/oauth", "com.example.app:/oauth"},
	}
	for _, p := range pairs {
		f.Add(p[0], p[1])
	}
	for _, h := range hostileRedirectURIs() {
		f.Add("https://claude.ai/cb", h)
	}
	f.Fuzz(func(t *testing.T, registered, requested string) {
		got, ok := matchRedirectURI([]string{registered}, requested)
		if !ok {
			if got != "" {
				t.Fatalf("no match but %q returned", got)
			}
			return
		}
		if requested == "" {
			if got != registered {
				t.Fatalf("omitted redirect_uri resolved to %q, want the registered %q", got, registered)
			}
			return
		}
		if got != requested {
			t.Fatalf("matchRedirectURI returned %q, want the requested %q", got, requested)
		}
		if err := validateRedirectURI(requested); err != nil {
			t.Fatalf("matched a requested URI that is invalid: %v", err)
		}
		if requested == registered || claudeTwins(registered, requested) {
			return
		}
		reg, regOK := loopbackWithoutPort(registered)
		req, reqOK := loopbackWithoutPort(requested)
		if !regOK || !reqOK || reg != req {
			t.Fatalf("%q matched registered %q, but they differ by more than the loopback port", requested, registered)
		}
	})
}

// FuzzResourceNormalisation: normaliseResource is idempotent, and the
// resource set accepts a value only if it names this server's MCP endpoint
// (or another accepted endpoint) or its origin: same scheme, host and
// effective port, no user info, query or fragment, and one of the accepted
// paths with at most one trailing slash.
func FuzzResourceNormalisation(f *testing.F) {
	for _, seed := range []string{
		"https://mcp.example.com/mcp", "https://mcp.example.com/mcp/", "HTTPS://MCP.Example.COM:443/mcp",
		"https://mcp.example.com", "https://mcp.example.com/", "https://mcp.example.com/mcp//",
		"https://mcp.example.com//", "https://mcp.example.com/sse", "https://mcp.example.com/%6dcp",
		"https://mcp.example.com/mcp?", "https://mcp.example.com/mcp#x", "https://u@mcp.example.com/mcp",
		"https://:443/mcp", "https://[]/", "http://[fe80::1%25en0]:8080/mcp", "https://a%25b.example/",
		"https://%C3%A9.example/", "http://localhost:8080/mcp", "http://LOCALHOST:8080/mcp/",
		"http://[::1]:80/mcp", "urn:x", "", "/mcp", "https://mcp.example.com:0443/mcp",
	} {
		f.Add(seed)
	}
	var sets []resourceSet
	for _, issuer := range []string{"https://mcp.example.com", "http://localhost:8080", "http://[::1]"} {
		rs, err := newResourceSet(issuer)
		if err != nil {
			f.Fatalf("newResourceSet(%q): %v", issuer, err)
		}
		sets = append(sets, rs)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, err := normaliseResource(raw)
		if err == nil {
			n2, err := normaliseResource(n)
			if err != nil || n2 != n {
				t.Fatalf("normaliseResource(%q) = %q, but normaliseResource(%q) = %q, %v", raw, n, n, n2, err)
			}
		}
		for _, rs := range sets {
			if !rs.accepts(raw) {
				continue
			}
			if err != nil {
				t.Fatalf("%q accepted but does not normalise: %v", raw, err)
			}
			if why := resourceMismatch(rs, raw); why != "" {
				t.Fatalf("resource set of %s accepted %q: %s", rs.canonical, raw, why)
			}
			if got, oerr := rs.resolve([]string{raw}); oerr != nil || got != rs.canonical {
				t.Fatalf("resolve(%q) = %q, %v; want %q", raw, got, oerr, rs.canonical)
			}
		}
	})
}

// resourceMismatch checks raw against the resource set's canonical URL with
// url.Parse alone: what differs, or "".
func resourceMismatch(rs resourceSet, raw string) string {
	want, err := url.Parse(rs.canonical)
	if err != nil {
		return err.Error()
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "does not parse: " + err.Error()
	}
	defaultPort := map[string]string{"https": "443", "http": "80"}
	port := u.Port()
	if port == defaultPort[strings.ToLower(u.Scheme)] {
		port = ""
	}
	var paths []string
	for _, a := range rs.accepted {
		au, err := url.Parse(a)
		if err != nil {
			return err.Error()
		}
		paths = append(paths, au.EscapedPath(), au.EscapedPath()+"/")
	}
	switch {
	case !strings.EqualFold(u.Scheme, want.Scheme):
		return "another scheme"
	case !strings.EqualFold(u.Hostname(), want.Hostname()):
		return "another host"
	case port != want.Port():
		return "another port"
	case u.User != nil:
		return "user information"
	case u.RawQuery != "" || u.ForceQuery:
		return "a query"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "a fragment"
	case !slices.Contains(paths, u.EscapedPath()):
		return "another path"
	}
	return ""
}

// FuzzRegistrationMetadata posts arbitrary bodies to /register. The answer
// is 201 or 400, never anything else. A 201 has no null and no empty value,
// issues a secret exactly to confidential clients, and registers only
// redirect URIs that the request listed and that follow every rule; a 400
// is an RFC 7591 §3.2.2 JSON error.
func FuzzRegistrationMetadata(f *testing.F) {
	// Real clients' registrations must succeed.
	valid := []string{
		`{"redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"token_endpoint_auth_method":"client_secret_post","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"Claude"}`,
		`{"redirect_uris":["http://localhost:3335/oauth/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"MCP CLI Proxy","client_uri":"https://github.com/modelcontextprotocol/mcp-cli","software_id":"2e6dc280-f3c3-4e01-99a7-8181dbd1d23d","software_version":"0.1.43","scope":"openid email profile mcp:read"}`,
		`{"redirect_uris":["http://localhost:6274/oauth/callback","http://localhost:6274/oauth/callback/debug"],"token_endpoint_auth_method":"none","client_name":"MCP Inspector","jwks":{"keys":[]},"application_type":"native","contacts":["a@b.c"],"logo_uri":null,"client_uri":null}`,
		`{"redirect_uris":["com.example.app:/oauth2redirect"],"token_endpoint_auth_method":"client_secret_basic"}`,
		`{"redirect_uris":["https://a.example/cb","https://a.example/cb"],"grant_types":["authorization_code","authorization_code"]}`,
	}
	for _, seed := range append(valid,
		`{"redirect_uris":["https://claude.ai@evil.com/cb"]}`,
		`{"redirect_uris":["https://cl\u0430ude.ai/cb"]}`,
		`{"redirect_uris":["https://a.example/cb"],"client_name":"\u202eevil"}`,
		`{"redirect_uris":["https://a.example/cb"],"client_name":null,"scope":null,"redirect_uris":null}`,
		`{"REDIRECT_URIS":["https://a.example/cb"],"Token_Endpoint_Auth_Method":"none"}`,
		`{"redirect_uris":"https://a.example/cb"}`,
		`{"redirect_uris":["https://a.example/cb"],"client_uri":"https://u@x.example/"}`,
		`{"redirect_uris":["https://a.example/cb"]} `,
		`{"redirect_uris":[`+strings.Repeat(`"https://a.example/cb",`, 20)+`"https://a.example/x"]}`,
		`{"redirect_uris":["https://a.example/cb"],"client_name":"`+strings.Repeat("\u00e9", 101)+`"}`,
		`{"redirect_uris":["https://a.example/cb"],"software_id":"\ud800"}`,
		`{"redirect_uris":["https://a.example/cb"],"tos_uri":"https://a.example/`+strings.Repeat("t", maxWebURILen)+`"}`,
		`{"redirect_uris":["https://a.example/cb"],"contacts":[`+strings.Repeat(`"a@b.example",`, maxContacts)+`"a@b.example"]}`,
		`{"redirect_uris":["https://a.example/cb"],"contacts":"a@b.example","jwks_uri":{"x":1}}`,
		`{"redirect_uris":["https://a.example/cb"],"grant_types":[`+strings.Repeat(`"authorization_code",`, maxTypeEntries)+`"refresh_token"]}`,
		`{"redirect_uris":["https://a.example/cb"],"software_version":"`+strings.Repeat("1", maxSoftwareLen+1)+`"}`,
		`{"redirect_uris":["https://a.example/`+strings.Repeat("p", maxRedirectURILen)+`"]}`,
		`[]`, `null`, `{}`, ``, `{"a":1}{`, "\xef\xbb\xbf{}",
	) {
		f.Add(seed)
	}
	s := newFuzzAS(f)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		resp, out := s.serve(r)
		if slices.Contains(valid, body) && resp.StatusCode != http.StatusCreated {
			t.Fatalf("a real client's registration got %d: %s", resp.StatusCode, out)
		}
		switch resp.StatusCode {
		case http.StatusCreated:
			checkRegistration(t, s, body, out)
		case http.StatusBadRequest:
			wantJSONError(t, resp, out, wire.InvalidRedirectURI, wire.InvalidClientMetadata)
		default:
			t.Fatalf("status %d (want 201 or 400): %s\nserver log: %s", resp.StatusCode, out, s.log)
		}
	})
}

// checkRegistration checks a 201 answer to body and removes the client
// again (the store is shared by every input).
func checkRegistration(t *testing.T, s *fuzzAS, body string, out []byte) {
	t.Helper()
	var generic any
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		t.Fatalf("201 body %q is not JSON: %v", out, err)
	}
	if path := nullOrEmpty(generic, "$"); path != "" {
		t.Fatalf("201 body has a null or empty value at %s: %s", path, out)
	}
	var reg registrationResponse
	if err := json.Unmarshal(out, &reg); err != nil {
		t.Fatal(err)
	}
	var req registrationRequest
	if err := json.Unmarshal([]byte(strings.TrimSpace(body)), &req); err != nil {
		t.Fatalf("registered from a body that does not decode: %v", err)
	}
	t.Cleanup(func() { s.store.DeleteClient(context.Background(), reg.ClientID) })

	if !tokens.ValidID(reg.ClientID) {
		t.Fatalf("client_id %q is not a random ID", reg.ClientID)
	}
	switch reg.TokenEndpointAuthMethod {
	case authMethodNone:
		if reg.ClientSecret != "" || reg.ClientSecretExpiresAt != nil {
			t.Fatalf("a public client got a secret: %s", out)
		}
	case authMethodPost, authMethodBasic:
		if kind, _, err := tokens.Parse(reg.ClientSecret); err != nil || kind != tokens.KindClientSecret {
			t.Fatalf("client_secret %q is not a minted client secret", reg.ClientSecret)
		}
		if reg.ClientSecretExpiresAt == nil || *reg.ClientSecretExpiresAt != 0 {
			t.Fatalf("client_secret_expires_at missing or not 0: %s", out)
		}
	default:
		t.Fatalf("token_endpoint_auth_method %q", reg.TokenEndpointAuthMethod)
	}
	if len(reg.RedirectURIs) == 0 || len(reg.RedirectURIs) > maxRedirectURIs {
		t.Fatalf("%d redirect URIs registered", len(reg.RedirectURIs))
	}
	for i, u := range reg.RedirectURIs {
		if broken := redirectRuleBroken(u); broken != "" {
			t.Fatalf("registered redirect URI %q has %s", u, broken)
		}
		if !slices.Contains(req.RedirectURIs, u) || slices.Contains(reg.RedirectURIs[:i], u) {
			t.Fatalf("registered redirect URI %q was not requested, or twice", u)
		}
	}
	if !slices.Contains(reg.GrantTypes, grantAuthorizationCode) {
		t.Fatalf("grant_types %q lack authorization_code", reg.GrantTypes)
	}
	for _, g := range reg.GrantTypes {
		if g != grantAuthorizationCode && g != grantRefreshToken {
			t.Fatalf("grant_types %q", reg.GrantTypes)
		}
	}
	if !slices.Equal(reg.ResponseTypes, []string{"code"}) {
		t.Fatalf("response_types %q", reg.ResponseTypes)
	}
	for _, text := range []string{reg.ClientName, reg.SoftwareID, reg.SoftwareVersion} {
		if !displaySafe(text) {
			t.Fatalf("metadata text %q would be shown with control or bidi characters", text)
		}
	}
	if len(reg.ClientName) > maxClientNameLen || len(reg.SoftwareID) > maxSoftwareLen || len(reg.SoftwareVersion) > maxSoftwareLen ||
		len(reg.ClientURI) > maxWebURILen || len(reg.LogoURI) > maxWebURILen {
		t.Fatalf("metadata over its size limit: %s", out)
	}
	for _, u := range reg.RedirectURIs {
		if len(u) > maxRedirectURILen {
			t.Fatalf("redirect URI of %d bytes registered", len(u))
		}
	}
	for _, sc := range strings.Fields(reg.Scope) {
		if sc != "mcp:read" && sc != "mcp:write" {
			t.Fatalf("scope %q is not supported", sc)
		}
	}
	for _, w := range []string{reg.ClientURI, reg.LogoURI} {
		if u, err := url.Parse(w); w != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil) {
			t.Fatalf("client_uri/logo_uri %q is not an absolute http(s) URL", w)
		}
	}
	stored, err := s.store.GetClient(context.Background(), reg.ClientID)
	if err != nil {
		t.Fatalf("registered client not stored: %v", err)
	}
	if !slices.Equal(stored.RedirectURIs, reg.RedirectURIs) || stored.TokenEndpointAuthMethod != reg.TokenEndpointAuthMethod {
		t.Fatalf("stored %+v differs from the answer %s", stored, out)
	}
	if b, _ := json.Marshal(stored); len(b) > maxStoredClientBytes {
		t.Fatalf("a registration stores %d bytes, over the README's %d", len(b), maxStoredClientBytes)
	}
	if (reg.ClientSecret == "") != (stored.SecretHash == "") ||
		(reg.ClientSecret != "" && stored.SecretHash != s.keys.Hash(reg.ClientSecret)) {
		t.Fatalf("the secret is not stored as its keyed hash")
	}
}

// nullOrEmpty returns the path of the first null, empty string, empty
// array or empty object in v, or "".
func nullOrEmpty(v any, path string) string {
	switch v := v.(type) {
	case nil:
		return path
	case string:
		if v == "" {
			return path
		}
	case []any:
		if len(v) == 0 {
			return path
		}
		for i, e := range v {
			if p := nullOrEmpty(e, path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	case map[string]any:
		if len(v) == 0 {
			return path
		}
		for k, e := range v {
			if p := nullOrEmpty(e, path+"."+k); p != "" {
				return p
			}
		}
	}
	return ""
}

// displaySafe reports whether s is valid UTF-8 without control characters
// and without bidirectional formatting characters, which could reorder the
// text around it on the consent page.
func displaySafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return false
		}
	}
	return true
}

// Fixed credentials of the token endpoint target, so that corpus entries
// stay meaningful from one run to the next. Secrets end in 'a' so that
// their unused base32 bits are zero (Parse wants canonical encodings).
const (
	fuzzPublicClient       = "fuzzpublicclientaaaaaaaaaa"
	fuzzConfidentialClient = "fuzzconfidentialclientaaaa"
	fuzzClientSecret       = "mcpgate_cs_sssssssssssssssssssssssssssssssssssssssssssssssssssa"
	fuzzPublicGrant        = "fuzzpublicgrantaaaaaaaaaaa"
	fuzzConfidentialGrant  = "fuzzconfidentialgrantaaaaa"
	fuzzRedirectURI        = "http://localhost:3335/oauth/callback"
	fuzzVerifier           = "fuzz-verifier-of-forty-three-characters-or-more_~."
)

// fuzzToken is the fixed token of kind for grantID; c picks its secret.
func fuzzToken(kind tokens.Kind, grantID string, c byte) string {
	return tokens.Prefix + string(kind) + "_" + grantID + "_" + strings.Repeat(string(c), 51) + "a"
}

// fuzzTokenServer is the whole surface with a public and a confidential
// client, each with a grant holding a fresh code and a live token pair.
type fuzzTokenServer struct {
	*fuzzAS
}

func newFuzzTokenServer(f *testing.F) *fuzzTokenServer {
	f.Helper()
	s := &fuzzTokenServer{newFuzzAS(f)}
	ctx := context.Background()
	for _, c := range []tokens.Client{
		{ID: fuzzPublicClient, RedirectURIs: []string{fuzzRedirectURI}, TokenEndpointAuthMethod: authMethodNone},
		{ID: fuzzConfidentialClient, RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback"},
			TokenEndpointAuthMethod: authMethodPost, SecretHash: s.keys.Hash(fuzzClientSecret)},
	} {
		c.GrantTypes, c.ResponseTypes, c.CreatedAt = []string{grantAuthorizationCode, grantRefreshToken}, []string{"code"}, s.now
		if err := s.store.CreateClient(ctx, c); err != nil {
			f.Fatalf("CreateClient: %v", err)
		}
	}
	for _, tok := range []string{fuzzClientSecret, fuzzToken(tokens.KindCode, fuzzPublicGrant, 'c'), fuzzToken(tokens.KindRefresh, fuzzConfidentialGrant, 'r')} {
		if _, _, err := tokens.Parse(tok); err != nil {
			f.Fatalf("fixed token %q does not parse: %v", tok, err)
		}
	}
	return s
}

// reset gives both grants their fresh code and live token pair again, so
// that every input meets the same state whatever the previous one spent.
func (s *fuzzTokenServer) reset(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, g := range []struct{ id, client, redirect string }{
		{fuzzPublicGrant, fuzzPublicClient, fuzzRedirectURI},
		{fuzzConfidentialGrant, fuzzConfidentialClient, "https://claude.ai/api/mcp/auth_callback"},
	} {
		if err := s.store.RevokeGrant(ctx, g.id); err != nil {
			t.Fatalf("RevokeGrant: %v", err)
		}
		dk := tokens.NewDataKey()
		wrap := func(tok string) []byte {
			w, err := s.keys.WrapGrantKey(tok, g.id, dk)
			if err != nil {
				t.Fatalf("WrapGrantKey: %v", err)
			}
			return w
		}
		scopes := []string{"mcp:read", "mcp:write"}
		expires := s.now.Add(DefaultRefreshTTL)
		if err := s.store.CreateGrant(ctx, tokens.Grant{ID: g.id, ClientID: g.client, UserID: "github:4242", Provider: "github",
			Subject: "4242", Scopes: scopes, Resource: asTestResource, Upstream: []byte("sealed"), CreatedAt: s.now, ExpiresAt: expires}); err != nil {
			t.Fatalf("CreateGrant: %v", err)
		}
		code := fuzzToken(tokens.KindCode, g.id, 'c')
		if err := s.store.PutCode(ctx, s.keys.Hash(code), tokens.AuthCode{GrantID: g.id, ClientID: g.client, RedirectURI: g.redirect,
			CodeChallenge: oauth2.S256ChallengeFromVerifier(fuzzVerifier), Resource: asTestResource, Scopes: scopes,
			WrappedKey: wrap(code), ExpiresAt: s.now.Add(DefaultCodeTTL)}); err != nil {
			t.Fatalf("PutCode: %v", err)
		}
		at, rt := fuzzToken(tokens.KindAccess, g.id, 't'), fuzzToken(tokens.KindRefresh, g.id, 'r')
		if err := s.store.IssueTokens(ctx, g.id, tokens.Issue{
			AccessHash: s.keys.Hash(at),
			Access: tokens.AccessToken{GrantID: g.id, ClientID: g.client, UserID: "github:4242", Scopes: scopes,
				Resource: asTestResource, WrappedKey: wrap(at), ExpiresAt: s.now.Add(DefaultAccessTTL)},
			RefreshHash: s.keys.Hash(rt),
			Refresh: tokens.RefreshToken{GrantID: g.id, ClientID: g.client, Scopes: scopes, Resource: asTestResource,
				WrappedKey: wrap(rt), ExpiresAt: expires},
			GrantExpiresAt: expires,
		}); err != nil {
			t.Fatalf("IssueTokens: %v", err)
		}
	}
}

// FuzzTokenRequest posts arbitrary form bodies with arbitrary Content-Type
// and Authorization headers to /token. Every answer is JSON with no-store;
// a refusal is 400 (or 401 invalid_client, or 503) with an RFC 6749 §5.2
// error that never echoes a submitted value; a 200 is a token pair of this
// server for a client that authenticated properly.
func FuzzTokenRequest(f *testing.F) {
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const ct = "application/x-www-form-urlencoded"
	basic := func(id, secret string) string {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		return r.Header.Get("Authorization")
	}
	pubCode := fuzzToken(tokens.KindCode, fuzzPublicGrant, 'c')
	confCode := fuzzToken(tokens.KindCode, fuzzConfidentialGrant, 'c')
	// valid requests must succeed: without them the target would only
	// ever see refusals.
	valid := [][3]string{
		{ct, "", form("grant_type", "authorization_code", "client_id", fuzzPublicClient, "code", pubCode, "code_verifier", fuzzVerifier, "redirect_uri", fuzzRedirectURI, "resource", asTestResource)},
		{ct, "", form("grant_type", "authorization_code", "client_id", fuzzConfidentialClient, "client_secret", fuzzClientSecret, "code", confCode, "code_verifier", fuzzVerifier)},
		{ct, basic(fuzzConfidentialClient, fuzzClientSecret), form("grant_type", "authorization_code", "code", confCode, "code_verifier", fuzzVerifier)},
		{ct, "", form("grant_type", "refresh_token", "client_id", fuzzPublicClient, "refresh_token", fuzzToken(tokens.KindRefresh, fuzzPublicGrant, 'r'), "scope", "mcp:read")},
		{ct, basic(fuzzConfidentialClient, fuzzClientSecret), form("grant_type", "refresh_token", "refresh_token", fuzzToken(tokens.KindRefresh, fuzzConfidentialGrant, 'r'), "resource", asTestIssuer+"/")},
	}
	for _, seed := range append(valid, [][3]string{
		{ct, "", form("grant_type", "refresh_token", "client_id", fuzzPublicClient, "refresh_token", fuzzToken(tokens.KindRefresh, fuzzConfidentialGrant, 'r'))},
		{ct, "", form("grant_type", "authorization_code", "client_id", fuzzPublicClient, "code", pubCode, "code_verifier", strings.Repeat("x", 43))},
		{ct, "", form("grant_type", "authorization_code", "client_id", fuzzPublicClient, "client_secret", "x", "code", pubCode, "code_verifier", fuzzVerifier)},
		{ct, basic(fuzzConfidentialClient, "wrong"), form("grant_type", "refresh_token")},
		{ct, "Basic !!!", form("grant_type", "refresh_token")},
		{ct, "Basic " + "Zm9vOmJhcg==", form("grant_type", "refresh_token", "client_id", "other")},
		{ct, "Basic " + "JXp6OiV6eg==", ""},
		{ct, "basic", ""},
		{ct, "Bearer " + fuzzToken(tokens.KindAccess, fuzzPublicGrant, 't'), form("grant_type", "client_credentials")},
		{ct, "", "grant_type=authorization_code&grant_type=refresh_token"},
		{ct, "", "resource=a&resource=b&client_id=" + fuzzPublicClient + "&grant_type=refresh_token"},
		{ct, "", "%zz=1"},
		{ct + "; charset=utf-8", "", form("client_id", fuzzPublicClient)},
		{"application/json", "", `{"grant_type":"authorization_code"}`},
		{"", "", ""},
		{"multipart/form-data; boundary=x", "", "--x\r\n\r\n--x--"},
		{ct, "", form("grant_type", "refresh_token", "client_id", fuzzPublicClient, "refresh_token", "gho_16C7e42F292c6912E7710c838347Ae178B4a")},
	}...) {
		f.Add(seed[0], seed[1], seed[2])
	}
	s := newFuzzTokenServer(f)
	f.Fuzz(func(t *testing.T, contentType, authorization, body string) {
		s.reset(t)
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		resp, out := s.serve(r)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("status %d: Content-Type %q, Cache-Control %q", resp.StatusCode, ct, resp.Header.Get("Cache-Control"))
		}
		if slices.Contains(valid, [3]string{contentType, authorization, body}) && resp.StatusCode != http.StatusOK {
			t.Fatalf("a valid request got %d: %s", resp.StatusCode, out)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			// The handler parsed the form of its own copy of r (the
			// request-ID middleware adds to the context): parse it again.
			r.PostForm, _ = url.ParseQuery(body)
			checkTokenPair(t, r, out)
			return
		case http.StatusBadRequest:
			wantJSONError(t, resp, out, wire.InvalidRequest, wire.InvalidGrant, wire.InvalidScope, wire.InvalidTarget, wire.UnsupportedGrantType)
		case http.StatusUnauthorized:
			wantJSONError(t, resp, out, wire.InvalidClient)
			if usedBasic := len(authorization) >= 6 && strings.EqualFold(authorization[:6], "basic "); usedBasic != (resp.Header.Get("WWW-Authenticate") != "") {
				t.Fatalf("401 after Basic=%v with WWW-Authenticate %q", usedBasic, resp.Header.Get("WWW-Authenticate"))
			}
		case http.StatusServiceUnavailable:
			wantJSONError(t, resp, out, wire.TemporarilyUnavailable)
			t.Fatalf("503 from the memory store, which never fails\nserver log: %s", s.log)
		default:
			t.Fatalf("status %d: %s\nserver log: %s", resp.StatusCode, out, s.log)
		}
		// Descriptions are fixed sentences: no submitted token, code or
		// secret comes back.
		values, _ := url.ParseQuery(body)
		var secrets []string
		for _, vs := range values {
			for _, v := range vs {
				if _, _, err := tokens.Parse(v); err == nil {
					secrets = append(secrets, v)
				}
			}
		}
		if _, pass, ok := r.BasicAuth(); ok && len(pass) >= 8 {
			secrets = append(secrets, pass)
		}
		for _, v := range secrets {
			if bytes.Contains(out, []byte(v)) {
				t.Fatalf("the error echoes the submitted secret %q: %s", v, out)
			}
		}
	})
}

// checkTokenPair checks a 200 from /token: a fresh pair of this server's
// tokens, and the request proved the client (its secret, for the
// confidential one).
func checkTokenPair(t *testing.T, r *http.Request, out []byte) {
	t.Helper()
	var tr tokenResponse
	if err := json.Unmarshal(out, &tr); err != nil {
		t.Fatalf("200 body %q: %v", out, err)
	}
	if kind, _, err := tokens.Parse(tr.AccessToken); err != nil || kind != tokens.KindAccess {
		t.Fatalf("access_token %q is not an access token", tr.AccessToken)
	}
	if kind, _, err := tokens.Parse(tr.RefreshToken); err != nil || kind != tokens.KindRefresh {
		t.Fatalf("refresh_token %q is not a refresh token", tr.RefreshToken)
	}
	if tr.TokenType != "Bearer" || tr.ExpiresIn <= 0 {
		t.Fatalf("token_type %q, expires_in %d", tr.TokenType, tr.ExpiresIn)
	}
	_, grantID, _ := tokens.Parse(tr.AccessToken)
	if grantID == fuzzConfidentialGrant {
		user, pass, basic := r.BasicAuth()
		user, _ = url.QueryUnescape(user)
		pass, _ = url.QueryUnescape(pass)
		if !(basic && user == fuzzConfidentialClient && pass == fuzzClientSecret) &&
			!(r.PostForm.Get("client_id") == fuzzConfidentialClient && r.PostForm.Get("client_secret") == fuzzClientSecret) {
			t.Fatalf("tokens of the confidential client issued without its secret")
		}
	}
}
