package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

func TestNewChecksToolScopesAreSupported(t *testing.T) {
	s := newTestServer(t, nil)
	cfg := s.cfg
	cfg.ScopesSupported = []string{"mcp"}
	cfg.DefaultScopes = []string{"mcp"}
	cfg.ToolScopes = mcptest.ToolScopes{}
	_, err := New(cfg)
	if err == nil || !strings.Contains(err.Error(), `ScopesSupported lacks "mcp:read"`) || !strings.Contains(err.Error(), `"mcp:write"`) {
		t.Fatalf("New: %v, want an error naming the tool scopes ScopesSupported lacks", err)
	}
}

// newScopeServer is the whole HTTP surface with per-tool scopes, default
// scope mcp:read, and the test tools.
func newScopeServer(t *testing.T) (*asServer, *mcptest.ScopeTools) {
	t.Helper()
	var st *mcptest.ScopeTools
	s := newTestServer(t, func(c *Config) {
		c.ToolScopes = mcptest.ToolScopes{}
		st = mcptest.AddScopeTools(c.MCPServer)
	})
	return s, st
}

func TestUnauthorizedChallengeNamesTheDefaultScopes(t *testing.T) {
	s, _ := newScopeServer(t)
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(mcptest.ToolCall(1, "read_thing")))
	r.Header.Set("Content-Type", "application/json")
	resp := s.do(r)
	challenges, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if resp.StatusCode != http.StatusUnauthorized || err != nil || len(challenges) != 1 {
		t.Fatalf("no token: %d %q", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
	}
	if got := challenges[0].Params["scope"]; got != "mcp:read" {
		t.Errorf("401 scope = %q, want the default scopes %q", got, "mcp:read")
	}
	// The metadata still advertises every supported scope.
	var prm struct {
		ScopesSupported []string `json:"scopes_supported"`
	}
	decodeJSON(t, s.do(httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource/mcp", nil)), &prm)
	if !slices.Equal(prm.ScopesSupported, []string{mcptest.ScopeRead, mcptest.ScopeWrite}) {
		t.Errorf("PRM scopes_supported = %q", prm.ScopesSupported)
	}
	var asm struct {
		ScopesSupported []string `json:"scopes_supported"`
	}
	decodeJSON(t, s.do(httptest.NewRequest(http.MethodGet, "/.well-known/oauth-authorization-server", nil)), &asm)
	if !slices.Equal(asm.ScopesSupported, []string{mcptest.ScopeRead, mcptest.ScopeWrite}) {
		t.Errorf("AS scopes_supported = %q", asm.ScopesSupported)
	}
}

// TestScopeNarrowedAtRefresh: a refresh with a narrower scope yields an
// access token that may read but gets the step-up challenge for a write,
// while the grant (and the next refresh) keeps both scopes.
func TestScopeNarrowedAtRefresh(t *testing.T) {
	s, st := newScopeServer(t)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	pair := s.tokenPair(c) // authParams asks for mcp:read mcp:write
	if pair.Scope != "mcp:read mcp:write" {
		t.Fatalf("granted %q", pair.Scope)
	}

	resp := s.postForm("/token", clientAuthForm(c, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {pair.RefreshToken}, "scope": {"mcp:read"},
	}), nil)
	var narrow tokenResponse
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("narrowing refresh: %d %s", resp.StatusCode, readBody(t, resp))
	}
	decodeJSON(t, resp, &narrow)
	if narrow.Scope != "mcp:read" {
		t.Fatalf("narrowed scope %q, want mcp:read", narrow.Scope)
	}
	if resp := s.do(mcptest.Post(mcptest.ToolCall(1, "read_thing"), narrow.AccessToken)); resp.StatusCode != http.StatusOK {
		t.Errorf("read with the narrowed token: %d %s", resp.StatusCode, readBody(t, resp))
	}
	wantInsufficientScopeAS(t, s.do(mcptest.Post(mcptest.ToolCall(2, "write_thing"), narrow.AccessToken)), "mcp:read mcp:write")
	if st.Writes.Load() != 0 {
		t.Fatalf("write_thing ran on a read-only token")
	}

	// A broader scope than the grant's is refused at refresh.
	resp = s.postForm("/token", clientAuthForm(c, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {narrow.RefreshToken}, "scope": {"mcp:read mcp:admin"},
	}), nil)
	wantOAuthError(t, resp, http.StatusBadRequest, wire.InvalidScope)

	// The rotated refresh token still carries the grant's two scopes.
	resp = s.postForm("/token", clientAuthForm(c, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {narrow.RefreshToken},
	}), nil)
	var full tokenResponse
	decodeJSON(t, resp, &full)
	if full.Scope != "mcp:read mcp:write" {
		t.Fatalf("refresh without scope: %q, want the grant's scopes", full.Scope)
	}
	if resp := s.do(mcptest.Post(mcptest.ToolCall(3, "write_thing"), full.AccessToken)); resp.StatusCode != http.StatusOK || st.Writes.Load() != 1 {
		t.Errorf("write with the full token: %d, %d writes", resp.StatusCode, st.Writes.Load())
	}
}

// wantInsufficientScopeAS is wantInsufficientScope for the asServer, whose
// resource metadata URL is the authorization-server tests' one.
func wantInsufficientScopeAS(t *testing.T, resp *http.Response, wantScope string) {
	t.Helper()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403: %s", resp.StatusCode, readBody(t, resp))
	}
	challenges, err := oauthex.ParseWWWAuthenticate(resp.Header.Values("WWW-Authenticate"))
	if err != nil || len(challenges) != 1 {
		t.Fatalf("challenge %q: %v", resp.Header.Values("WWW-Authenticate"), err)
	}
	p := challenges[0].Params
	if p["error"] != wire.InsufficientScope || p["scope"] != wantScope || p["resource_metadata"] != asTestIssuer+"/.well-known/oauth-protected-resource/mcp" {
		t.Errorf("challenge params %v, want insufficient_scope, scope %q and the resource metadata", p, wantScope)
	}
}

// TestConsentCoversTheApprovedScopes: a remembered approval skips the
// consent page only for the scopes it approved, so a step-up to a broader
// scope asks the person again.
func TestConsentCoversTheApprovedScopes(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	withScope := func(scope string) url.Values {
		p := authParams(c, challenge)
		p.Set("scope", scope)
		return p
	}
	consentShown := func(scope string) bool {
		t.Helper()
		resp := s.browserGet("/authorize", withScope(scope))
		switch resp.StatusCode {
		case http.StatusOK:
			return true
		case http.StatusFound:
			upstreamState(t, resp)
			return false
		}
		t.Fatalf("GET /authorize scope=%q: %d %s", scope, resp.StatusCode, readBody(t, resp))
		return false
	}

	upstreamState(t, s.approve(withScope("mcp:read"), "github"))
	if consentShown("mcp:read") {
		t.Errorf("consent for mcp:read was not remembered")
	}
	resp := s.browserGet("/authorize", withScope("mcp:read mcp:write"))
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "mcp:write") {
		t.Fatalf("step-up to mcp:write skipped the consent page: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The person approves the broader request; it is remembered too.
	form := consentForm(t, page)
	form.Set("provider", "github")
	upstreamState(t, s.browserPost("/authorize", form))
	if consentShown("mcp:write mcp:read") {
		t.Errorf("consent for mcp:read mcp:write was not remembered (scope order must not matter)")
	}
	if consentShown("mcp:read") {
		t.Errorf("the earlier approval for mcp:read was forgotten")
	}
}
