package handlers

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/internal/safehttp"
	"github.com/mcpgate/mcpgate/tokens"
)

const cimdAppRedirect = "https://app.example.net/oauth/callback"

// cimdDoc is one document served by cimdDocServer.
type cimdDoc struct {
	body         string
	contentType  string
	cacheControl string
	status       int
	location     string // a redirect target, with status 302
}

// cimdDocServer serves client ID metadata documents over TLS on loopback
// and counts the requests per path.
type cimdDocServer struct {
	*httptest.Server
	mu      sync.Mutex
	docs    map[string]cimdDoc
	fetches map[string]int
}

func newCIMDDocServer(t *testing.T) *cimdDocServer {
	t.Helper()
	d := &cimdDocServer{docs: map[string]cimdDoc{}, fetches: map[string]int{}}
	d.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.fetches[r.URL.Path]++
		doc, ok := d.docs[r.URL.Path]
		d.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if doc.location != "" {
			http.Redirect(w, r, doc.location, http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", doc.contentType)
		if doc.cacheControl != "" {
			w.Header().Set("Cache-Control", doc.cacheControl)
		}
		if doc.status != 0 {
			w.WriteHeader(doc.status)
		}
		w.Write([]byte(doc.body))
	}))
	t.Cleanup(d.Close)
	return d
}

// serve publishes doc at path and returns its URL.
func (d *cimdDocServer) serve(path string, doc cimdDoc) string {
	if doc.contentType == "" {
		doc.contentType = "application/json"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.docs[path] = doc
	return d.URL + path
}

// serveFile publishes testdata/cimd/name at path, with its client_id set
// to the URL it is served from.
func (d *cimdDocServer) serveFile(t *testing.T, path, name, cacheControl string) string {
	t.Helper()
	return d.serve(path, cimdDoc{body: cimdTestdata(t, name, d.URL+path), cacheControl: cacheControl})
}

func (d *cimdDocServer) fetchCount(path string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fetches[path]
}

func (d *cimdDocServer) totalFetches() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, c := range d.fetches {
		n += c
	}
	return n
}

// fetcher is the production fetcher with the two test-only relaxations:
// loopback allowed, and the test server's certificate trusted.
func (d *cimdDocServer) fetcher() MetadataFetcher {
	pool := x509.NewCertPool()
	pool.AddCert(d.Certificate())
	return safehttp.New(safehttp.Options{AllowLoopback: true, RootCAs: pool}).Get
}

// cimdTestdata reads testdata/cimd/name with {{client_id}} replaced.
func cimdTestdata(t *testing.T, name, clientID string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cimd", name))
	if err != nil {
		t.Fatalf("reading test document: %v", err)
	}
	return strings.ReplaceAll(string(b), "{{client_id}}", clientID)
}

// newCIMDServer is the test server fetching documents from d.
func newCIMDServer(t *testing.T, d *cimdDocServer) *asServer {
	t.Helper()
	return newTestServer(t, func(c *Config) { c.FetchClientMetadata = d.fetcher() })
}

// cimdClient is a CIMD client as the tests drive it: public, identified by
// its document URL.
func cimdClient(docURL, redirectURI string) testClient {
	return testClient{ID: docURL, Method: authMethodNone, RedirectURI: redirectURI}
}

// fakeFetcher is a MetadataFetcher that answers from a function and counts
// its calls per URL.
type fakeFetcher struct {
	mu      sync.Mutex
	calls   map[string]int
	respond func(url string) ([]byte, http.Header, error)
}

func newFakeFetcher(respond func(url string) ([]byte, http.Header, error)) *fakeFetcher {
	return &fakeFetcher{calls: map[string]int{}, respond: respond}
}

func (f *fakeFetcher) fetch(_ context.Context, u string) ([]byte, http.Header, error) {
	f.mu.Lock()
	f.calls[u]++
	f.mu.Unlock()
	return f.respond(u)
}

func (f *fakeFetcher) count(u string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[u]
}

// cloudflareChallenge is what fetching claude.ai from a datacenter address
// often gets.
func cloudflareChallenge(string) ([]byte, http.Header, error) {
	return nil, nil, fmt.Errorf("%w 403", safehttp.ErrStatus)
}

