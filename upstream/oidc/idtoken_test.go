package oidc_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

func TestForgedIDTokensRejected(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, nil)
	tests := []struct {
		name   string
		mutate func(c map[string]any)
		forge  bool
		omit   bool
		want   string
	}{
		{name: "forged signature", forge: true, want: "signature does not verify"},
		{name: "wrong audience", mutate: func(c map[string]any) { c["aud"] = "someone-else" }, want: "audience does not include this client"},
		{name: "no audience", mutate: func(c map[string]any) { delete(c, "aud") }, want: "audience does not include this client"},
		{name: "several audiences without azp", mutate: func(c map[string]any) { c["aud"] = []string{c["aud"].(string), "other"} }, want: "several audiences and no authorized party"},
		{
			name: "several audiences, azp of another client",
			mutate: func(c map[string]any) {
				c["aud"] = []string{c["aud"].(string), "other"}
				c["azp"] = "other"
			},
			want: "authorized party (azp) is not this client",
		},
		{name: "azp of another client", mutate: func(c map[string]any) { c["azp"] = "other" }, want: "authorized party (azp) is not this client"},
		{name: "wrong nonce", mutate: func(c map[string]any) { c["nonce"] = "replayed" }, want: "nonce mismatch"},
		{name: "no nonce", mutate: func(c map[string]any) { delete(c, "nonce") }, want: "nonce mismatch"},
		{name: "expired", mutate: func(c map[string]any) { c["exp"] = s.clk.Now().Add(-time.Minute).Unix() }, want: "expired at"},
		{name: "not valid yet", mutate: func(c map[string]any) { c["nbf"] = s.clk.Now().Add(time.Hour).Unix() }, want: "not valid yet"},
		{name: "wrong issuer", mutate: func(c map[string]any) { c["iss"] = "https://evil.example" }, want: "issuer does not match"},
		{name: "no subject", mutate: func(c map[string]any) { delete(c, "sub") }, want: "no subject"},
		{name: "malformed claim", mutate: func(c map[string]any) { c["email"] = 42 }, want: "claims are malformed"},
		{name: "missing id_token", omit: true, want: "no id_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.fake.SetIDTokenMutator(tt.mutate)
			s.fake.SignWithUnknownKey(tt.forge)
			s.fake.SetOmitIDToken(tt.omit)
			t.Cleanup(func() {
				s.fake.SetIDTokenMutator(nil)
				s.fake.SignWithUnknownKey(false)
				s.fake.SetOmitIDToken(false)
			})
			id, tok, _, err := s.signIn(t)
			if !errors.Is(err, oidc.ErrIDToken) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want ErrIDToken with %q", err, tt.want)
			}
			if id != (upstream.Identity{}) || tok.AccessToken != "" {
				t.Errorf("rejected login returned identity %+v / a token", id)
			}
			assertNoLeak(t, s.fake, err)
		})
	}

	// The same provider still accepts a genuine token afterwards.
	if _, _, _, err := s.signIn(t); err != nil {
		t.Errorf("genuine login after the forgeries: %v", err)
	}
}

func TestAuthorizedPartyAccepted(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, nil)
	s.fake.SetIDTokenMutator(func(c map[string]any) {
		c["azp"] = c["aud"]
		c["aud"] = []string{c["aud"].(string), "https://api.example.com"}
	})
	if _, _, _, err := s.signIn(t); err != nil {
		t.Errorf("several audiences with our azp: %v", err)
	}
}

