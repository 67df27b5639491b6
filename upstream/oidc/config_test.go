package oidc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc/fakeoidctest"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

const secretValue = "s3cr3t-value-never-shown"

func TestConfigValidation(t *testing.T) {
	valid := oidc.Config{
		IssuerURL:    "https://issuer.example.com",
		ClientID:     "client",
		ClientSecret: secretValue,
		RedirectURL:  "https://gate.example.com/oauth/callback/oidc",
	}
	tests := []struct {
		name string
		edit func(*oidc.Config)
		want []string
	}{
		{name: "no issuer", edit: func(c *oidc.Config) { c.IssuerURL = "" }, want: []string{"issuer URL is required"}},
		{name: "http issuer", edit: func(c *oidc.Config) { c.IssuerURL = "http://issuer.example.com" }, want: []string{"must use https"}},
		{name: "relative issuer", edit: func(c *oidc.Config) { c.IssuerURL = "/realms/x" }, want: []string{"must be absolute"}},
		{name: "issuer with query", edit: func(c *oidc.Config) { c.IssuerURL = "https://issuer.example.com/?a=b" }, want: []string{"must not have a query"}},
		{name: "issuer with credentials", edit: func(c *oidc.Config) { c.IssuerURL = "https://u:" + secretValue + "@issuer.example.com" }, want: []string{"must not contain credentials"}},
		{name: "no client", edit: func(c *oidc.Config) { c.ClientID = " " }, want: []string{"client ID is required"}},
		{name: "no secret", edit: func(c *oidc.Config) { c.ClientSecret = "" }, want: []string{"client secret is required"}},
		{name: "no redirect", edit: func(c *oidc.Config) { c.RedirectURL = "" }, want: []string{"redirect URL is required"}},
		{name: "redirect fragment", edit: func(c *oidc.Config) { c.RedirectURL = "https://gate.example.com/cb#x" }, want: []string{"must not have a fragment"}},
		{name: "bad name", edit: func(c *oidc.Config) { c.Name = "Okta Prod" }, want: []string{`name "Okta Prod"`}},
		{name: "bad scope", edit: func(c *oidc.Config) { c.Scopes = []string{"openid email"} }, want: []string{`scope "openid email"`}},
		{name: "reserved parameter", edit: func(c *oidc.Config) { c.ExtraAuthParams = map[string]string{"Nonce": "fixed"} }, want: []string{`parameter "Nonce" is set by mcpgate`}},
		{name: "empty parameter", edit: func(c *oidc.Config) { c.ExtraAuthParams = map[string]string{"": "x"} }, want: []string{"empty name"}},
		{name: "bad hosted domain", edit: func(c *oidc.Config) { c.HostedDomain = "Example" }, want: []string{`hosted domain "Example"`}},
		{name: "bad tenant", edit: func(c *oidc.Config) { c.AllowedTenants = []string{""} }, want: []string{"allowed tenant"}},
		{
			name: "everything at once",
			edit: func(c *oidc.Config) { *c = oidc.Config{ClientSecret: secretValue, Scopes: []string{""}} },
			want: []string{"issuer URL is required", "client ID is required", "redirect URL is required", `scope ""`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.edit(&c)
			p, err := oidc.New(t.Context(), c)
			if err == nil || p != nil {
				t.Fatalf("New = %v, %v; want an error", p, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "oidc: invalid configuration: ") {
				t.Errorf("error %q lacks the prefix", err)
			}
			if strings.Contains(err.Error(), secretValue) {
				t.Errorf("error quotes the client secret: %v", err)
			}
		})
	}
}

func TestNameAndDisplayName(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, func(c *oidc.Config) {
		c.Name = "okta"
		c.DisplayName = "Okta"
	})
	if s.p.Name() != "okta" || s.p.DisplayName() != "Okta" {
		t.Errorf("name %q display %q", s.p.Name(), s.p.DisplayName())
	}
}

func TestTrailingSlashIssuer(t *testing.T) {
	for _, withSlash := range []bool{false, true} {
		s := newSetup(t, fakeoidc.Options{TrailingSlashIssuer: true}, func(c *oidc.Config) {
			if withSlash {
				c.IssuerURL += "/"
			}
		})
		if s.p.Issuer() != s.fake.URL+"/" {
			t.Errorf("issuer = %q, want the advertised %q", s.p.Issuer(), s.fake.URL+"/")
		}
		id, _, claims, err := s.signIn(t)
		if err != nil || id.Subject == "" || claims.Issuer != s.fake.URL+"/" {
			t.Errorf("configured with slash %v: %+v %+v %v", withSlash, id, claims, err)
		}
	}
	// The reverse: the issuer has no slash, the configuration has one.
	s := newSetup(t, fakeoidc.Options{}, func(c *oidc.Config) { c.IssuerURL += "/" })
	if _, _, _, err := s.signIn(t); err != nil || s.p.Issuer() != s.fake.URL {
		t.Errorf("issuer %q: %v", s.p.Issuer(), err)
	}
}

