package oidc_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

func TestFullFlow(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, nil)
	if s.p.Name() != "oidc" || s.p.DisplayName() != "OpenID Connect ("+strings.TrimPrefix(s.fake.URL, "http://")+")" || s.p.Issuer() != s.fake.URL {
		t.Errorf("name %q, display %q, issuer %q", s.p.Name(), s.p.DisplayName(), s.p.Issuer())
	}
	id, tok, claims, err := s.signIn(t)
	if err != nil {
		t.Fatalf("ExchangeClaims: %v", err)
	}
	want := upstream.Identity{Subject: "248289761001", Login: "alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice Example"}
	if id != want {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
	if claims.Subject != id.Subject || claims.Issuer != s.fake.URL || !slices.Equal(claims.Groups, []string{"staff"}) || !claims.EmailVerified {
		t.Errorf("claims = %+v", claims)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Errorf("token = %+v", tok)
	}
	if want := s.clk.Now().Add(time.Hour); !tok.Expiry.Equal(want) {
		t.Errorf("expiry = %v, want %v (expires_in on the injected clock)", tok.Expiry, want)
	}
	if !slices.Equal(tok.Scopes, []string{"openid", "email", "profile"}) {
		t.Errorf("scopes = %v", tok.Scopes)
	}
	c := s.fake.Counts()
	if c.DiscoveryCalls != 1 || c.Authorizations != 1 || c.Exchanges != 1 || c.UserInfoCalls != 0 || c.JWKSCalls != 1 {
		t.Errorf("counts = %+v", c)
	}

	// Exchange is ExchangeClaims without the claims.
	nonce := "n-" + oauth2.GenerateVerifier()
	code, verifier := s.login(t, nonce)
	id2, _, err := s.p.Exchange(t.Context(), code, verifier, nonce)
	if err != nil || id2 != want {
		t.Errorf("Exchange = %+v, %v", id2, err)
	}
	// The code is single use.
	_, _, err = s.p.Exchange(t.Context(), code, verifier, nonce)
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("second use of the code: %v, want invalid_grant", err)
	}
	if strings.Contains(err.Error(), code) {
		t.Errorf("error quotes the code: %v", err)
	}
	if _, ok := errors.AsType[*oauth2.RetrieveError](err); !ok {
		t.Errorf("error %v does not wrap *oauth2.RetrieveError", err)
	}
}

func TestAuthCodeURL(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, func(c *oidc.Config) {
		c.Scopes = []string{"email", "groups"}
		c.ExtraAuthParams = map[string]string{"prompt": "login", "login_hint": "alice@example.com"}
	})
	raw := s.p.AuthCodeURL(upstream.AuthRequest{State: "st", CodeChallenge: "ch", Nonce: "nn"})
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != s.fake.URL+"/authorize" {
		t.Errorf("endpoint = %q", got)
	}
	q := u.Query()
	want := url.Values{
		"response_type":         {"code"},
		"client_id":             {s.fake.ClientID()},
		"redirect_uri":          {callback},
		"scope":                 {"openid email groups"},
		"state":                 {"st"},
		"nonce":                 {"nn"},
		"code_challenge":        {"ch"},
		"code_challenge_method": {"S256"},
		"prompt":                {"login"},
		"login_hint":            {"alice@example.com"},
	}
	if q.Encode() != want.Encode() {
		t.Errorf("query =\n%s\nwant\n%s", q.Encode(), want.Encode())
	}
}

func TestSignInWithAnotherUser(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, func(c *oidc.Config) {
		c.ExtraAuthParams = map[string]string{"login_hint": "bob@example.net"}
	})
	id, _, claims, err := s.signIn(t)
	if err != nil {
		t.Fatal(err)
	}
	// bob's address is not verified: it is reported, but as unverified,
	// and since email_verified was in the ID token userinfo is not asked.
	if id.Login != "bob" || id.Email != "bob@example.net" || id.EmailVerified || claims.EmailVerified || claims.Groups != nil {
		t.Errorf("identity = %+v, claims = %+v", id, claims)
	}
	if n := s.fake.Counts().UserInfoCalls; n != 0 {
		t.Errorf("userinfo calls = %d, want 0", n)
	}
}