func TestExchangeInputs(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, nil)
	ctx := t.Context()
	if _, _, err := s.p.Exchange(ctx, "", "v", "n"); err == nil || !strings.Contains(err.Error(), "empty authorization code") {
		t.Errorf("empty code: %v", err)
	}
	code, verifier := s.login(t, "nonce-1")
	if _, _, err := s.p.Exchange(ctx, code, verifier, ""); err == nil || !strings.Contains(err.Error(), "empty nonce") {
		t.Errorf("empty nonce: %v", err)
	}
	if n := s.fake.Counts().Exchanges + s.fake.Counts().FailedExchanges; n != 0 {
		t.Errorf("token endpoint called %d times for refused inputs", n)
	}
	_, _, err := s.p.Exchange(ctx, code, oauth2.GenerateVerifier(), "nonce-1")
	if err == nil || !strings.Contains(err.Error(), "invalid_grant: code_verifier does not match") {
		t.Errorf("wrong verifier: %v", err)
	}
	if strings.Contains(err.Error(), code) {
		t.Errorf("error quotes the code: %v", err)
	}
}

func TestWrongClientSecret(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, func(c *oidc.Config) { c.ClientSecret = "wrong-secret-value" })
	_, _, _, err := s.signIn(t)
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, nil)
	if _, _, _, err := s.signIn(t); err != nil {
		t.Fatal(err)
	}
	first := s.fake.CurrentKeyID()
	if kid := s.fake.RotateKey(); kid == first {
		t.Fatalf("RotateKey kept key ID %q", kid)
	}
	// The new key ID is unknown to the cached key set: the provider
	// fetches the JWKS again and the token verifies.
	if _, _, _, err := s.signIn(t); err != nil {
		t.Fatalf("token signed with the rotated key: %v", err)
	}
	if n := s.fake.Counts().JWKSCalls; n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
	// Cached keys serve the next logins without another fetch, also
	// once the old key is gone.
	s.fake.DropOldKeys()
	if _, _, _, err := s.signIn(t); err != nil {
		t.Fatal(err)
	}
	if n := s.fake.Counts().JWKSCalls; n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
	// A forged token under the current key ID is still refused after the
	// refetch it causes.
	s.fake.SignWithUnknownKey(true)
	if _, _, _, err := s.signIn(t); !errors.Is(err, oidc.ErrIDToken) {
		t.Errorf("forged token after rotation: %v", err)
	}
}

func TestHostedDomainAndTenantPolicy(t *testing.T) {
	users := []fakeoidc.User{
		{Subject: "1", Email: "a@corp.example", EmailVerified: true, HostedDomain: "corp.example", TenantID: "T-ONE"},
		{Subject: "2", Email: "b@gmail.example", EmailVerified: true},
	}
	tests := []struct {
		name    string
		subject string
		edit    func(*oidc.Config)
		denied  bool
	}{
		{name: "hosted domain matches", subject: "1", edit: func(c *oidc.Config) { c.HostedDomain = "corp.example" }},
		{name: "hosted domain differs", subject: "1", edit: func(c *oidc.Config) { c.HostedDomain = "other.example" }, denied: true},
		{name: "no hosted domain", subject: "2", edit: func(c *oidc.Config) { c.HostedDomain = "corp.example" }, denied: true},
		{name: "tenant allowed", subject: "1", edit: func(c *oidc.Config) { c.AllowedTenants = []string{"t-one"} }},
		{name: "tenant not allowed", subject: "1", edit: func(c *oidc.Config) { c.AllowedTenants = []string{"t-two"} }, denied: true},
		{name: "no tenant", subject: "2", edit: func(c *oidc.Config) { c.AllowedTenants = []string{"t-one"} }, denied: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, fakeoidc.Options{Users: users, DefaultSubject: tt.subject}, tt.edit)
			id, _, claims, err := s.signIn(t)
			if tt.denied {
				if !errors.Is(err, upstream.ErrDenied) || errors.Is(err, oidc.ErrIDToken) {
					t.Errorf("error = %v, want upstream.ErrDenied", err)
				}
				return
			}
			if err != nil || id.Subject != tt.subject {
				t.Fatalf("login: %+v, %v", id, err)
			}
			if claims.HostedDomain != "corp.example" || claims.TenantID != "T-ONE" {
				t.Errorf("claims = %+v", claims)
			}
		})
	}
}