func TestCIMDFlow(t *testing.T) {
	d := newCIMDDocServer(t)
	docURL := d.serveFile(t, "/clients/app.json", "app.json", "")
	s := newCIMDServer(t, d)
	c := cimdClient(docURL, cimdAppRedirect)
	host := strings.TrimPrefix(d.URL, "https://")

	// The consent page names the client and the host that vouches for the name.
	_, challenge := pkce()
	resp := s.browserGet("/authorize", authParams(c, challenge))
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /authorize: %d %s", resp.StatusCode, page)
	}
	for _, want := range []string{"Example App (metadata from " + host + ")", "app.example.net", docURL} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}

	// The whole flow works with the document URL as a public client ID.
	tr := s.tokenPair(c)
	at, err := s.accessRecord(tr.AccessToken)
	if err != nil || at.ClientID != docURL {
		t.Fatalf("access record %+v, %v", at, err)
	}
	resp = s.refresh(c, tr.RefreshToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %s", resp.StatusCode, readBody(t, resp))
	}
	var tr2 tokenResponse
	decodeJSON(t, resp, &tr2)

	// A CIMD client is public: presenting a secret is refused.
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr2.RefreshToken}, "client_id": {docURL}, "client_secret": {"guess"}}
	wantOAuthError(t, s.postForm("/token", form, nil), http.StatusUnauthorized, wire.InvalidClient)

	resp = s.postForm("/revoke", url.Values{"token": {tr2.RefreshToken}, "client_id": {docURL}}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d %s", resp.StatusCode, readBody(t, resp))
	}
	if _, err := s.accessRecord(tr2.AccessToken); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("access token alive after revocation: %v", err)
	}

	// Cache hit: a second authorization (in another browser, so that the
	// consent page shows again) and every token request above used the
	// document fetched once.
	s.cookies = map[string]*http.Cookie{}
	s.tokenPair(c)
	if n := d.fetchCount("/clients/app.json"); n != 1 {
		t.Errorf("document fetched %d times, want 1 (cached)", n)
	}
	if !strings.Contains(s.logs.String(), "client ID metadata document fetched") {
		t.Errorf("log lacks the fetch: %s", s.logs.String())
	}

	// The loopback redirect of the document matches on any port.
	lc := cimdClient(docURL, "http://localhost:49152/callback")
	s.tokenPair(lc)
}

func TestCIMDRefusals(t *testing.T) {
	oversize := `{"client_id":"{{client_id}}","client_name":"Big","redirect_uris":["` + cimdAppRedirect + `"],"pad":"` +
		strings.Repeat("x", safehttp.DefaultMaxBytes) + `"}`
	tests := []struct {
		name     string
		file     string  // a testdata/cimd document
		doc      cimdDoc // or this document ({{client_id}} replaced)
		redirect string
		status   int
		phrase   string
	}{
		{name: "client_id mismatch", file: "other-client-id.json", status: http.StatusBadRequest, phrase: "client_id does not equal the address it was fetched from"},
		{name: "redirect not in document", file: "app.json", redirect: "https://evil.example/callback", status: http.StatusBadRequest, phrase: "Invalid redirect address"},
		{name: "oversized document", doc: cimdDoc{body: oversize}, status: http.StatusBadGateway, phrase: "metadata document could not be fetched (it is too large)"},
		{name: "private_key_jwt", file: "private-key-jwt.json", status: http.StatusBadRequest, phrase: "private_key_jwt is not supported"},
		{name: "client secret method", file: "client-secret.json", status: http.StatusBadRequest, phrase: "token_endpoint_auth_method must be none"},
		{name: "no redirect_uris", file: "no-redirect-uris.json", status: http.StatusBadRequest, phrase: "lists no redirect_uris"},
		{name: "no client_name", file: "no-name.json", status: http.StatusBadRequest, phrase: "has no client_name"},
		{name: "http redirect off loopback", file: "http-redirect.json", status: http.StatusBadRequest, phrase: "redirect_uris[0] must use https"},
		{name: "wrong JSON type", file: "wrong-type.json", status: http.StatusBadRequest, phrase: "redirect_uris has the wrong JSON type"},
		{name: "not JSON", doc: cimdDoc{body: `<!doctype html>`}, status: http.StatusBadRequest, phrase: "not a JSON object"},
		{name: "HTML challenge page", doc: cimdDoc{body: `<html>Just a moment...</html>`, contentType: "text/html; charset=UTF-8", status: http.StatusForbidden}, status: http.StatusBadGateway, phrase: "metadata document could not be fetched (the server answered with an error status)"},
		{name: "wrong content type", doc: cimdDoc{body: `{}`, contentType: "text/plain"}, status: http.StatusBadGateway, phrase: "not served as application/json"},
		{name: "redirect", doc: cimdDoc{location: "/elsewhere.json"}, status: http.StatusBadGateway, phrase: "redirect, which is not followed"},
		{name: "missing document", doc: cimdDoc{body: `{"error":"not found"}`, status: http.StatusNotFound}, status: http.StatusBadGateway, phrase: "metadata document could not be fetched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newCIMDDocServer(t)
			path := "/oauth/client.json"
			var docURL string
			if tt.file != "" {
				docURL = d.serveFile(t, path, tt.file, "")
			} else {
				tt.doc.body = strings.ReplaceAll(tt.doc.body, "{{client_id}}", d.URL+path)
				docURL = d.serve(path, tt.doc)
			}
			s := newCIMDServer(t, d)
			redirect := tt.redirect
			if redirect == "" {
				redirect = cimdAppRedirect
			}
			_, challenge := pkce()
			resp := s.browserGet("/authorize", authParams(cimdClient(docURL, redirect), challenge))
			wantErrorPage(t, resp, tt.status, tt.phrase)
			if d.fetchCount(path) != 1 {
				t.Errorf("document fetched %d times, want 1", d.fetchCount(path))
			}
			if d.fetchCount("/elsewhere.json") != 0 {
				t.Errorf("a redirect was followed")
			}
			if tt.redirect == "" {
				// Unusable documents are unknown clients at the token endpoint.
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {docURL}}
				wantOAuthError(t, s.postForm("/token", form, nil), http.StatusUnauthorized, wire.InvalidClient)
			}
		})
	}
}

