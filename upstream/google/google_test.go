package google_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc/fakeoidctest"
	"github.com/mcpgate/mcpgate/upstream/google"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

const callback = "http://127.0.0.1:8080/oauth/callback/google"

var workspaceUsers = []fakeoidc.User{
	{Subject: "109876543210987654321", Email: "ada@corp.example", EmailVerified: true, Name: "Ada Lovelace", HostedDomain: "corp.example"},
	{Subject: "101010101010101010101", Email: "grace@other.example", EmailVerified: true, Name: "Grace Hopper", HostedDomain: "other.example"},
	{Subject: "111111111111111111111", Email: "alan@gmail.example", EmailVerified: true, Name: "Alan Turing"},
}

// newGoogle starts a fake playing Google (refresh tokens that do not
// rotate) and a provider for it.
func newGoogle(t *testing.T, subject string, edit func(*google.Config)) (*fakeoidc.Fake, *oidc.Provider) {
	t.Helper()
	f := fakeoidctest.NewServer(t, fakeoidc.Options{
		AutoApprove: true, Users: workspaceUsers, DefaultSubject: subject, NoRefreshRotation: true,
	})
	cfg := google.Config{ClientID: f.ClientID(), ClientSecret: f.ClientSecret(), RedirectURL: callback, IssuerURL: f.URL}
	if edit != nil {
		edit(&cfg)
	}
	p, err := google.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("google.New: %v", err)
	}
	return f, p
}

func signIn(t *testing.T, p *oidc.Provider) (upstream.Identity, upstream.Token, oidc.Claims, error) {
	t.Helper()
	verifier, nonce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	authURL := p.AuthCodeURL(upstream.AuthRequest{State: "st", CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier), Nonce: nonce})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("callback %q: %v", resp.Header.Get("Location"), err)
	}
	return p.ExchangeClaims(t.Context(), loc.Query().Get("code"), verifier, nonce)
}

func authParams(t *testing.T, p *oidc.Provider) url.Values {
	t.Helper()
	u, err := url.Parse(p.AuthCodeURL(upstream.AuthRequest{State: "st", CodeChallenge: "ch", Nonce: "nn"}))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func TestAuthCodeURL(t *testing.T) {
	tests := []struct {
		name string
		edit func(*google.Config)
		want map[string]string // "" means absent
	}{
		{name: "default offline", want: map[string]string{"access_type": "offline", "prompt": "consent", "hd": ""}},
		{name: "hosted domain", edit: func(c *google.Config) { c.HostedDomain = "corp.example" }, want: map[string]string{"access_type": "offline", "prompt": "consent", "hd": "corp.example"}},
		{name: "online", edit: func(c *google.Config) { c.Online = true }, want: map[string]string{"access_type": "online", "prompt": "", "hd": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p := newGoogle(t, "", tt.edit)
			q := authParams(t, p)
			for k, v := range tt.want {
				if got := q.Get(k); got != v || (v == "" && q.Has(k)) {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if q.Get("scope") != "openid email profile" || q.Get("nonce") != "nn" || q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
				t.Errorf("query = %v", q)
			}
		})
	}
}

func TestFullFlowAsGoogle(t *testing.T) {
	f, p := newGoogle(t, "111111111111111111111", nil)
	if p.Name() != "google" || p.DisplayName() != "Google" {
		t.Errorf("name %q display %q", p.Name(), p.DisplayName())
	}
	id, tok, claims, err := signIn(t, p)
	if err != nil {
		t.Fatal(err)
	}
	want := upstream.Identity{Subject: "111111111111111111111", Login: "alan@gmail.example", Email: "alan@gmail.example", EmailVerified: true, Name: "Alan Turing"}
	if id != want || claims.HostedDomain != "" {
		t.Errorf("identity = %+v, claims = %+v", id, claims)
	}
	if tok.RefreshToken == "" || tok.Expiry.IsZero() {
		t.Fatalf("token = %+v, want a refresh token and an expiry", tok)
	}
	// Google does not rotate: the refreshed token keeps the refresh token.
	next, err := p.Refresh(t.Context(), tok)
	if err != nil || next.RefreshToken != tok.RefreshToken || next.AccessToken == tok.AccessToken {
		t.Errorf("refresh = %+v, %v", next, err)
	}
	f.RevokeAll(id.Subject)
	if _, err := p.Refresh(t.Context(), tok); !errors.Is(err, upstream.ErrRevoked) {
		t.Errorf("revoked: %v, want ErrRevoked", err)
	}
}

func TestHostedDomain(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		denied  string
	}{
		{name: "workspace member", subject: "109876543210987654321"},
		{name: "other workspace", subject: "101010101010101010101", denied: `hosted domain "other.example" is not "corp.example"`},
		{name: "consumer account", subject: "111111111111111111111", denied: `not in the Google Workspace domain "corp.example"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p := newGoogle(t, tt.subject, func(c *google.Config) { c.HostedDomain = "corp.example" })
			id, _, claims, err := signIn(t, p)
			if tt.denied != "" {
				if !errors.Is(err, upstream.ErrDenied) || !strings.Contains(err.Error(), tt.denied) || !strings.HasPrefix(err.Error(), "google: ") {
					t.Errorf("error = %v, want ErrDenied with %q", err, tt.denied)
				}
				return
			}
			if err != nil || id.Subject != tt.subject || claims.HostedDomain != "corp.example" || id.HostedDomain != "corp.example" {
				t.Errorf("login: %+v %+v %v", id, claims, err)
			}
		})
	}
}

func TestConfiguredName(t *testing.T) {
	_, p := newGoogle(t, "111111111111111111111", func(c *google.Config) { c.Name, c.DisplayName = "workspace", "Corp Google" })
	if p.Name() != "workspace" || p.DisplayName() != "Corp Google" {
		t.Errorf("name %q display %q, want workspace and Corp Google", p.Name(), p.DisplayName())
	}
}

func TestHostedDomainForged(t *testing.T) {
	// The hd claim is covered by the signature: a token claiming the
	// domain with a forged signature is refused.
	f, p := newGoogle(t, "111111111111111111111", func(c *google.Config) { c.HostedDomain = "corp.example" })
	f.SetIDTokenMutator(func(c map[string]any) { c["hd"] = "corp.example" })
	f.SignWithUnknownKey(true)
	if _, _, _, err := signIn(t, p); !errors.Is(err, oidc.ErrIDToken) {
		t.Errorf("forged hd: %v, want ErrIDToken", err)
	}
}

func TestConfigValidation(t *testing.T) {
	const secret = "google-secret-never-shown"
	tests := []struct {
		name string
		cfg  google.Config
		want string
	}{
		{name: "no client ID", cfg: google.Config{ClientSecret: secret, RedirectURL: callback}, want: "client ID is required"},
		{name: "no secret", cfg: google.Config{ClientID: "c", RedirectURL: callback}, want: "client secret is required"},
		{name: "bad hosted domain", cfg: google.Config{ClientID: "c", ClientSecret: secret, RedirectURL: callback, HostedDomain: "*"}, want: `hosted domain "*"`},
		{name: "plain http issuer", cfg: google.Config{ClientID: "c", ClientSecret: secret, RedirectURL: callback, IssuerURL: "http://accounts.example.com"}, want: "must use https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := google.New(t.Context(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "google: ") || strings.Contains(err.Error(), secret) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
