package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
)

const (
	connectionsSignInPhrase = "Sign in to see the applications connected to your account"
	sessionCookieName       = "__Host-mcpgate_session"
)

// pageForm is one form of a page: its action and hidden fields.
type pageForm struct {
	action string
	fields url.Values
}

var (
	formRE   = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">(.*?)</form>`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// pageForms returns the POST forms of page, in order.
func pageForms(page string) []pageForm {
	var out []pageForm
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		f := pageForm{action: html.UnescapeString(m[1]), fields: url.Values{}}
		for _, h := range hiddenRE.FindAllStringSubmatch(m[2], -1) {
			f.fields.Add(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		out = append(out, f)
	}
	return out
}

// formFor returns the form of page posting to action (for revocation, the
// one naming grantID).
func formFor(t *testing.T, page, action, grantID string) url.Values {
	t.Helper()
	for _, f := range pageForms(page) {
		if f.action == action && (grantID == "" || f.fields.Get(formGrantID) == grantID) {
			return f.fields
		}
	}
	t.Fatalf("page has no form to %s (grant %q):\n%s", action, grantID, page)
	return nil
}

// connectionsPage is GET /connections as the browser; it checks the
// status and the HTML security headers.
func (s *asServer) connectionsPage() string {
	s.t.Helper()
	resp := s.browserGet(pathConnections, nil)
	body := readBody(s.t, resp)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET /connections: status %d:\n%s", resp.StatusCode, body)
	}
	wantHTMLHeaders(s.t, resp)
	return body
}

// startConnectionsSignIn posts the sign-in form of the signed-out page
// with provider and returns the state of the redirect to the provider.
func (s *asServer) startConnectionsSignIn(provider string) string {
	s.t.Helper()
	page := s.connectionsPage()
	if !strings.Contains(page, connectionsSignInPhrase) {
		s.t.Fatalf("expected the sign-in page:\n%s", page)
	}
	form := formFor(s.t, page, pathConnectionsLogin, "")
	form.Set(formProvider, provider)
	return upstreamState(s.t, s.browserPost(pathConnectionsLogin, form))
}

// connectionsCallback signs in at the fake provider for state and
// delivers its redirect to the callback.
func (s *asServer) connectionsCallback(state string) *http.Response {
	s.t.Helper()
	return s.browserGet("/oauth/callback/"+s.idp.name, url.Values{"state": {state}, "code": {s.idp.login(s.t, state)}})
}

// signInToConnections runs the whole sign-in to the connected-apps page
// and returns the list page.
func (s *asServer) signInToConnections() string {
	s.t.Helper()
	resp := s.connectionsCallback(s.startConnectionsSignIn(s.idp.name))
	if loc := location(s.t, resp); loc.String() != asTestIssuer+pathConnections {
		s.t.Fatalf("callback redirected to %s, want %s", loc, asTestIssuer+pathConnections)
	}
	page := s.connectionsPage()
	if !strings.Contains(page, "Sign out") {
		s.t.Fatalf("not signed in after the callback:\n%s", page)
	}
	return page
}

// registerNamed registers a public client called name.
func (s *asServer) registerNamed(name, redirectURI string) testClient {
	s.t.Helper()
	b, _ := json.Marshal(map[string]any{
		"redirect_uris":              []string{redirectURI},
		"client_name":                name,
		"token_endpoint_auth_method": authMethodNone,
		"grant_types":                []string{"authorization_code", "refresh_token"},
	})
	r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(string(b)))
	r.Header.Set("Content-Type", "application/json")
	resp := s.do(r)
	if resp.StatusCode != http.StatusCreated {
		s.t.Fatalf("register %s: status %d: %s", name, resp.StatusCode, readBody(s.t, resp))
	}
	var reg registrationResponse
	decodeJSON(s.t, resp, &reg)
	return testClient{ID: reg.ClientID, Method: authMethodNone, RedirectURI: redirectURI}
}

// freshPair runs the whole flow for c, showing the consent page again even
// when this browser approved c before.
func (s *asServer) freshPair(c testClient) tokenResponse {
	s.t.Helper()
	delete(s.cookies, "__Host-mcpgate_consent")
	return s.tokenPair(c)
}