func TestCIMDDefaultFetcherRefusesLoopback(t *testing.T) {
	d := newCIMDDocServer(t)
	docURL := d.serveFile(t, "/clients/app.json", "app.json", "")
	s := newTestServer(t, nil) // FetchClientMetadata nil: the production fetcher
	_, challenge := pkce()
	resp := s.browserGet("/authorize", authParams(cimdClient(docURL, cimdAppRedirect), challenge))
	wantErrorPage(t, resp, http.StatusBadGateway, "its address is not on the public internet")
	if n := d.totalFetches(); n != 0 {
		t.Fatalf("the loopback document server was reached %d times", n)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "client ID metadata document unusable") || !strings.Contains(logs, docURL) {
		t.Errorf("log lacks the refusal: %s", logs)
	}
}

func TestCIMDCacheFollowsMaxAge(t *testing.T) {
	d := newCIMDDocServer(t)
	path := "/clients/app.json"
	docURL := d.serveFile(t, path, "app.json", "public, max-age=120")
	s := newCIMDServer(t, d)
	consentPage := func() {
		t.Helper()
		_, challenge := pkce()
		resp := s.browserGet("/authorize", authParams(cimdClient(docURL, cimdAppRedirect), challenge))
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /authorize: %d %s", resp.StatusCode, body)
		}
	}
	consentPage()
	s.clock.Advance(119 * time.Second)
	consentPage()
	if n := d.fetchCount(path); n != 1 {
		t.Fatalf("fetched %d times within max-age, want 1", n)
	}

	// After max-age the document is fetched again, and its changes apply:
	// the callback is gone now.
	d.serve(path, cimdDoc{body: strings.ReplaceAll(cimdTestdata(t, "app.json", docURL), cimdAppRedirect, "https://app.example.net/v2/callback"), cacheControl: "max-age=120"})
	s.clock.Advance(2 * time.Second)
	_, challenge := pkce()
	wantErrorPage(t, s.browserGet("/authorize", authParams(cimdClient(docURL, cimdAppRedirect), challenge)), http.StatusBadRequest, "Invalid redirect address")
	if n := d.fetchCount(path); n != 2 {
		t.Fatalf("fetched %d times after max-age, want 2", n)
	}
}