func TestEmailVerifiedClaim(t *testing.T) {
	tests := []struct {
		name      string
		idToken   func(map[string]any)
		userinfo  func(map[string]any)
		omitEmail bool
		email     string
		verified  bool
		userinfos int
	}{
		{name: "boolean true", email: "alice@example.com", verified: true},
		{name: "string true", idToken: func(c map[string]any) { c["email_verified"] = "true" }, email: "alice@example.com", verified: true},
		{name: "string false", idToken: func(c map[string]any) { c["email_verified"] = "false" }, email: "alice@example.com"},
		{name: "not a boolean", idToken: func(c map[string]any) { c["email_verified"] = 1 }, email: "alice@example.com"},
		{name: "from userinfo", omitEmail: true, email: "alice@example.com", verified: true, userinfos: 1},
		{
			name: "userinfo string true", omitEmail: true, email: "alice@example.com", verified: true, userinfos: 1,
			userinfo: func(c map[string]any) { c["email_verified"] = "true" },
		},
		{
			name: "userinfo without email_verified", omitEmail: true, email: "alice@example.com", userinfos: 1,
			userinfo: func(c map[string]any) { delete(c, "email_verified") },
		},
		{
			name: "status completed from userinfo", email: "alice@example.com", verified: true, userinfos: 1,
			idToken: func(c map[string]any) { delete(c, "email_verified") },
		},
		{
			name: "userinfo vouches for another address", email: "alice@example.com", userinfos: 1,
			idToken:  func(c map[string]any) { delete(c, "email_verified") },
			userinfo: func(c map[string]any) { c["email"] = "mallory@example.com" },
		},
		{
			name: "no email anywhere", omitEmail: true, userinfos: 1,
			userinfo: func(c map[string]any) { delete(c, "email"); delete(c, "email_verified") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, fakeoidc.Options{OmitEmailFromIDToken: tt.omitEmail}, nil)
			s.fake.SetIDTokenMutator(tt.idToken)
			s.fake.SetUserInfoMutator(tt.userinfo)
			id, _, claims, err := s.signIn(t)
			if err != nil {
				t.Fatal(err)
			}
			if id.Email != tt.email || id.EmailVerified != tt.verified || claims.EmailVerified != tt.verified {
				t.Errorf("email %q verified %v, want %q %v", id.Email, id.EmailVerified, tt.email, tt.verified)
			}
			if n := s.fake.Counts().UserInfoCalls; n != tt.userinfos {
				t.Errorf("userinfo calls = %d, want %d", n, tt.userinfos)
			}
			wantLogin := "alice"
			if id.Login != wantLogin || id.Name != "Alice Example" {
				t.Errorf("login %q name %q", id.Login, id.Name)
			}
		})
	}
}

func TestUserInfoFallbackProfile(t *testing.T) {
	// Without the profile scope in the ID token's claims, the login falls
	// back to the email, then the subject.
	s := newSetup(t, fakeoidc.Options{}, func(c *oidc.Config) { c.Scopes = []string{"openid", "email"} })
	id, _, _, err := s.signIn(t)
	if err != nil {
		t.Fatal(err)
	}
	if id.Login != "alice@example.com" || id.Name != "" {
		t.Errorf("identity = %+v, want the email as login", id)
	}
	s = newSetup(t, fakeoidc.Options{}, func(c *oidc.Config) { c.Scopes = []string{"openid"} })
	id, _, _, err = s.signIn(t)
	if err != nil {
		t.Fatal(err)
	}
	if id.Login != "248289761001" || id.Email != "" || id.EmailVerified {
		t.Errorf("identity = %+v, want the subject as login", id)
	}
}

// failingUserInfo answers every /userinfo request with 503.
type failingUserInfo struct{}

func (failingUserInfo) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/userinfo" {
		return &http.Response{
			StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
			Header: http.Header{}, Body: io.NopCloser(strings.NewReader("down")), Request: r,
		}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestUserInfoErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(map[string]any)
		client *http.Client
		want   string
	}{
		{name: "other subject", mutate: func(c map[string]any) { c["sub"] = "someone-else" }, want: "userinfo: subject differs"},
		{name: "malformed email_verified", mutate: func(c map[string]any) { c["email_verified"] = "yes" }, want: "userinfo: oidc: failed to decode userinfo"},
		{name: "endpoint fails", client: &http.Client{Transport: failingUserInfo{}}, want: "userinfo: 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, fakeoidc.Options{OmitEmailFromIDToken: true}, func(c *oidc.Config) { c.HTTPClient = tt.client })
			s.fake.SetUserInfoMutator(tt.mutate)
			_, _, _, err := s.signIn(t)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, oidc.ErrIDToken) {
				t.Errorf("error = %v, want %q (not an ID token error)", err, tt.want)
			}
			assertNoLeak(t, s.fake, err)
		})
	}
}