// setIdentity changes who signs in at the fake provider.
func (p *fakeProvider) setIdentity(id upstream.Identity) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.identity = id
}

// mcpStatus is the status of an MCP initialize request with token.
func (s *asServer) mcpStatus(token string) int {
	s.t.Helper()
	r := httptest.NewRequest(http.MethodPost, protected.PathMCP, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`))
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	return s.do(r).StatusCode
}

func grantOf(t *testing.T, token string) string {
	t.Helper()
	_, grantID, err := tokens.Parse(token)
	if err != nil {
		t.Fatalf("parsing a token: %v", err)
	}
	return grantID
}

func (s *asServer) grantCount() int {
	s.t.Helper()
	grants, err := s.store.ListGrants(context.Background(), "", "")
	if err != nil {
		s.t.Fatalf("ListGrants: %v", err)
	}
	return len(grants)
}

func TestConnectionsSignedOutShowsSignIn(t *testing.T) {
	google := newFakeProvider("google", "Google", "https://accounts.example.test")
	s := newTestServer(t, func(c *Config) { c.Providers = append(c.Providers, google) })
	resp := s.browserGet(pathConnections, nil)
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d:\n%s", resp.StatusCode, page)
	}
	wantHTMLHeaders(t, resp)
	for _, want := range []string{connectionsSignInPhrase, "Sign in with GitHub", "Sign in with Google", `action="/connections/login"`} {
		if !strings.Contains(page, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	if strings.Contains(page, "Sign out") || strings.Contains(page, "Revoke") {
		t.Errorf("the signed-out page shows signed-in controls")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, origin := range []string{asTestIdP, "https://accounts.example.test"} {
		if !strings.Contains(csp, origin) {
			t.Errorf("CSP form-action %q does not allow the provider %s the sign-in form ends at", csp, origin)
		}
	}
	if _, ok := s.cookies["__Host-mcpgate_csrf"]; !ok {
		t.Errorf("the sign-in page set no CSRF cookie")
	}

	// The second provider's button leads to the second provider.
	form := formFor(t, page, pathConnectionsLogin, "")
	form.Set(formProvider, "google")
	loc := location(t, s.browserPost(pathConnectionsLogin, form))
	if !strings.HasPrefix(loc.String(), "https://accounts.example.test/") {
		t.Fatalf("sign-in with Google went to %s", loc)
	}
}

func TestConnectionsSignInStartsSessionWithoutGrant(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.registerNamed("Alpha", "https://alpha.example/cb")
	s.tokenPair(c)
	before := s.grantCount()

	state := s.startConnectionsSignIn("github")
	if _, ok := s.cookies["__Host-mcpgate_state"]; !ok {
		t.Fatalf("the sign-in set no state cookie")
	}
	resp := s.connectionsCallback(state)
	loc := location(t, resp)
	if loc.String() != asTestIssuer+pathConnections || loc.RawQuery != "" {
		t.Fatalf("callback redirected to %s, want %s without a code", loc, asTestIssuer+pathConnections)
	}
	sc := s.cookies[sessionCookieName]
	if sc == nil {
		t.Fatalf("no session cookie; cookies %v", s.cookies)
	}
	if !sc.Secure || !sc.HttpOnly || sc.Path != "/" || sc.SameSite != http.SameSiteLaxMode || sc.Domain != "" || sc.MaxAge != int(sessionTTL/time.Second) {
		t.Errorf("session cookie attributes: %+v", sc)
	}
	if _, ok := s.cookies["__Host-mcpgate_state"]; ok {
		t.Errorf("the state cookie must be cleared after the callback")
	}
	if got := s.grantCount(); got != before {
		t.Errorf("the connections sign-in changed the grants: %d, want %d", got, before)
	}

	// The state is single use: the callback cannot run twice.
	replay := s.browserGet("/oauth/callback/github", url.Values{"state": {state}, "code": {"upstream-code-x"}})
	wantErrorPage(t, replay, http.StatusBadRequest, "expired")

	page := s.connectionsPage()
	for _, want := range []string{"Connected applications", "octocat", "GitHub", "Alpha", "Sign out"} {
		if !strings.Contains(page, want) {
			t.Errorf("list page lacks %q", want)
		}
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "signed in to the connected-apps page") || !strings.Contains(logs, "user_id=github:4242") {
		t.Errorf("the sign-in was not logged with the user ID")
	}
	for name, secret := range map[string]string{"upstream token": "gho_upstreamsecret", "state": state, "session cookie": sc.Value} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
}

func TestConnectionsListAndRevoke(t *testing.T) {
	s := newTestServer(t, nil)
	alpha := s.registerNamed("Alpha", "https://alpha.example/cb")
	beta := s.registerNamed("Beta Tool", "http://127.0.0.1:33418/callback")
	alpha1 := s.tokenPair(alpha)
	alpha2 := s.freshPair(alpha)
	betaPair := s.tokenPair(beta)
	_, challenge := pkce()
	delete(s.cookies, "__Host-mcpgate_consent")
	unused := s.authorize(beta, challenge) // a grant whose code was never exchanged
	if unused.Query().Get("code") == "" {
		t.Fatalf("authorization without code: %s", unused)
	}

	_, challenge = pkce()
	if resp := s.browserGet("/authorize", authParams(beta, challenge)); resp.StatusCode != http.StatusFound {
		t.Fatalf("GET /authorize for Beta: status %d, want the remembered approval's redirect", resp.StatusCode)
	}

	page := html.UnescapeString(s.signInToConnections())
	for _, want := range []string{
		"Alpha", "alpha.example", alpha.ID, "Beta Tool", "127.0.0.1:33418", beta.ID,
		"mcp:read", "mcp:write", "GitHub", displayTime(s.clock.Now()), "never",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("list page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<h2>Alpha</h2>"); n != 1 {
		t.Errorf("Alpha has %d headings; its two grants must be grouped under one", n)
	}
	if strings.Index(page, "<h2>Alpha</h2>") > strings.Index(page, "<h2>Beta Tool</h2>") {
		t.Errorf("applications are not in name order")
	}
	revokes := 0
	for _, f := range pageForms(page) {
		if f.action == pathConnectionsRevoke {
			revokes++
		}
	}
	if revokes != 4 {
		t.Errorf("%d revoke forms, want one per grant (4)", revokes)
	}

	// Revoke Alpha's first grant.
	target := grantOf(t, alpha1.AccessToken)
	resp := s.browserPost(pathConnectionsRevoke, formFor(t, page, pathConnectionsRevoke, target))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != asTestIssuer+pathConnections {
		t.Fatalf("revoke: status %d Location %q, want 303 to the list", resp.StatusCode, resp.Header.Get("Location"))
	}
	page = s.connectionsPage()
	if !strings.Contains(page, "Revoked access for Alpha.") {
		t.Errorf("no flash message after the revocation:\n%s", page)
	}
	if strings.Contains(page, target) {
		t.Errorf("the revoked grant is still listed")
	}
	if !strings.Contains(page, grantOf(t, alpha2.AccessToken)) {
		t.Errorf("Alpha's other grant is no longer listed")
	}
	if strings.Contains(s.connectionsPage(), "Revoked access for") {
		t.Errorf("the flash message is shown twice")
	}

	// The revoked client's token is refused at its next request; the others work.
	if got := s.mcpStatus(alpha1.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("/mcp with the revoked grant's token: %d, want 401", got)
	}
	for name, tok := range map[string]string{"Alpha's other grant": alpha2.AccessToken, "Beta": betaPair.AccessToken} {
		if got := s.mcpStatus(tok); got != http.StatusOK {
			t.Errorf("/mcp with %s's token: %d, want 200", name, got)
		}
	}
	wantOAuthError(t, s.refresh(alpha, alpha1.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)

	// This browser forgot its approvals (Beta's was remembered before the
	// revocation): every client must ask on the consent page again.
	if _, ok := s.cookies["__Host-mcpgate_consent"]; ok {
		t.Errorf("the consent cookie survived the revocation")
	}
	_, challenge = pkce()
	if resp := s.browserGet("/authorize", authParams(beta, challenge)); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /authorize after the revocation: status %d, want the consent page", resp.StatusCode)
	}

	logs := s.logs.String()
	for _, want := range []string{"grant revoked by user", "grant_id=" + target, "client_id=" + alpha.ID, "user_id=github:4242"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestConnectionsEmptyAndDeletedClient(t *testing.T) {
	s := newTestServer(t, nil)
	page := s.signInToConnections()
	if !strings.Contains(page, "No application has access to your account.") {
		t.Errorf("empty state missing:\n%s", page)
	}

	c := s.registerNamed("Gone", "https://gone.example/cb")
	pair := s.tokenPair(c)
	if err := s.store.DeleteClient(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	page = s.connectionsPage()
	if !strings.Contains(page, deletedClientName) || strings.Contains(page, "Gone") {
		t.Errorf("a deleted client must be shown as %q:\n%s", deletedClientName, page)
	}
	grantID := grantOf(t, pair.AccessToken)
	resp := s.browserPost(pathConnectionsRevoke, formFor(t, page, pathConnectionsRevoke, grantID))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", resp.StatusCode)
	}
	if page := s.connectionsPage(); !strings.Contains(page, "Revoked the access of a deleted application.") {
		t.Errorf("flash message for a deleted client missing:\n%s", page)
	}
	if _, err := s.store.GetGrant(context.Background(), grantID); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("grant of the deleted client still exists: %v", err)
	}
}

func TestConnectionsRevokeOthersGrantIsNotFound(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.registerNamed("Alpha", "https://alpha.example/cb")
	s.idp.setIdentity(upstream.Identity{Subject: "777", Login: "mallory"})
	other := s.tokenPair(c)
	otherGrant := grantOf(t, other.AccessToken)
	s.idp.setIdentity(upstream.Identity{Subject: "4242", Login: "octocat"})
	mine := s.freshPair(c)

	page := s.signInToConnections()
	if strings.Contains(page, otherGrant) || strings.Contains(page, "mallory") {
		t.Fatalf("another user's grant is listed")
	}
	form := formFor(t, page, pathConnectionsRevoke, grantOf(t, mine.AccessToken))

	bodies := map[string]string{}
	for name, id := range map[string]string{"another user's grant": otherGrant, "unknown grant": tokens.NewID(), "malformed": "../x"} {
		form.Set(formGrantID, id)
		resp := s.browserPost(pathConnectionsRevoke, form)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Connection not found") {
			t.Fatalf("%s: status %d:\n%s", name, resp.StatusCode, body)
		}
		wantHTMLHeaders(t, resp)
		bodies[name] = body
	}
	if bodies["another user's grant"] != bodies["unknown grant"] {
		t.Errorf("another user's grant is answered differently from an unknown one")
	}
	if _, err := s.store.GetGrant(context.Background(), otherGrant); err != nil {
		t.Fatalf("the other user's grant was revoked: %v", err)
	}
	if got := s.mcpStatus(other.AccessToken); got != http.StatusOK {
		t.Errorf("/mcp with the other user's token: %d, want 200", got)
	}
	if !strings.Contains(s.logs.String(), "revocation of another user's grant refused") {
		t.Errorf("the attempt was not logged")
	}
}

func TestConnectionsCSRF(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.registerNamed("Alpha", "https://alpha.example/cb")
	pair := s.tokenPair(c)
	grantID := grantOf(t, pair.AccessToken)

	signInPage := s.connectionsPage()
	signInCSRF := formFor(t, signInPage, pathConnectionsLogin, "").Get(formCSRF)
	t.Run("sign-in without CSRF", func(t *testing.T) {
		resp := s.browserPost(pathConnectionsLogin, url.Values{formProvider: {"github"}})
		wantErrorPage(t, resp, http.StatusForbidden, "This form has expired")
	})
	t.Run("sign-in with a wrong CSRF value", func(t *testing.T) {
		resp := s.browserPost(pathConnectionsLogin, url.Values{formProvider: {"github"}, formCSRF: {"x" + signInCSRF}})
		wantErrorPage(t, resp, http.StatusForbidden, "This form has expired")
	})

	page := s.signInToConnections()
	good := formFor(t, page, pathConnectionsRevoke, grantID)
	tests := []struct {
		name, path, csrf string
	}{
		{"revoke without CSRF", pathConnectionsRevoke, ""},
		{"revoke with a wrong CSRF value", pathConnectionsRevoke, good.Get(formCSRF)[1:]},
		{"revoke with the sign-in form's CSRF value", pathConnectionsRevoke, signInCSRF},
		{"sign out without CSRF", pathConnectionsLogout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{formGrantID: {grantID}}
			if tt.csrf != "" {
				form.Set(formCSRF, tt.csrf)
			}
			wantErrorPage(t, s.browserPost(tt.path, form), http.StatusForbidden, "This form has expired")
		})
	}
	t.Run("CSRF cookie missing", func(t *testing.T) {
		saved := s.cookies["__Host-mcpgate_csrf"]
		delete(s.cookies, "__Host-mcpgate_csrf")
		defer func() { s.cookies[saved.Name] = saved }()
		wantErrorPage(t, s.browserPost(pathConnectionsRevoke, good), http.StatusForbidden, "This form has expired")
	})
	if _, err := s.store.GetGrant(context.Background(), grantID); err != nil {
		t.Fatalf("a refused form revoked the grant: %v", err)
	}
	if !strings.Contains(s.connectionsPage(), "Sign out") {
		t.Fatalf("a refused sign-out signed the browser out")
	}
	// The genuine form still works.
	if resp := s.browserPost(pathConnectionsRevoke, good); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("genuine revoke: status %d: %s", resp.StatusCode, readBody(t, resp))
	}
}

func TestConnectionsTamperedSession(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.registerNamed("Alpha", "https://alpha.example/cb")
	pair := s.tokenPair(c)
	grantID := grantOf(t, pair.AccessToken)
	page := s.signInToConnections()
	form := formFor(t, page, pathConnectionsRevoke, grantID)

	sc := s.cookies[sessionCookieName]
	v := []byte(sc.Value)
	v[len(v)/2] ^= 1
	tampered := *sc
	tampered.Value = string(v)
	s.cookies[sessionCookieName] = &tampered

	resp := s.browserPost(pathConnectionsRevoke, form)
	wantErrorPage(t, resp, http.StatusUnauthorized, "You are signed out")
	if _, err := s.store.GetGrant(context.Background(), grantID); err != nil {
		t.Fatalf("a tampered session revoked the grant: %v", err)
	}
	s.cookies[sessionCookieName] = &tampered
	page = s.connectionsPage()
	if !strings.Contains(page, connectionsSignInPhrase) || strings.Contains(page, "Alpha") {
		t.Fatalf("a tampered session cookie must count as signed out:\n%s", page)
	}
	if !strings.Contains(page, "Your session on this page has ended") {
		t.Errorf("the page does not say the session ended")
	}
	if _, ok := s.cookies[sessionCookieName]; ok {
		t.Errorf("the tampered session cookie was not cleared")
	}

	// A cookie of another kind is not a session either (the name is in the MAC).
	s.cookies[sessionCookieName] = &http.Cookie{Name: sessionCookieName, Value: s.cookies["__Host-mcpgate_csrf"].Value}
	if page := s.connectionsPage(); !strings.Contains(page, connectionsSignInPhrase) {
		t.Fatalf("the CSRF cookie's value was accepted as a session")
	}
}

func TestConnectionsSessionExpires(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.registerNamed("Alpha", "https://alpha.example/cb")
	pair := s.tokenPair(c)
	grantID := grantOf(t, pair.AccessToken)
	page := s.signInToConnections()
	form := formFor(t, page, pathConnectionsRevoke, grantID)

	s.clock.Advance(sessionTTL - time.Minute)
	if page := s.connectionsPage(); !strings.Contains(page, "Sign out") {
		t.Fatalf("session ended before its time:\n%s", page)
	}
	s.clock.Advance(time.Minute)
	// The wall clock has not moved: only the expiry inside the value ends it.
	resp := s.browserPost(pathConnectionsRevoke, form)
	wantErrorPage(t, resp, http.StatusUnauthorized, "You are signed out")
	if _, err := s.store.GetGrant(context.Background(), grantID); err != nil {
		t.Fatalf("an expired session revoked the grant: %v", err)
	}
	s.signInToConnections() // a fresh sign-in works again
	s.clock.Advance(sessionTTL)
	if page := s.connectionsPage(); !strings.Contains(page, connectionsSignInPhrase) {
		t.Fatalf("expired session still signed in:\n%s", page)
	}
}

func TestConnectionsLogout(t *testing.T) {
	s := newTestServer(t, nil)
	page := s.signInToConnections()
	resp := s.browserPost(pathConnectionsLogout, formFor(t, page, pathConnectionsLogout, ""))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != asTestIssuer+pathConnections {
		t.Fatalf("logout: status %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, ok := s.cookies[sessionCookieName]; ok {
		t.Fatalf("logout did not clear the session cookie")
	}
	if page := s.connectionsPage(); !strings.Contains(page, connectionsSignInPhrase) || strings.Contains(page, "has ended") {
		t.Fatalf("after logout:\n%s", page)
	}
	if !strings.Contains(s.logs.String(), "signed out of the connected-apps page") {
		t.Errorf("logout not logged")
	}
}

func TestConnectionsAllowlist(t *testing.T) {
	tests := []struct {
		name  string
		rules allow.Rules
		admit bool
	}{
		{"refused", allow.Rules{Users: []string{"github:1"}}, false},
		{"admitted", allow.Rules{Users: []string{"github:4242"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, func(c *Config) { c.Allow = mustPolicy(t, tt.rules) })
			resp := s.connectionsCallback(s.startConnectionsSignIn("github"))
			_, signedIn := s.cookies[sessionCookieName]
			if tt.admit {
				if resp.StatusCode != http.StatusFound || !signedIn {
					t.Fatalf("admitted user: status %d, session %v", resp.StatusCode, signedIn)
				}
				return
			}
			wantErrorPage(t, resp, http.StatusForbidden, "Access refused")
			if signedIn {
				t.Errorf("a refused user got a session")
			}
			if page := s.connectionsPage(); !strings.Contains(page, connectionsSignInPhrase) {
				t.Errorf("a refused user is signed in")
			}
			if !strings.Contains(s.logs.String(), "sign-in refused by the allowlist") {
				t.Errorf("the refusal was not logged")
			}
		})
	}
}

func TestConnectionsUpstreamFailures(t *testing.T) {
	tests := []struct {
		name   string
		query  func(s *asServer, state string) url.Values
		fail   error
		status int
		phrase string
	}{
		{"person cancels at the provider", func(_ *asServer, state string) url.Values {
			return url.Values{"state": {state}, "error": {"access_denied"}}
		}, nil, http.StatusBadRequest, "cancelled"},
		{"no code", func(_ *asServer, state string) url.Values {
			return url.Values{"state": {state}}
		}, nil, http.StatusBadGateway, "Sign-in failed"},
		{"exchange fails", nil, errors.New("upstream down"), http.StatusBadGateway, "Sign-in failed"},
		{"provider denies", nil, upstream.ErrDenied, http.StatusForbidden, "Access refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			state := s.startConnectionsSignIn("github")
			q := url.Values{"state": {state}, "code": {s.idp.login(t, state)}}
			if tt.query != nil {
				q = tt.query(s, state)
			}
			if tt.fail != nil {
				s.idp.failExchange(tt.fail)
			}
			resp := s.browserGet("/oauth/callback/github", q)
			wantErrorPage(t, resp, tt.status, tt.phrase)
			if _, ok := s.cookies[sessionCookieName]; ok {
				t.Errorf("a failed sign-in started a session")
			}
			if s.grantCount() != 0 {
				t.Errorf("a failed sign-in created a grant")
			}
		})
	}
}

// connectionsFailingStore adds a failing ListGrants to failingStore.
type connectionsFailingStore struct {
	*failingStore
	failList bool
}

func (f *connectionsFailingStore) ListGrants(ctx context.Context, userID, clientID string) ([]tokens.Grant, error) {
	if f.failList {
		return nil, errStoreDown
	}
	return f.failingStore.ListGrants(ctx, userID, clientID)
}

func TestConnectionsStoreFailure(t *testing.T) {
	fs := &connectionsFailingStore{failingStore: &failingStore{}}
	s := newTestServer(t, func(c *Config) {
		fs.Store = c.Store.(*memory.Store)
		c.Store = fs
	})
	c := s.registerNamed("Alpha", "https://alpha.example/cb")
	pair := s.tokenPair(c)
	grantID := grantOf(t, pair.AccessToken)

	page := s.connectionsPage()
	fs.failPutPending = true
	form := formFor(t, page, pathConnectionsLogin, "")
	form.Set(formProvider, "github")
	wantUnavailable := func(resp *http.Response) {
		t.Helper()
		wantErrorPage(t, resp, http.StatusServiceUnavailable, "right now")
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("503 page without Retry-After")
		}
	}
	wantUnavailable(s.browserPost(pathConnectionsLogin, form))
	fs.failPutPending = false

	page = s.signInToConnections()
	revokeForm := formFor(t, page, pathConnectionsRevoke, grantID)

	fs.failList = true
	wantUnavailable(s.browserGet(pathConnections, nil))
	fs.failList = false

	fs.failGetGrant = true
	wantUnavailable(s.browserPost(pathConnectionsRevoke, revokeForm))
	fs.failGetGrant = false

	fs.failRevoke = true
	wantUnavailable(s.browserPost(pathConnectionsRevoke, revokeForm))
	fs.failRevoke = false

	if strings.Contains(s.logs.String(), "grant revoked by user") {
		t.Errorf("a failed revocation was logged as done")
	}
	if resp := s.browserPost(pathConnectionsRevoke, revokeForm); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke after the store recovered: status %d: %s", resp.StatusCode, readBody(t, resp))
	}
}

func TestConnectionsMethods(t *testing.T) {
	s := newTestServer(t, nil)
	for _, tt := range []struct{ method, path, allow string }{
		{http.MethodPost, pathConnections, "GET, HEAD"},
		{http.MethodGet, pathConnectionsLogin, "POST"},
		{http.MethodGet, pathConnectionsRevoke, "POST"},
		{http.MethodGet, pathConnectionsLogout, "POST"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := s.do(httptest.NewRequest(tt.method, tt.path, nil))
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tt.allow {
				t.Fatalf("status %d Allow %q, want 405 %q", resp.StatusCode, resp.Header.Get("Allow"), tt.allow)
			}
		})
	}
}

func TestConnectionsPendingCannotMintCode(t *testing.T) {
	// A connections sign-in's pending request carries no client: even if
	// its callback is answered like a client's, no code is minted and no
	// browser is sent anywhere but back to /connections.
	s := newTestServer(t, nil)
	state := s.startConnectionsSignIn("github")
	var p tokens.Pending
	for _, h := range s.keys.Hashes(state) {
		var err error
		if p, err = s.store.TakePending(context.Background(), h); err == nil {
			break
		}
	}
	if p.Purpose != purposeConnections || p.ClientID != "" || p.RedirectURI != "" || p.UpstreamVerifier == "" || p.Nonce == "" || p.Browser == "" {
		t.Fatalf("pending connections sign-in %+v", p)
	}
	// Put it back under a purpose the callback does not know: refused.
	p.Purpose = "something-else"
	if err := s.store.PutPending(context.Background(), s.keys.Hash(state), p, time.Minute); err != nil {
		t.Fatal(err)
	}
	resp := s.connectionsCallback(state)
	wantErrorPage(t, resp, http.StatusBadRequest, "expired")
	if s.grantCount() != 0 {
		t.Errorf("grants were created")
	}
}