func TestCIMDConcurrentRequests(t *testing.T) {
	d := newCIMDDocServer(t)
	docURL := d.serveFile(t, "/clients/app.json", "app.json", "")
	r, err := newClientResolver(nil, d.fetcher(), discardLogger(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			c, err := r.GetClient(context.Background(), docURL)
			if err == nil && (c.ID != docURL || !slices.Contains(c.RedirectURIs, cimdAppRedirect)) {
				err = fmt.Errorf("client %+v", c)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := d.totalFetches(); n != 1 {
		t.Fatalf("16 concurrent lookups fetched %d times, want 1", n)
	}
}

func TestCIMDParseDocument(t *testing.T) {
	const docURL = "https://app.example.net/oauth/client.json"
	valid := cimdTestdata(t, "app.json", docURL)
	c, err := parseMetadataDocument(docURL, []byte(valid))
	if err != nil {
		t.Fatalf("valid document refused: %v", err)
	}
	want := tokens.Client{
		ID:                      docURL,
		Name:                    "Example App (metadata from app.example.net)",
		RedirectURIs:            []string{cimdAppRedirect, "http://localhost/callback"},
		TokenEndpointAuthMethod: authMethodNone,
		GrantTypes:              []string{grantAuthorizationCode, grantRefreshToken},
		ResponseTypes:           []string{"code"},
		ClientURI:               "https://app.example.net",
		LogoURI:                 "https://app.example.net/logo.png",
	}
	if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", want) {
		t.Fatalf("client\n got %+v\nwant %+v", c, want)
	}

	tests := []struct {
		name string
		doc  string
		err  string // "" means accepted
	}{
		{"minimal", `{"client_id":"` + docURL + `","client_name":"A","redirect_uris":["` + cimdAppRedirect + `"]}`, ""},
		{"explicit none", `{"client_id":"` + docURL + `","client_name":"A","redirect_uris":["` + cimdAppRedirect + `"],"token_endpoint_auth_method":"none"}`, ""},
		{"cosmetic URIs of the wrong kind are dropped", `{"client_id":"` + docURL + `","client_name":"A","redirect_uris":["` + cimdAppRedirect + `"],"client_uri":42,"logo_uri":"javascript:alert(1)"}`, ""},
		{"null client_name", `{"client_id":"` + docURL + `","client_name":null,"redirect_uris":["` + cimdAppRedirect + `"]}`, "has no client_name"},
		{"blank client_name", `{"client_id":"` + docURL + `","client_name":"  ","redirect_uris":["` + cimdAppRedirect + `"]}`, "has no client_name"},
		{"control characters in name", `{"client_id":"` + docURL + `","client_name":"A\u0007","redirect_uris":["` + cimdAppRedirect + `"]}`, "printable"},
		{"client_id differs by a slash", `{"client_id":"` + docURL + `/","client_name":"A","redirect_uris":["` + cimdAppRedirect + `"]}`, "client_id does not equal"},
		{"client_id differs in case", `{"client_id":"https://APP.example.net/oauth/client.json","client_name":"A","redirect_uris":["` + cimdAppRedirect + `"]}`, "client_id does not equal"},
		{"no client_id", `{"client_name":"A","redirect_uris":["` + cimdAppRedirect + `"]}`, "client_id does not equal"},
		{"dangerous redirect scheme", `{"client_id":"` + docURL + `","client_name":"A","redirect_uris":["javascript:alert(1)"]}`, "redirect_uris[0]"},
		{"fragment in redirect", `{"client_id":"` + docURL + `","client_name":"A","redirect_uris":["https://app.example.net/cb#x"]}`, "fragment"},
		{"too many redirects", `{"client_id":"` + docURL + `","client_name":"A","redirect_uris":[` + strings.Repeat(`"https://a.example/cb",`, maxRedirectURIs) + `"https://a.example/cb"]}`, "more than 10"},
		{"unknown auth method", `{"client_id":"` + docURL + `","client_name":"A","redirect_uris":["` + cimdAppRedirect + `"],"token_endpoint_auth_method":"tls_client_auth"}`, "must be none"},
		{"array", `[{"client_id":"` + docURL + `"}]`, "not a JSON object"},
		{"empty", ``, "not a JSON object"},
		{"truncated", `{"client_id":"` + docURL, "not valid JSON"},
		{"two objects", `{"client_id":"` + docURL + `","client_name":"A","redirect_uris":["` + cimdAppRedirect + `"]} {}`, "more than one JSON value"},
		{"name of the wrong type", `{"client_id":"` + docURL + `","client_name":["A"],"redirect_uris":["` + cimdAppRedirect + `"]}`, "client_name has the wrong JSON type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseMetadataDocument(docURL, []byte(tt.doc))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.ClientURI != "" || c.LogoURI != "" || c.TokenEndpointAuthMethod != authMethodNone || c.SecretHash != "" {
					t.Errorf("client %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.err)
			}
			if strings.Contains(err.Error(), "alert") || strings.Contains(err.Error(), "tls_client_auth") {
				t.Errorf("the error quotes the document: %v", err)
			}
		})
	}
}

func TestCIMDClientIDs(t *testing.T) {
	tests := []struct {
		id       string
		metadata bool   // treated as a document URL
		invalid  string // checkMetadataURL's complaint, "" when fine
	}{
		{"https://claude.ai/oauth/mcp-oauth-client-metadata", true, ""},
		{"https://app.example.net:8443/client.json?v=2", true, ""},
		{"https://app.example.net/", false, ""},
		{"https://app.example.net", false, ""},
		{"https://app.example.net?x=1", false, ""},
		{"http://app.example.net/client.json", false, ""},
		{"HTTPS://app.example.net/client.json", false, ""},
		{"0123456789abcdefghjkmnpqrs", false, ""},
		{"https:///client.json", false, ""},
		{"https://app.example.net/client.json#frag", true, "fragment"},
		{"https://user:pass@app.example.net/client.json", true, "user information"},
		{"https://app.example.net/a/../client.json", true, "path segments"},
		{"https://app.example.net/./client.json", true, "path segments"},
		{"https://app.example.net/a/%2e%2e/client.json", true, "path segments"},
		{"https://app.example.net/" + strings.Repeat("a", maxMetadataURLLen), true, "longer than"},
	}
	for _, tt := range tests {
		name := tt.id
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			if got := isMetadataURL(tt.id); got != tt.metadata {
				t.Fatalf("isMetadataURL = %v, want %v", got, tt.metadata)
			}
			if !tt.metadata {
				return
			}
			err := checkMetadataURL(tt.id)
			if tt.invalid == "" {
				if err != nil {
					t.Fatalf("checkMetadataURL: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.invalid) {
				t.Fatalf("checkMetadataURL = %v, want %q", err, tt.invalid)
			}
		})
	}
}

func TestCIMDInvalidURLShowsPage(t *testing.T) {
	f := newFakeFetcher(func(string) ([]byte, http.Header, error) { return nil, nil, errors.New("must not be called") })
	s := newTestServer(t, func(c *Config) { c.FetchClientMetadata = f.fetch })
	id := "https://app.example.net/a/../client.json"
	_, challenge := pkce()
	wantErrorPage(t, s.browserGet("/authorize", authParams(cimdClient(id, cimdAppRedirect), challenge)), http.StatusBadRequest, "must not contain . or .. path segments")
	if f.count(id) != 0 {
		t.Errorf("an invalid document URL was fetched")
	}
}

func TestCIMDCacheTTL(t *testing.T) {
	tests := []struct {
		cacheControl []string
		want         time.Duration
	}{
		{nil, time.Hour},
		{[]string{"public"}, time.Hour},
		{[]string{"max-age=600"}, 10 * time.Minute},
		{[]string{"public, max-age=7200, must-revalidate"}, 2 * time.Hour},
		{[]string{"public", "max-age=300"}, 5 * time.Minute},
		{[]string{`max-age="900"`}, 15 * time.Minute},
		{[]string{"max-age=5"}, time.Minute},
		{[]string{"max-age=0"}, time.Minute},
		{[]string{"max-age=31536000"}, 24 * time.Hour},
		{[]string{"max-age=99999999999999999999"}, time.Hour},
		{[]string{"max-age=-5"}, time.Hour},
		{[]string{"max-age=abc"}, time.Hour},
		{[]string{"no-store"}, time.Minute},
		{[]string{"max-age=3600, no-cache"}, time.Minute},
		{[]string{"MAX-AGE=600"}, 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.cacheControl, "|"), func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.cacheControl {
				h.Add("Cache-Control", v)
			}
			if got := cacheTTL(h); got != tt.want {
				t.Fatalf("cacheTTL(%q) = %v, want %v", tt.cacheControl, got, tt.want)
			}
		})
	}
}