func TestIssuerMismatch(t *testing.T) {
	tests := []struct {
		name string
		opts fakeoidc.Options
		want string
	}{
		{name: "other issuer", opts: fakeoidc.Options{Issuer: "https://other.example.com"}, want: `advertises issuer "https://other.example.com"`},
		{name: "multi-tenant template", opts: fakeoidc.Options{MultiTenant: true}, want: "multi-tenant issuer template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakeoidctest.NewServer(t, tt.opts)
			_, err := oidc.New(t.Context(), oidc.Config{IssuerURL: f.URL, ClientID: f.ClientID(), ClientSecret: f.ClientSecret(), RedirectURL: callback})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMultiTenant(t *testing.T) {
	users := []fakeoidc.User{
		{Subject: "u1", Email: "a@one.example", TenantID: "tenant-one"},
		{Subject: "u2", Email: "b@two.example", TenantID: "tenant-two"},
	}
	tests := []struct {
		name    string
		subject string
		tenants []string
		mutate  func(map[string]any)
		wantErr error
		want    string
	}{
		{name: "any tenant", subject: "u2"},
		{name: "allowed tenant", subject: "u1", tenants: []string{"TENANT-ONE"}},
		{name: "tenant not allowed", subject: "u2", tenants: []string{"tenant-one"}, wantErr: upstream.ErrDenied, want: `tenant "tenant-two" is not allowed`},
		{
			name: "issuer of another tenant", subject: "u1", tenants: []string{"tenant-one"}, wantErr: oidc.ErrIDToken, want: "is not",
			mutate: func(c map[string]any) { c["iss"] = strings.Replace(c["iss"].(string), "tenant-one", "tenant-two", 1) },
		},
		{
			name: "issuer of another provider", subject: "u1", wantErr: oidc.ErrIDToken, want: "is not",
			mutate: func(c map[string]any) { c["iss"] = "https://evil.example/tenant-one" },
		},
		{
			name: "no tenant", subject: "u1", wantErr: oidc.ErrIDToken, want: "no usable tenant",
			mutate: func(c map[string]any) { delete(c, "tid") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, fakeoidc.Options{MultiTenant: true, Users: users, DefaultSubject: tt.subject}, func(c *oidc.Config) {
				c.SkipIssuerCheck = true
				c.AllowedTenants = tt.tenants
			})
			if s.p.Issuer() != s.fake.URL+"/{tenantid}" {
				t.Errorf("issuer = %q", s.p.Issuer())
			}
			s.fake.SetIDTokenMutator(tt.mutate)
			id, _, claims, err := s.signIn(t)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error = %v, want %v with %q", err, tt.wantErr, tt.want)
				}
				return
			}
			if err != nil || id.Subject != tt.subject || claims.Issuer != s.fake.URL+"/"+claims.TenantID {
				t.Errorf("login: %+v %+v %v", id, claims, err)
			}
			if id.EmailVerified {
				t.Error("an address without email_verified was reported verified")
			}
		})
	}
}

func TestSkipIssuerCheckStillChecksDiscoveredIssuer(t *testing.T) {
	// A proxied discovery document whose issuer differs from the URL it
	// was fetched from: tokens must carry the discovered issuer.
	s := newSetup(t, fakeoidc.Options{Issuer: "https://idp.example.com"}, func(c *oidc.Config) { c.SkipIssuerCheck = true })
	if _, _, _, err := s.signIn(t); err != nil {
		t.Errorf("token with the discovered issuer: %v", err)
	}
	s.fake.SetIDTokenMutator(func(c map[string]any) { c["iss"] = s.fake.URL })
	if _, _, _, err := s.signIn(t); !errors.Is(err, oidc.ErrIDToken) {
		t.Errorf("token with another issuer: %v, want ErrIDToken", err)
	}
}

