package handlers

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

// registerGrantTypes registers a public client with the given grant_types.
func (s *asServer) registerGrantTypes(grantTypes []string, redirectURI string) testClient {
	s.t.Helper()
	resp := postRegister(s, regBody(map[string]any{"redirect_uris": []string{redirectURI}, "grant_types": grantTypes}))
	var reg registrationResponse
	decodeJSON(s.t, resp, &reg)
	if reg.ClientID == "" {
		s.t.Fatalf("registration failed (status %d)", resp.StatusCode)
	}
	return testClient{ID: reg.ClientID, Method: authMethodNone, RedirectURI: redirectURI}
}

// TestRegisteredGrantTypesEnforced: a client registered for
// authorization_code alone gets no refresh token, its grant lives only as
// long as its access token, and the refresh_token grant is refused with
// unauthorized_client (RFC 6749 §5.2; RFC 7591 §2 grant_types).
func TestRegisteredGrantTypesEnforced(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.registerGrantTypes([]string{"authorization_code"}, "https://app.example.com/cb")
	tr := s.tokenPair(c)
	if tr.AccessToken == "" {
		t.Fatal("no access token")
	}
	if tr.RefreshToken != "" {
		t.Errorf("a client registered for authorization_code alone got a refresh token")
	}
	at, err := s.accessRecord(tr.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.store.GetGrant(context.Background(), at.GrantID)
	if err != nil {
		t.Fatal(err)
	}
	if g.ExpiresAt.After(at.ExpiresAt) {
		t.Errorf("the grant of a client without refresh outlives its access token: %v > %v", g.ExpiresAt, at.ExpiresAt)
	}
	rt := tokens.Mint(tokens.KindRefresh, at.GrantID)
	wantOAuthError(t, s.refresh(c, rt), http.StatusBadRequest, wire.UnauthorizedClient)

	// A client registered for both still refreshes.
	both := s.registerGrantTypes([]string{"authorization_code", "refresh_token"}, "https://app.example.com/cb")
	pair := s.tokenPair(both)
	if pair.RefreshToken == "" {
		t.Fatal("a client registered for refresh_token got no refresh token")
	}
	if resp := s.refresh(both, pair.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %s", resp.StatusCode, readBody(t, resp))
	}
}

// TestTokenRedirectURIRequiredWhenSent: RFC 6749 §4.1.3: redirect_uri is
// required at /token when the authorization request included it, and may
// be left out when it did not.
func TestTokenRedirectURIRequiredWhenSent(t *testing.T) {
	tests := []struct {
		name         string
		sentAtAuthz  bool
		sentAtToken  bool
		wantStatus   int
		wantGrantErr bool
	}{
		{"sent at both", true, true, http.StatusOK, false},
		{"sent at authorize, missing at token", true, false, http.StatusBadRequest, true},
		{"omitted at both", false, false, http.StatusOK, false},
		{"omitted at authorize, sent at token", false, true, http.StatusOK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, "https://app.example.com/cb")
			verifier, challenge := pkce()
			params := authParams(c, challenge)
			if !tt.sentAtAuthz {
				params.Del("redirect_uri")
			}
			state := upstreamState(t, s.approve(params, s.idp.name))
			code := s.callback(state, s.idp.login(t, state)).Query().Get("code")
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "client_id": {c.ID}}
			if tt.sentAtToken {
				form.Set("redirect_uri", c.RedirectURI)
			}
			resp := s.postForm("/token", form, nil)
			if tt.wantGrantErr {
				e := wantOAuthError(t, resp, tt.wantStatus, wire.InvalidGrant)
				if e.ErrorDescription == "" {
					t.Error("no error_description")
				}
				return
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d: %s", resp.StatusCode, readBody(t, resp))
			}
		})
	}
}
