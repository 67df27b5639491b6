package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// The Claude profile: what Claude (claude.ai, Claude Desktop, mobile) and
// Claude Code send, byte for byte where it matters (mcp-auth-checklist §2,
// §6.1).

const (
	claudeCIMD     = "https://claude.ai/oauth/mcp-oauth-client-metadata"
	claudeCodeCIMD = "https://claude.ai/oauth/claude-code-client-metadata"
	// claudeDCRBody is the registration request Claude sends.
	claudeDCRBody = `{"redirect_uris":["https://claude.ai/api/mcp/auth_callback"],"token_endpoint_auth_method":"client_secret_post","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"Claude"}`
)

// noNulls fails when a JSON body holds a null anywhere.
func noNulls(t *testing.T, body []byte) {
	t.Helper()
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case nil:
			t.Errorf("%s is null in %s", path, body)
		case map[string]any:
			for k, e := range v {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range v {
				walk(path+"[]", e)
			}
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	walk("$", v)
}

// claudeToken posts a token request as Claude does: client_secret_post,
// form-encoded, resource included.
func (s *asServer) claudeToken(form url.Values) *http.Response {
	s.t.Helper()
	return s.postForm("/token", form, nil)
}

func TestClaudeDCRProfile(t *testing.T) {
	s := newTestServer(t, nil)

	// Registration: Claude's exact body.
	r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(claudeDCRBody))
	r.Header.Set("Content-Type", "application/json")
	resp := s.do(r)
	body := []byte(readBody(t, resp))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	noNulls(t, body)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if v, ok := raw["client_secret_expires_at"]; !ok || v != float64(0) {
		t.Errorf("client_secret_expires_at = %v (present %v), want 0", v, ok)
	}
	for k, v := range raw {
		if v == "" {
			t.Errorf("%s is empty in %s", k, body)
		}
	}
	var reg registrationResponse
	if err := json.Unmarshal(body, &reg); err != nil {
		t.Fatal(err)
	}
	if reg.ClientSecret == "" || reg.TokenEndpointAuthMethod != authMethodPost || reg.ClientName != "Claude" ||
		strings.Join(reg.RedirectURIs, " ") != claudeAICallback ||
		strings.Join(reg.GrantTypes, " ") != "authorization_code refresh_token" || strings.Join(reg.ResponseTypes, " ") != "code" {
		t.Fatalf("registration response %s", body)
	}

	// Authorization with the claude.com twin of the registered callback.
	c := testClient{ID: reg.ClientID, Secret: reg.ClientSecret, Method: authMethodPost, RedirectURI: claudeComCallback}
	verifier, challenge := pkce()
	params := authParams(c, challenge)
	resp = s.browserGet("/authorize", params)
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /authorize with the claude.com callback: %d %s", resp.StatusCode, page)
	}
	if !strings.Contains(page, "claude.com") || !strings.Contains(page, "Claude") {
		t.Errorf("consent page does not name Claude and claude.com:\n%s", page)
	}
	form := consentForm(t, page)
	form.Set("provider", s.idp.name)
	state := upstreamState(t, s.browserPost("/authorize", form))
	redirect := s.callback(state, s.idp.login(t, state))
	if got := strings.SplitN(redirect.String(), "?", 2)[0]; got != claudeComCallback {
		t.Fatalf("redirected to %s, want %s", got, claudeComCallback)
	}

	// The token request exactly as Claude sends it.
	resp = s.claudeToken(url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {redirect.Query().Get("code")},
		"redirect_uri":  {claudeComCallback},
		"code_verifier": {verifier},
		"client_id":     {reg.ClientID},
		"client_secret": {reg.ClientSecret},
		"resource":      {asTestResource},
	})
	body = []byte(readBody(t, resp))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	noNulls(t, body)
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" || tr.RefreshToken == "" || tr.TokenType != "Bearer" {
		t.Fatalf("token response %s", body)
	}

	// Refresh with client_secret_post.
	resp = s.claudeToken(url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {tr.RefreshToken},
		"client_id":     {reg.ClientID},
		"client_secret": {reg.ClientSecret},
		"resource":      {asTestResource},
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %s", resp.StatusCode, readBody(t, resp))
	}
	var tr2 tokenResponse
	decodeJSON(t, resp, &tr2)

	// The registration is deleted (an operator ran "mcpgate clients
	// delete"): the token endpoint answers 401 invalid_client, which makes
	// Claude register again.
	if err := s.store.DeleteClient(context.Background(), reg.ClientID); err != nil {
		t.Fatal(err)
	}
	resp = s.claudeToken(url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {tr2.RefreshToken},
		"client_id":     {reg.ClientID},
		"client_secret": {reg.ClientSecret},
		"resource":      {asTestResource},
	})
	wantOAuthError(t, resp, http.StatusUnauthorized, wire.InvalidClient)
}