func TestCIMDCacheLRU(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newClientCache(3)
	put := func(id string, ttl time.Duration) {
		c.put(id, tokens.Client{ID: id, RedirectURIs: []string{"https://a.example/cb"}}, now.Add(ttl))
	}
	put("a", time.Hour)
	put("b", time.Hour)
	put("c", time.Minute)
	if _, ok := c.get("a", now); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	put("d", time.Hour) // evicts b, the least recently used
	if _, ok := c.get("b", now); ok {
		t.Error("b survived eviction")
	}
	for _, id := range []string{"a", "c", "d"} {
		if _, ok := c.get(id, now); !ok {
			t.Errorf("%s missing", id)
		}
	}
	if c.len() != 3 {
		t.Errorf("len %d, want 3", c.len())
	}
	// Expiry: c lapses after a minute and is dropped when seen.
	if _, ok := c.get("c", now.Add(time.Minute)); ok {
		t.Error("expired entry returned")
	}
	if c.len() != 2 {
		t.Errorf("len %d after expiry, want 2", c.len())
	}
	// Replacing an entry keeps one entry and takes the new value.
	c.put("a", tokens.Client{ID: "a", Name: "new"}, now.Add(time.Hour))
	if got, _ := c.get("a", now); got.Name != "new" || c.len() != 2 {
		t.Errorf("replaced entry %+v, len %d", got, c.len())
	}
	// Callers get copies: changing one does not change the cache.
	got, _ := c.get("d", now)
	got.RedirectURIs[0] = "https://evil.example/cb"
	if again, _ := c.get("d", now); again.RedirectURIs[0] != "https://a.example/cb" {
		t.Error("a caller changed a cached client")
	}
}