// discoveryServer serves a discovery document built by doc from its own
// URL.
func discoveryServer(t *testing.T, doc func(base string) map[string]any) string {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc(srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDiscoveryDocumentChecked(t *testing.T) {
	tests := []struct {
		name string
		edit func(base string, d map[string]any)
		want string
	}{
		{name: "plain http token endpoint", edit: func(_ string, d map[string]any) { d["token_endpoint"] = "http://idp.example.com/token" }, want: "token_endpoint \"http://idp.example.com/token\" must use https"},
		{name: "no jwks", edit: func(_ string, d map[string]any) { delete(d, "jwks_uri") }, want: "jwks_uri is required"},
		{name: "no authorization endpoint", edit: func(_ string, d map[string]any) { delete(d, "authorization_endpoint") }, want: "authorization_endpoint is required"},
		{name: "no secret-based client auth", edit: func(_ string, d map[string]any) {
			d["token_endpoint_auth_methods_supported"] = []string{"private_key_jwt"}
		}, want: "neither client_secret_basic nor client_secret_post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := discoveryServer(t, func(base string) map[string]any {
				d := map[string]any{
					"issuer":                 base,
					"authorization_endpoint": base + "/authorize",
					"token_endpoint":         base + "/token",
					"jwks_uri":               base + "/jwks",
				}
				tt.edit(base, d)
				return d
			})
			_, err := oidc.New(t.Context(), oidc.Config{IssuerURL: base, ClientID: "c", ClientSecret: secretValue, RedirectURL: callback})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want %q", err, tt.want)
			}
		})
	}

	// Without token_endpoint_auth_methods_supported (default
	// client_secret_basic) and without a userinfo endpoint the document
	// is fine.
	base := discoveryServer(t, func(base string) map[string]any {
		return map[string]any{"issuer": base, "authorization_endpoint": base + "/a", "token_endpoint": base + "/t", "jwks_uri": base + "/k"}
	})
	if _, err := oidc.New(t.Context(), oidc.Config{IssuerURL: base, ClientID: "c", ClientSecret: secretValue, RedirectURL: callback}); err != nil {
		t.Errorf("minimal document: %v", err)
	}

	// No discovery document at all.
	f := fakeoidctest.NewServer(t, fakeoidc.Options{})
	_, err := oidc.New(t.Context(), oidc.Config{IssuerURL: f.URL + "/nothing-here", ClientID: "c", ClientSecret: secretValue, RedirectURL: callback})
	if err == nil || !strings.Contains(err.Error(), "discovery at") || strings.Contains(err.Error(), secretValue) {
		t.Errorf("missing document: %v", err)
	}
}

func TestClientSecretPost(t *testing.T) {
	// An issuer that supports only client_secret_post gets the secret in
	// the body; the fake accepts either, so the login must work.
	f := fakeoidctest.NewServer(t, fakeoidc.Options{AutoApprove: true})
	base := discoveryServer(t, func(string) map[string]any {
		return map[string]any{
			"issuer":                                f.URL,
			"authorization_endpoint":                f.URL + "/authorize",
			"token_endpoint":                        f.URL + "/token",
			"jwks_uri":                              f.URL + "/jwks",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		}
	})
	rec := &authRecorder{}
	p, err := oidc.New(t.Context(), oidc.Config{
		IssuerURL: base, SkipIssuerCheck: true, ClientID: f.ClientID(), ClientSecret: f.ClientSecret(), RedirectURL: callback,
		HTTPClient: &http.Client{Transport: rec},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &setup{fake: f, p: p}
	if _, _, _, err := s.signIn(t); err != nil {
		t.Errorf("login with client_secret_post: %v", err)
	}
	if got := rec.get(); got != "post" {
		t.Errorf("client authentication = %q, want post", got)
	}

	// The fake's own document lists client_secret_basic: Basic it is.
	rec = &authRecorder{}
	s = newSetup(t, fakeoidc.Options{}, func(c *oidc.Config) { c.HTTPClient = &http.Client{Transport: rec} })
	if _, _, _, err := s.signIn(t); err != nil {
		t.Fatal(err)
	}
	if got := rec.get(); got != "basic" {
		t.Errorf("client authentication = %q, want basic", got)
	}
}

// authRecorder notes how the client authenticated at the token endpoint.
type authRecorder struct {
	mu     sync.Mutex
	method string
}

func (a *authRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/token" {
		method := "none"
		if _, _, ok := r.BasicAuth(); ok {
			method = "basic"
		} else if body, err := io.ReadAll(r.Body); err == nil {
			if strings.Contains(string(body), "client_secret=") {
				method = "post"
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		a.mu.Lock()
		a.method = method
		a.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (a *authRecorder) get() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.method
}