func TestClaudeCIMDPinnedFallback(t *testing.T) {
	f := newFakeFetcher(cloudflareChallenge)
	s := newTestServer(t, func(c *Config) { c.FetchClientMetadata = f.fetch })

	for _, callback := range []string{claudeAICallback, claudeComCallback} {
		t.Run(callback, func(t *testing.T) {
			c := cimdClient(claudeCIMD, callback)
			_, challenge := pkce()
			resp := s.browserGet("/authorize", authParams(c, challenge))
			page := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /authorize: %d %s", resp.StatusCode, page)
			}
			host := strings.TrimPrefix(strings.SplitN(callback, "/api/", 2)[0], "https://")
			for _, want := range []string{"Claude (metadata from claude.ai)", host, claudeCIMD} {
				if !strings.Contains(page, want) {
					t.Errorf("consent page lacks %q", want)
				}
			}
			tr := s.tokenPair(c) // Claude's CIMD client is public: client_id only at /token
			if at, err := s.accessRecord(tr.AccessToken); err != nil || at.ClientID != claudeCIMD {
				t.Fatalf("access record %+v, %v", at, err)
			}
		})
	}
	// The failed fetch was tried once; the pinned copy was then cached.
	if n := f.count(claudeCIMD); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "using the pinned copy") || !strings.Contains(logs, claudeCIMD) {
		t.Errorf("log lacks the pinned fallback warning: %s", logs)
	}

	// After the short cache of a fallback the live document is tried again.
	s.clock.Advance(cimdMinTTL)
	s.cookies = map[string]*http.Cookie{} // another browser: no remembered consent
	_, challenge := pkce()
	s.approve(authParams(cimdClient(claudeCIMD, claudeAICallback), challenge), s.idp.name)
	if n := f.count(claudeCIMD); n != 2 {
		t.Errorf("fetched %d times after the fallback lapsed, want 2", n)
	}
}

func TestClaudeCIMDLiveDocumentPreferred(t *testing.T) {
	// When the live document is fetched, it wins over the pinned copy: here
	// it lists a callback the pinned copy does not.
	const newCallback = "https://claude.ai/api/mcp/auth_callback_v2"
	live := `{"client_id":"` + claudeCIMD + `","client_name":"Claude","client_uri":"https://claude.ai",` +
		`"redirect_uris":["` + claudeAICallback + `","` + newCallback + `"],` +
		`"grant_types":["authorization_code","refresh_token","urn:ietf:params:oauth:grant-type:jwt-bearer"],` +
		`"response_types":["code"],"token_endpoint_auth_method":"none"}`
	f := newFakeFetcher(func(u string) ([]byte, http.Header, error) {
		return []byte(live), http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"max-age=3600"}}, nil
	})
	s := newTestServer(t, func(c *Config) { c.FetchClientMetadata = f.fetch })
	s.tokenPair(cimdClient(claudeCIMD, newCallback))
	if strings.Contains(s.logs.String(), "pinned copy") {
		t.Errorf("the pinned copy was used although the live document was fetched")
	}
	if n := f.count(claudeCIMD); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
}

func TestClaudeCodeCIMDLoopbackAnyPort(t *testing.T) {
	f := newFakeFetcher(cloudflareChallenge)
	s := newTestServer(t, func(c *Config) { c.FetchClientMetadata = f.fetch })
	for _, redirect := range []string{"http://localhost:53172/callback", "http://127.0.0.1:40123/callback", "http://localhost/callback"} {
		t.Run(redirect, func(t *testing.T) {
			c := cimdClient(claudeCodeCIMD, redirect)
			_, challenge := pkce()
			resp := s.browserGet("/authorize", authParams(c, challenge))
			page := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /authorize: %d %s", resp.StatusCode, page)
			}
			for _, want := range []string{"Claude Code (metadata from claude.ai)", "a program on this computer"} {
				if !strings.Contains(page, want) {
					t.Errorf("consent page lacks %q", want)
				}
			}
			verifier, challenge := pkce()
			code := s.authorize(c, challenge)
			if got := strings.SplitN(code.String(), "?", 2)[0]; got != redirect {
				t.Fatalf("redirected to %s, want %s", got, redirect)
			}
			resp = s.exchange(c, code.Query().Get("code"), verifier)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("token: %d %s", resp.StatusCode, readBody(t, resp))
			}
		})
	}
	// Only the document's paths and hosts match, on any port.
	for _, redirect := range []string{"http://localhost:53172/other", "http://[::1]:53172/callback", "https://localhost:53172/callback", "http://localhost.evil.example:53172/callback"} {
		t.Run("refused "+redirect, func(t *testing.T) {
			_, challenge := pkce()
			resp := s.browserGet("/authorize", authParams(cimdClient(claudeCodeCIMD, redirect), challenge))
			wantErrorPage(t, resp, http.StatusBadRequest, "Invalid redirect address")
		})
	}
}

func TestClaudeSeesCIMDAdvertised(t *testing.T) {
	// Claude chooses CIMD when the metadata says
	// client_id_metadata_document_supported and lists "none".
	s := newTestServer(t, nil)
	resp := s.do(httptest.NewRequest(http.MethodGet, "/.well-known/oauth-authorization-server", nil))
	body := []byte(readBody(t, resp))
	var m struct {
		CIMD        bool     `json:"client_id_metadata_document_supported"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
		PKCE        []string `json:"code_challenge_methods_supported"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if !m.CIMD || !bytes.Contains(body, []byte(`"none"`)) || !strings.Contains(strings.Join(m.AuthMethods, " "), authMethodPost) || strings.Join(m.PKCE, " ") != "S256" {
		t.Fatalf("metadata %s", body)
	}
}