func TestCIMDCacheIsBounded(t *testing.T) {
	d := newCIMDDocServer(t)
	r, err := newClientResolver(nil, d.fetcher(), discardLogger(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cimdCacheSize + 5 {
		path := fmt.Sprintf("/c/%d.json", i)
		d.serveFile(t, path, "app.json", "")
		if _, err := r.GetClient(context.Background(), d.URL+path); err != nil {
			t.Fatalf("GetClient %s: %v", path, err)
		}
	}
	if n := r.Cache.len(); n != cimdCacheSize {
		t.Fatalf("cache holds %d entries, want at most %d", n, cimdCacheSize)
	}
}

func TestCIMDPinnedDocuments(t *testing.T) {
	pinned, err := loadPinned()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]tokens.Client{
		"https://claude.ai/oauth/mcp-oauth-client-metadata": {
			Name:         "Claude (metadata from claude.ai)",
			RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback"},
		},
		"https://claude.ai/oauth/claude-code-client-metadata": {
			Name:         "Claude Code (metadata from claude.ai)",
			RedirectURIs: []string{"http://localhost/callback", "http://127.0.0.1/callback"},
		},
	}
	if len(pinned) != len(want) {
		t.Fatalf("pinned documents: %v", pinned)
	}
	for id, w := range want {
		c, ok := pinned[id]
		if !ok {
			t.Fatalf("%s is not pinned", id)
		}
		if c.ID != id || c.Name != w.Name || !slices.Equal(c.RedirectURIs, w.RedirectURIs) || c.TokenEndpointAuthMethod != authMethodNone || c.ClientURI != "https://claude.ai" {
			t.Errorf("pinned %s = %+v", id, c)
		}
	}
}

func TestCIMDResolverDelegatesToStore(t *testing.T) {
	s := newTestServer(t, nil)
	r, err := newClientResolver(s.store, cloudflareChallengeFetcher(), discardLogger(), s.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reg := tokens.Client{ID: tokens.NewID(), Name: "Registered", RedirectURIs: []string{cimdAppRedirect}, TokenEndpointAuthMethod: authMethodNone, CreatedAt: s.clock.Now()}
	if err := r.CreateClient(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if got, err := r.GetClient(ctx, reg.ID); err != nil || got.Name != "Registered" {
		t.Fatalf("GetClient = %+v, %v", got, err)
	}
	if list, err := r.ListClients(ctx); err != nil || len(list) != 1 {
		t.Fatalf("ListClients = %v, %v", list, err)
	}
	if n, err := r.CountClients(ctx); err != nil || n != 1 {
		t.Fatalf("CountClients = %d, %v", n, err)
	}
	if err := r.TouchClient(ctx, reg.ID, s.clock.Now()); err != nil {
		t.Fatalf("TouchClient: %v", err)
	}
	// A CIMD client is not stored: touching it is a no-op, and it is not listed.
	if err := r.TouchClient(ctx, "https://claude.ai/oauth/mcp-oauth-client-metadata", s.clock.Now()); err != nil {
		t.Fatalf("TouchClient on a CIMD client: %v", err)
	}
	if err := r.DeleteClient(ctx, reg.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetClient(ctx, reg.ID); !errors.Is(err, tokens.ErrNotFound) {
		t.Fatalf("GetClient after delete: %v", err)
	}
	// An unusable document is ErrNotFound for every caller.
	if _, err := r.GetClient(ctx, "https://app.example.net/client.json"); !errors.Is(err, tokens.ErrNotFound) || metadataErrorPage(err, "x") == nil {
		t.Fatalf("GetClient of an unfetchable document: %v", err)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func cloudflareChallengeFetcher() MetadataFetcher {
	return newFakeFetcher(cloudflareChallenge).fetch
}
