package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// TestHappyPath drives the whole flow as a client and a browser would:
// registration, the consent page, approval, the upstream leg, the
// callback, the code exchange, an authenticated /mcp request, a refresh and
// a revocation.
func TestHappyPath(t *testing.T) {
	for _, method := range []string{authMethodPost, authMethodBasic, authMethodNone} {
		t.Run(method, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(method, "https://claude.ai/api/mcp/auth_callback")
			if (c.Secret == "") != (method == authMethodNone) {
				t.Fatalf("method %s: secret issued = %v", method, c.Secret != "")
			}

			// The consent page names the client, the redirect host and the scopes.
			verifier, challenge := pkce()
			params := authParams(c, challenge)
			resp := s.browserGet("/authorize", params)
			page := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /authorize: %d %s", resp.StatusCode, page)
			}
			wantHTMLHeaders(t, resp)
			for _, want := range []string{"Test Client", "claude.ai", "mcp:read", "mcp:write", "Approve with GitHub", "Deny", `action="/authorize"`} {
				if !strings.Contains(page, want) {
					t.Errorf("consent page lacks %q", want)
				}
			}
			if strings.Contains(page, "a program on this computer") {
				t.Errorf("consent page warns about localhost for an https redirect")
			}

			// Approve: the browser goes to the provider with our own state and PKCE.
			form := consentForm(t, page)
			form.Set("provider", "github")
			resp = s.browserPost("/authorize", form)
			loc := location(t, resp)
			q := loc.Query()
			if q.Get("state") == "" || q.Get("state") == "client-state-123" || q.Get("code_challenge") == challenge || q.Get("nonce") == "" {
				t.Fatalf("upstream request must carry our own state, PKCE and nonce: %s", loc)
			}
			for _, name := range []string{"__Host-mcpgate_state", "__Host-mcpgate_consent", "__Host-mcpgate_csrf"} {
				c := s.cookies[name]
				if c == nil {
					t.Fatalf("cookie %s not set; have %v", name, s.cookies)
				}
				if !c.Secure || !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode || c.Domain != "" {
					t.Errorf("cookie %s attributes: %+v", name, c)
				}
			}

			// The provider sends the browser back; the client gets code, state and iss.
			state := q.Get("state")
			redirect := s.callback(state, s.idp.login(t, state))
			if got := strings.SplitN(redirect.String(), "?", 2)[0]; got != c.RedirectURI {
				t.Fatalf("redirected to %s, want %s", got, c.RedirectURI)
			}
			rq := redirect.Query()
			code := rq.Get("code")
			if rq.Get("state") != "client-state-123" || rq.Get("iss") != asTestIssuer || !strings.HasPrefix(code, "mcpgate_ac_") {
				t.Fatalf("client redirect %s", redirect)
			}
			if _, ok := s.cookies["__Host-mcpgate_state"]; ok {
				t.Errorf("the state cookie must be cleared after the callback")
			}

			// Code exchange.
			resp = s.exchange(c, code, verifier)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("token: %d %s", resp.StatusCode, readBody(t, resp))
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
				t.Errorf("token response caching headers: %v", resp.Header)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("token response lacks CORS")
			}
			var raw map[string]any
			var tr tokenResponse
			body := readBody(t, resp)
			json.Unmarshal([]byte(body), &raw)
			json.Unmarshal([]byte(body), &tr)
			// Claude's redirect URI: the built-in sliding rule, one idle day.
			if tr.TokenType != "Bearer" || tr.ExpiresIn != 86400 || tr.Scope != "mcp:read mcp:write" ||
				!strings.HasPrefix(tr.AccessToken, "mcpgate_at_") || !strings.HasPrefix(tr.RefreshToken, "mcpgate_rt_") {
				t.Fatalf("token response %s", body)
			}
			for k, v := range raw {
				if v == nil || v == "" {
					t.Errorf("token response field %s is empty", k)
				}
			}

			// The access token record is bound to the client, the user and R,
			// and the grant's upstream token opens with the data key it wraps.
			at, err := s.accessRecord(tr.AccessToken)
			if err != nil {
				t.Fatalf("access token not stored: %v", err)
			}
			if at.ClientID != c.ID || at.UserID != "github:4242" || at.Resource != asTestResource {
				t.Errorf("access record %+v", at)
			}
			grant, err := s.store.GetGrant(context.Background(), at.GrantID)
			if err != nil {
				t.Fatal(err)
			}
			dk, err := s.keys.UnwrapGrantKey(tr.AccessToken, at.GrantID, at.WrappedKey)
			if err != nil {
				t.Fatalf("data key does not unwrap with the access token: %v", err)
			}
			plain, err := tokens.OpenUpstream(dk, at.GrantID, grant.Upstream)
			if err != nil {
				t.Fatalf("upstream token does not open: %v", err)
			}
			var up upstream.Token
			json.Unmarshal(plain, &up)
			if up.AccessToken != "gho_upstreamsecret" {
				t.Errorf("upstream token %+v", up)
			}
			if strings.Contains(string(grant.Upstream), "gho_upstreamsecret") {
				t.Errorf("upstream token stored in clear")
			}

			// The access token opens /mcp.
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`))
			r.Header.Set("Authorization", "Bearer "+tr.AccessToken)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			if resp := s.do(r); resp.StatusCode != http.StatusOK {
				t.Fatalf("/mcp with the access token: %d %s", resp.StatusCode, readBody(t, resp))
			}

			// Refresh: a new pair; the old access token still works until
			// it expires, the old refresh token is rotated.
			resp = s.refresh(c, tr.RefreshToken)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("refresh: %d %s", resp.StatusCode, readBody(t, resp))
			}
			var tr2 tokenResponse
			decodeJSON(t, resp, &tr2)
			if tr2.AccessToken == tr.AccessToken || tr2.RefreshToken == tr.RefreshToken || tr2.Scope != tr.Scope {
				t.Fatalf("refresh did not rotate: %+v", tr2)
			}
			if _, err := s.accessRecord(tr2.AccessToken); err != nil {
				t.Fatalf("refreshed access token not stored: %v", err)
			}

			// Revoke ends the grant.
			resp = s.postForm("/revoke", clientAuthForm(c, url.Values{"token": {tr2.RefreshToken}, "token_type_hint": {"refresh_token"}}), clientBasic(c))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("revoke: %d %s", resp.StatusCode, readBody(t, resp))
			}
			for _, tok := range []string{tr.AccessToken, tr2.AccessToken} {
				if _, err := s.accessRecord(tok); !errors.Is(err, tokens.ErrNotFound) {
					t.Errorf("access token alive after revocation: %v", err)
				}
			}
			wantOAuthError(t, s.refresh(c, tr2.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)

			// Nothing secret ever reached the log.
			logs := s.logs.String()
			for name, secret := range map[string]string{
				"code": code, "access token": tr.AccessToken, "refresh token": tr.RefreshToken,
				"second access token": tr2.AccessToken, "upstream state": state, "upstream token": "gho_upstreamsecret",
			} {
				if strings.Contains(logs, secret) {
					t.Errorf("the log contains the %s", name)
				}
			}
			if c.Secret != "" && strings.Contains(logs, c.Secret) {
				t.Errorf("the log contains the client secret")
			}
			for _, cookie := range s.cookies {
				if strings.Contains(logs, cookie.Value) {
					t.Errorf("the log contains cookie %s", cookie.Name)
				}
			}
			for _, want := range []string{"client registered", "consent approved", "authorization granted", "tokens issued", "refresh token rotated", "grant revoked"} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q", want)
				}
			}
		})
	}
}
