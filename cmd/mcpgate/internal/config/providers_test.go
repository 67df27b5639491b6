package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

const providersYAML = `
providers:
  - type: oidc
    name: okta
    display_name: Okta
    issuer_url: https://example.okta.com/oauth2/default
    client_id: okta-client
    client_secret: ${OKTA_SECRET}
    scopes: [openid, email, profile, groups]
    extra_auth_params:
      prompt: ${OKTA_PROMPT}
  - type: github
    name: ghes
    base_url: https://github.example.com
    client_id: ghes-client
    client_secret: ${GHES_SECRET}
  - type: google
    client_id: google-client
    client_secret: google-secret
    hosted_domain: example.com
allow:
  users: ["github:1001", "okta:sub:00u1"]
  email_domains: [example.com]
  github_orgs: [my-org]
`

func TestProvidersFromYAMLAndEnvironment(t *testing.T) {
	env := map[string]string{
		"OKTA_SECRET": "okta-secret-value", "OKTA_PROMPT": "consent", "GHES_SECRET": "ghes-secret-value",
		"GITHUB_CLIENT_ID": "gh-client", "GITHUB_CLIENT_SECRET": "gh-secret-value",
		"OIDC_ISSUER_URL": "https://idp.example.com", "OIDC_CLIENT_ID": "oidc-client", "OIDC_CLIENT_SECRET": "oidc-secret-value",
		"OIDC_DISPLAY_NAME": "Corporate SSO",
	}
	cfg, err := Load(writeFile(t, "config.yaml", providersYAML), envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// The sections' providers first (github, then oidc: no google section),
	// then the list in its order.
	if got, want := cfg.ProviderNames(), []string{"github", "oidc", "okta", "ghes", "google"}; !slices.Equal(got, want) {
		t.Fatalf("ProviderNames = %v, want %v", got, want)
	}
	byName := map[string]ProviderConfig{}
	for _, p := range cfg.IdentityProviders() {
		byName[p.Name] = p
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"okta secret expanded", byName["okta"].ClientSecret.Reveal(), "okta-secret-value"},
		{"okta extra param expanded", byName["okta"].ExtraAuthParams["prompt"], "consent"},
		{"okta scopes", fmt.Sprint(byName["okta"].Scopes), "[openid email profile groups]"},
		{"ghes type", byName["ghes"].Type, "github"},
		{"ghes default scopes", fmt.Sprint(byName["ghes"].Scopes), "[repo read:user user:email]"},
		{"google default name", byName["google"].Type, "google"},
		{"google default issuer", byName["google"].IssuerURL, "https://accounts.google.com"},
		{"github section base URL", byName["github"].BaseURL, "https://github.com"},
		{"oidc section display name", byName["oidc"].DisplayName, "Corporate SSO"},
		{"callback of a list entry", cfg.CallbackURL("okta"), "http://localhost:8080/oauth/callback/okta"},
		{"allow users", fmt.Sprint(cfg.Allow.Users), "[github:1001 okta:sub:00u1]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	// Secrets of list entries never print.
	for _, p := range cfg.IdentityProviders() {
		for _, form := range []string{fmt.Sprintf("%v", p), fmt.Sprintf("%+v", p), fmt.Sprintf("%#v", p)} {
			if strings.Contains(form, "secret-value") {
				t.Errorf("provider %s prints its secret: %s", p.Name, form)
			}
		}
	}
}

func TestProvidersYAMLIsStrict(t *testing.T) {
	_, err := Load(writeFile(t, "config.yaml", "providers:\n  - type: oidc\n    issuer: https://x.example\n"), envMap(nil))
	if err == nil || !strings.Contains(err.Error(), `unknown key "issuer" in providers[0]`) || !strings.Contains(err.Error(), ":3:") {
		t.Fatalf("Load = %v, want the unknown key with its line", err)
	}
	_, err = Load(writeFile(t, "config.yaml", "allow:\n  orgs: [x]\n"), envMap(nil))
	if err == nil || !strings.Contains(err.Error(), `unknown key "orgs" in allow`) {
		t.Fatalf("Load = %v, want the unknown key", err)
	}
	_, err = Load(writeFile(t, "config.yaml", "providers:\n  - type: oidc\n    extra_auth_params:\n      a: ${UNSET_VAR}\n"), envMap(nil))
	if err == nil || !strings.Contains(err.Error(), "UNSET_VAR is not set") {
		t.Fatalf("Load = %v, want the unset variable of a map value", err)
	}
}

func TestValidateProviderList(t *testing.T) {
	const secret = "s3cr3t-value-never-printed"
	entry := func(mutate func(*ProviderConfig)) ProviderConfig {
		p := ProviderConfig{Type: "oidc", Name: "okta", IssuerURL: "https://example.okta.com", ClientID: "c", ClientSecret: NewSecret(secret)}
		if mutate != nil {
			mutate(&p)
		}
		return p
	}
	tests := []struct {
		name      string
		providers []ProviderConfig
		noGitHub  bool // leave the github section unset
		want      []string
	}{
		{name: "valid", providers: []ProviderConfig{entry(nil)}},
		{name: "list only", noGitHub: true, providers: []ProviderConfig{entry(nil)}},
		{name: "no type", providers: []ProviderConfig{{Name: "x", ClientID: "c", ClientSecret: NewSecret(secret)}},
			want: []string{"providers entry 1: type is required"}},
		{name: "unknown type", providers: []ProviderConfig{entry(func(p *ProviderConfig) { p.Type = "saml" })},
			want: []string{`providers entry 1: type "saml" is not one of`}},
		{name: "credentials", providers: []ProviderConfig{entry(func(p *ProviderConfig) { p.ClientID, p.ClientSecret = "", Secret{} })},
			want: []string{"providers entry 1 (okta): client_id is empty", "redirect URI http://localhost:8080/oauth/callback/okta", "client_secret is empty"}},
		{name: "name", providers: []ProviderConfig{entry(func(p *ProviderConfig) { p.Name = "Okta_1" })},
			want: []string{`name "Okta_1" must be 1 to 32 lower-case letters`}},
		{name: "duplicate of the github section", providers: []ProviderConfig{{Type: "github", ClientID: "c", ClientSecret: NewSecret(secret)}},
			want: []string{`providers entry 1 (github): the provider name "github" is already used by GITHUB_CLIENT_ID`}},
		{name: "duplicate within the list", providers: []ProviderConfig{entry(nil), entry(nil)},
			want: []string{`providers entry 2 (okta): the provider name "okta" is already used by providers entry 1 (okta)`}},
		{name: "oidc without issuer", providers: []ProviderConfig{entry(func(p *ProviderConfig) { p.IssuerURL = "" })},
			want: []string{"issuer_url is required"}},
		{name: "plain http issuer", providers: []ProviderConfig{entry(func(p *ProviderConfig) { p.IssuerURL = "http://idp.example.com" })},
			want: []string{"issuer_url must be https://"}},
		{name: "loopback http issuer", providers: []ProviderConfig{entry(func(p *ProviderConfig) { p.IssuerURL = "http://127.0.0.1:9999" })}},
		{name: "settings of other types", providers: []ProviderConfig{
			entry(func(p *ProviderConfig) { p.BaseURL = "https://github.example.com" }),
			{Type: "github", Name: "ghes", ClientID: "c", ClientSecret: NewSecret(secret), IssuerURL: "https://x.example", HostedDomain: "example.com",
				ExtraAuthParams: map[string]string{"a": "b"}, SkipIssuerCheck: true, AllowedTenants: []string{"t"}},
			{Type: "google", Name: "g", ClientID: "c", ClientSecret: NewSecret(secret), Scopes: []string{"openid"}},
		}, want: []string{
			"providers entry 1 (okta): base_url applies to type github only",
			"providers entry 2 (ghes): issuer_url applies to type oidc and google only",
			"providers entry 2 (ghes): hosted_domain applies to type google and oidc only",
			"providers entry 2 (ghes): extra_auth_params applies to type oidc only",
			"providers entry 2 (ghes): skip_issuer_check applies to type oidc only",
			"providers entry 2 (ghes): allowed_tenants applies to type oidc only",
			"providers entry 3 (g): scopes applies to type github and oidc only",
		}},
		{name: "bad values", providers: []ProviderConfig{
			entry(func(p *ProviderConfig) {
				p.Scopes = []string{"openid", "bad scope"}
				p.HostedDomain = "Not A Domain"
				p.AllowedTenants = []string{"{tenantid}"}
				p.DisplayName = strings.Repeat("x", 65)
			}),
			{Type: "github", Name: "ghes", ClientID: "c", ClientSecret: NewSecret(secret), BaseURL: "https://github.example.com/path", Scopes: []string{"repo,user"}},
		}, want: []string{
			`providers entry 1 (okta): scopes entry 2 is not a valid scope name`,
			`providers entry 1 (okta): hosted_domain must be a lower-case domain name`,
			`providers entry 1 (okta): allowed_tenants entry 1 is not a tenant ID`,
			`providers entry 1 (okta): display_name must be at most 64 characters`,
			`providers entry 2 (ghes): base_url must be an origin`,
			`providers entry 2 (ghes): scopes entry 1 is not a valid scope name`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			if tt.noGitHub {
				cfg.GitHub.ClientID, cfg.GitHub.ClientSecret = "", Secret{}
			}
			cfg.Providers = tt.providers
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			ve, ok := errors.AsType[*ValidationError](err)
			if !ok {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(ve.Problems, func(p string) bool { return strings.Contains(p, w) }) {
					t.Errorf("no problem says %q; problems:\n%s", w, strings.Join(ve.Problems, "\n"))
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("a problem quotes the client secret")
			}
		})
	}
}

func TestValidateGoogleHostedDomainVariable(t *testing.T) {
	cfg := validConfig()
	cfg.Google = GoogleConfig{ClientID: "g", ClientSecret: NewSecret("s"), HostedDomain: "Example.COM"}
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "GOOGLE_HOSTED_DOMAIN must be a lower-case domain name") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestValidateAllow(t *testing.T) {
	tests := []struct {
		name      string
		allow     AllowConfig
		providers []ProviderConfig
		want      []string
	}{
		{name: "valid", allow: AllowConfig{Users: []string{"github:1", "github:login:mona"}, EmailDomains: []string{"example.com"},
			GitHubOrgs: []string{"my-org"}, GitHubTeams: []string{"my-org/core"}}},
		{name: "syntax", allow: AllowConfig{Users: []string{"github"}, EmailDomains: []string{"@example.com"}, GitHubTeams: []string{"my-org"}},
			want: []string{"allow.users entry 1:", "allow.email_domains entry 1:", "allow.github_teams entry 1:"}},
		{name: "unknown provider", allow: AllowConfig{Users: []string{"google:1", "github:2"}},
			want: []string{`allow.users entry 1: no provider named "google" is configured (configured: github)`}},
		{name: "hosted domains without Google", allow: AllowConfig{GoogleHostedDomains: []string{"example.com"}},
			want: []string{"allow.google_hosted_domains needs a Google provider"}},
		{name: "hosted domains with Google", allow: AllowConfig{GoogleHostedDomains: []string{"example.com"}},
			providers: []ProviderConfig{{Type: "google", ClientID: "c", ClientSecret: NewSecret("s")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Allow = tt.allow
			cfg.Providers = tt.providers
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want a problem saying %q", err, w)
				}
			}
		})
	}

	// GitHub rules without any GitHub provider.
	cfg := validConfig()
	cfg.GitHub.ClientID, cfg.GitHub.ClientSecret = "", Secret{}
	cfg.Providers = []ProviderConfig{{Type: "google", ClientID: "c", ClientSecret: NewSecret("s")}}
	cfg.Allow = AllowConfig{GitHubOrgs: []string{"my-org"}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "allow.github_orgs and allow.github_teams need a GitHub provider") {
		t.Fatalf("Validate = %v", err)
	}
}

// TestConfigExampleProvidersAndAllow checks that the commented providers
// and allow examples of config.example.yaml are valid once uncommented.
func TestConfigExampleProvidersAndAllow(t *testing.T) {
	src, err := os.ReadFile("../../../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var yaml strings.Builder
	for _, key := range []string{"# providers:", "# allow:"} {
		block := commentedBlock(string(src), key)
		if block == "" {
			t.Fatalf("config.example.yaml has no %q example", key)
		}
		yaml.WriteString(block)
	}
	env := map[string]string{
		"GITHUB_CLIENT_ID": "gh", "GITHUB_CLIENT_SECRET": "gh-secret",
		"OKTA_CLIENT_ID": "okta", "OKTA_CLIENT_SECRET": "okta-secret",
		"ENTRA_CLIENT_ID": "entra", "ENTRA_CLIENT_SECRET": "entra-secret",
		"GHES_CLIENT_ID": "ghes", "GHES_CLIENT_SECRET": "ghes-secret",
	}
	cfg, err := Load(writeFile(t, "config.yaml", yaml.String()), envMap(env))
	if err != nil {
		t.Fatalf("the examples do not load: %v\n%s", err, yaml.String())
	}
	// The users example names google: add a Google provider as well.
	cfg.Google = GoogleConfig{ClientID: "g", ClientSecret: NewSecret("g-secret")}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the examples do not validate: %v\n%s", err, yaml.String())
	}
	if got := cfg.ProviderNames(); !slices.Equal(got, []string{"github", "google", "okta", "entra", "ghes"}) {
		t.Errorf("ProviderNames = %v", got)
	}
}

// commentedBlock returns the commented YAML block that starts with the line
// key ("# providers:") and runs to the first line that is not a comment,
// uncommented.
func commentedBlock(src, key string) string {
	var out strings.Builder
	in := false
	for line := range strings.SplitSeq(src, "\n") {
		if line == key {
			in = true
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			break
		}
		out.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "#"), " ") + "\n")
	}
	return out.String()
}
