package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

func TestRevokeAccessTokenEndsTheGrant(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodPost, "https://app.example.com/cb")
	pair := s.tokenPair(c)
	resp := s.postForm("/revoke", clientAuthForm(c, url.Values{"token": {pair.AccessToken}}), nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("revoke: %d %v", resp.StatusCode, resp.Header)
	}
	if _, err := s.accessRecord(pair.AccessToken); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("access token alive: %v", err)
	}
	wantOAuthError(t, s.refresh(c, pair.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
}

func TestRevokeAnswers200AndChangesNothing(t *testing.T) {
	tests := []struct {
		name  string
		token func(pair tokenResponse) string
	}{
		{"malformed token", func(tokenResponse) string { return "gho_not_ours" }},
		{"unknown access token", func(tokenResponse) string { return tokens.Mint(tokens.KindAccess, tokens.NewID()) }},
		{"unknown refresh token", func(tokenResponse) string { return tokens.Mint(tokens.KindRefresh, tokens.NewID()) }},
		{"client secret", func(tokenResponse) string { return tokens.Mint(tokens.KindClientSecret, "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, "http://localhost:1/cb")
			pair := s.tokenPair(c)
			resp := s.postForm("/revoke", url.Values{"client_id": {c.ID}, "token": {tt.token(pair)}, "token_type_hint": {"access_token"}}, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, readBody(t, resp))
			}
			if _, err := s.accessRecord(pair.AccessToken); err != nil {
				t.Errorf("an unrelated revocation removed the grant: %v", err)
			}
		})
	}
}

func TestRevokeAnotherClientsTokenIsIgnored(t *testing.T) {
	s := newTestServer(t, nil)
	owner := s.register(authMethodNone, "http://localhost:1/cb")
	other := s.register(authMethodNone, "http://localhost:1/cb")
	pair := s.tokenPair(owner)
	for _, tok := range []string{pair.AccessToken, pair.RefreshToken} {
		resp := s.postForm("/revoke", url.Values{"client_id": {other.ID}, "token": {tok}}, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if _, err := s.accessRecord(pair.AccessToken); err != nil {
		t.Errorf("another client revoked the grant: %v", err)
	}
}

func TestRevokeRotatedRefreshTokenEndsTheGrant(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:1/cb")
	first := s.tokenPair(c)
	var second tokenResponse
	decodeJSON(t, s.refresh(c, first.RefreshToken), &second)
	resp := s.postForm("/revoke", url.Values{"client_id": {c.ID}, "token": {first.RefreshToken}}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if _, err := s.accessRecord(second.AccessToken); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("grant alive after revoking its rotated refresh token: %v", err)
	}
}

func TestRevokeErrors(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodPost, "https://app.example.com/cb")
	pair := s.tokenPair(c)
	wantOAuthError(t, s.postForm("/revoke", url.Values{"token": {pair.AccessToken}}, nil), http.StatusUnauthorized, wire.InvalidClient)
	wantOAuthError(t, s.postForm("/revoke", url.Values{"client_id": {c.ID}, "token": {pair.AccessToken}}, nil), http.StatusUnauthorized, wire.InvalidClient)
	wantOAuthError(t, s.postForm("/revoke", clientAuthForm(c, url.Values{}), nil), http.StatusBadRequest, wire.InvalidRequest)
	if _, err := s.accessRecord(pair.AccessToken); err != nil {
		t.Errorf("a refused revocation removed the grant: %v", err)
	}
}

func TestRevokeStoreFailure(t *testing.T) {
	s, fs := newFailingServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:1/cb")
	pair := s.tokenPair(c)
	fs.failGetAccess = true
	want503(t, s.postForm("/revoke", url.Values{"client_id": {c.ID}, "token": {pair.AccessToken}}, nil))
	fs.failGetAccess = false
	fs.failRevoke = true
	want503(t, s.postForm("/revoke", url.Values{"client_id": {c.ID}, "token": {pair.AccessToken}}, nil))
	fs.failRevoke = false
	if resp := s.postForm("/revoke", url.Values{"client_id": {c.ID}, "token": {pair.AccessToken}}, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke after recovery: %d", resp.StatusCode)
	}
	if _, err := s.accessRecord(pair.AccessToken); err == nil {
		t.Errorf("grant alive after revocation")
	}
}
