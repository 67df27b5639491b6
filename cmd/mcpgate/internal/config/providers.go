package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
	"github.com/mcpgate/mcpgate/upstream/github"
	"github.com/mcpgate/mcpgate/upstream/google"
)

// Identity providers come from two places, merged by IdentityProviders:
//
//  1. the github, google and oidc sections (and their environment
//     variables GITHUB_*, GOOGLE_*, OIDC_*, which override the sections'
//     YAML values as every variable does), each configuring at most one
//     provider, named "github", "google" and "oidc";
//  2. the YAML list providers, for everything else: several providers of
//     one type, custom names and display names, and the options the
//     sections do not have (scopes, extra authorization parameters, Entra
//     ID multi-tenant settings).
//
// The sign-in chooser (the consent page) shows them in that order: the
// sections' providers first (github, google, oidc), then the list in its
// order. Names must be unique across both, since each is the callback path
// /oauth/callback/{name}: a list entry named "github" while GITHUB_* (or
// the github section) also configures one is an error, not an override.

// Provider types.
const (
	TypeGitHub = "github"
	TypeGoogle = "google"
	TypeOIDC   = "oidc"
)

// ProviderConfig is one identity provider of the providers list.
type ProviderConfig struct {
	// Type is github, google or oidc.
	Type string `yaml:"type"`
	// Name is the callback path segment, /oauth/callback/{name}, and the
	// prefix of the users it signs in (NAME:SUBJECT); default Type.
	// Lower-case letters, digits and dashes, starting with a letter.
	Name string `yaml:"name"`
	// DisplayName is shown to people ("Approve with <DisplayName>");
	// default "GitHub" (or "GitHub Enterprise (host)"), "Google", or
	// "OpenID Connect (issuer host)".
	DisplayName string `yaml:"display_name"`
	// ClientID and ClientSecret are the client's credentials at the
	// provider.
	ClientID     string `yaml:"client_id"`
	ClientSecret Secret `yaml:"client_secret"`
	// BaseURL is the GitHub web origin (github only); default
	// https://github.com, anything else is GitHub Enterprise Server.
	BaseURL string `yaml:"base_url"`
	// IssuerURL is the OpenID Connect issuer (oidc: required; google:
	// default https://accounts.google.com, changed only by tests).
	IssuerURL string `yaml:"issuer_url"`
	// Scopes are the upstream scopes to request (github and oidc); the
	// defaults are github's repo, read:user, user:email and OpenID
	// Connect's openid, email, profile. Google always asks for openid,
	// email and profile.
	Scopes []string `yaml:"scopes"`
	// HostedDomain restricts sign-in to one Google Workspace domain (the
	// ID token's "hd" claim; google and oidc).
	HostedDomain string `yaml:"hosted_domain"`
	// ExtraAuthParams are added to the authorization request (oidc), such
	// as prompt: consent; they cannot replace the parameters mcpgate sets.
	ExtraAuthParams map[string]string `yaml:"extra_auth_params"`
	// SkipIssuerCheck accepts a discovery document whose issuer differs
	// from IssuerURL (oidc): Microsoft Entra ID's multi-tenant endpoints
	// (/common/v2.0, /organizations/v2.0). ID tokens are still checked
	// against their own tenant's issuer.
	SkipIssuerCheck bool `yaml:"skip_issuer_check"`
	// AllowedTenants restricts Entra ID sign-ins to these tenant IDs (the
	// "tid" claim; oidc).
	AllowedTenants []string `yaml:"allowed_tenants"`

	// origin names where the entry came from, for validation messages.
	origin string
}

// Origin names where the entry came from: the environment variable of a
// GITHUB_*, GOOGLE_* or OIDC_* section ("GITHUB_CLIENT_ID"), or
// "providers entry N (NAME)".
func (p ProviderConfig) Origin() string { return p.origin }

// AllowConfig is the allowlist (package upstream/allow): nothing set
// admits everyone who can sign in; otherwise a person is admitted when ANY
// rule admits them.
type AllowConfig struct {
	// Users are single accounts: PROVIDER:SUBJECT (github:1001),
	// PROVIDER:login:LOGIN (github:login:mona) or PROVIDER:email:ADDRESS
	// (google:email:alice@example.com, verified addresses only), where
	// PROVIDER is a configured provider's name.
	Users []string `yaml:"users"`
	// EmailDomains admit verified e-mail addresses at these domains.
	EmailDomains []string `yaml:"email_domains"`
	// GoogleHostedDomains admit Google accounts of these Google Workspace
	// domains (the "hd" claim).
	GoogleHostedDomains []string `yaml:"google_hosted_domains"`
	// GitHubOrgs admit active members of these GitHub organisations.
	// mcpgate then asks GitHub for the read:org scope.
	GitHubOrgs []string `yaml:"github_orgs"`
	// GitHubTeams admit active members of these teams, ORG/TEAM-SLUG.
	// mcpgate then asks GitHub for the read:org scope.
	GitHubTeams []string `yaml:"github_teams"`
}

// Rules converts the configuration for package allow.
func (a AllowConfig) Rules() allow.Rules {
	return allow.Rules{
		Users:               slices.Clone(a.Users),
		EmailDomains:        slices.Clone(a.EmailDomains),
		GoogleHostedDomains: slices.Clone(a.GoogleHostedDomains),
		GitHubOrgs:          slices.Clone(a.GitHubOrgs),
		GitHubTeams:         slices.Clone(a.GitHubTeams),
	}
}

func (a AllowConfig) empty() bool {
	return len(a.Users)+len(a.EmailDomains)+len(a.GoogleHostedDomains)+len(a.GitHubOrgs)+len(a.GitHubTeams) == 0
}

// IdentityProviders returns every configured identity provider, in the
// order the sign-in chooser shows them: the github, google and oidc
// sections (those with any credential set), then the providers list.
// Defaults are filled in: the name (the type), GitHub's base URL and
// scopes, Google's issuer. Call Validate first; the result is then
// complete.
func (c *Config) IdentityProviders() []ProviderConfig {
	var out []ProviderConfig
	if gh := c.GitHub; gh.ClientID != "" || !gh.ClientSecret.IsZero() {
		out = append(out, ProviderConfig{
			Type: TypeGitHub, Name: TypeGitHub, ClientID: gh.ClientID, ClientSecret: gh.ClientSecret,
			BaseURL: gh.BaseURL, Scopes: slices.Clone(gh.Scopes), origin: "GITHUB_CLIENT_ID",
		})
	}
	if g := c.Google; g.ClientID != "" || !g.ClientSecret.IsZero() {
		out = append(out, ProviderConfig{
			Type: TypeGoogle, Name: TypeGoogle, ClientID: g.ClientID, ClientSecret: g.ClientSecret,
			IssuerURL: google.Issuer, HostedDomain: g.HostedDomain, origin: "GOOGLE_CLIENT_ID",
		})
	}
	if o := c.OIDC; o.IssuerURL != "" || o.ClientID != "" || !o.ClientSecret.IsZero() {
		out = append(out, ProviderConfig{
			Type: TypeOIDC, Name: TypeOIDC, DisplayName: o.DisplayName, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			IssuerURL: o.IssuerURL, origin: "OIDC_ISSUER_URL",
		})
	}
	for i, p := range c.Providers {
		p.Scopes = slices.Clone(p.Scopes)
		p.AllowedTenants = slices.Clone(p.AllowedTenants)
		if p.Name == "" {
			p.Name = p.Type
		}
		switch p.Type {
		case TypeGitHub:
			if p.BaseURL == "" {
				p.BaseURL = defaultGitHubBaseURL
			}
			if len(p.Scopes) == 0 {
				p.Scopes = slices.Clone(github.DefaultScopes)
			}
		case TypeGoogle:
			if p.IssuerURL == "" {
				p.IssuerURL = google.Issuer
			}
		}
		p.origin = fmt.Sprintf("providers entry %d (%s)", i+1, p.Name)
		out = append(out, p)
	}
	return out
}

// maxDisplayName bounds a display name (it is a button label).
const maxDisplayName = 64

// validateProviderList checks the providers list entries, and what every
// provider must satisfy wherever it came from: a valid, unique name and a
// sensible display name and hosted domain. The sections' own settings are
// checked by validateProviders, with their environment variable names.
func (c *Config) validateProviderList(p *problems) {
	seen := map[string]string{} // name → origin
	for _, pc := range c.IdentityProviders() {
		switch {
		case !upstream.ValidName(pc.Name):
			p.add("%s: name %q must be %s (it is the callback path /oauth/callback/NAME)", pc.origin, pc.Name, upstream.NameRule)
		case seen[pc.Name] != "":
			p.add("%s: the provider name %q is already used by %s: names must be unique (each is the callback path /oauth/callback/%s); give this entry another name, or remove one of the two", pc.origin, pc.Name, seen[pc.Name], pc.Name)
		default:
			seen[pc.Name] = pc.origin
		}
		if len(pc.DisplayName) > maxDisplayName || strings.ContainsFunc(pc.DisplayName, unicode.IsControl) {
			p.add("%s: display_name must be at most %d characters without control characters", pc.origin, maxDisplayName)
		}
		if pc.HostedDomain != "" && !upstream.ValidDomain(pc.HostedDomain) {
			what := "hosted_domain"
			if pc.origin == "GOOGLE_CLIENT_ID" {
				what = "GOOGLE_HOSTED_DOMAIN"
			}
			p.add("%s: %s must be a lower-case domain name such as example.com: got %q", pc.origin, what, pc.HostedDomain)
		}
	}
	for i, pc := range c.Providers {
		c.validateProviderEntry(p, i, pc)
	}
}

// validateProviderEntry checks one entry of the providers list.
func (c *Config) validateProviderEntry(p *problems, i int, pc ProviderConfig) {
	name := pc.Name
	if name == "" {
		name = pc.Type
	}
	at := fmt.Sprintf("providers entry %d (%s)", i+1, name)
	callback := c.CallbackURL(name)
	switch pc.Type {
	case TypeGitHub, TypeGoogle, TypeOIDC:
	case "":
		p.add("providers entry %d: type is required: github, google or oidc", i+1)
		return
	default:
		p.add("providers entry %d: type %q is not one of github, google and oidc", i+1, pc.Type)
		return
	}
	if pc.ClientID == "" {
		p.add("%s: client_id is empty: register a client at the provider with redirect URI %s and set its client ID", at, callback)
	}
	if pc.ClientSecret.IsZero() {
		p.add("%s: client_secret is empty: set the client's secret, for instance as ${ENV_VAR} from .env", at)
	}
	// Settings that only some types have.
	notFor := func(key string, set bool, types ...string) {
		if set && !slices.Contains(types, pc.Type) {
			p.add("%s: %s applies to type %s only", at, key, strings.Join(types, " and "))
		}
	}
	notFor("base_url", pc.BaseURL != "", TypeGitHub)
	notFor("issuer_url", pc.IssuerURL != "", TypeOIDC, TypeGoogle)
	notFor("scopes", len(pc.Scopes) > 0, TypeGitHub, TypeOIDC)
	notFor("hosted_domain", pc.HostedDomain != "", TypeGoogle, TypeOIDC)
	notFor("extra_auth_params", len(pc.ExtraAuthParams) > 0, TypeOIDC)
	notFor("skip_issuer_check", pc.SkipIssuerCheck, TypeOIDC)
	notFor("allowed_tenants", len(pc.AllowedTenants) > 0, TypeOIDC)
	validateEntryURLs(p, at, pc)
	validateEntryLists(p, at, pc)
}

// validateEntryURLs checks the base and issuer URLs of a providers entry:
// one switch per URL, each case one part of it (parsing, not logic).
func validateEntryURLs(p *problems, at string, pc ProviderConfig) {
	if pc.BaseURL != "" {
		switch u, problem := parseOrigin(pc.BaseURL); {
		case u == nil:
			p.add("%s: base_url %s: got %q", at, problem, pc.BaseURL)
		case !secureScheme(u):
			p.add("%s: base_url must be https:// (http:// only on a loopback host): got %s", at, u.Redacted())
		case problem != "":
			p.add("%s: base_url %s, such as %s or https://github.example.com: got %s", at, problem, defaultGitHubBaseURL, u.Redacted())
		}
	}
	if pc.Type == TypeOIDC && pc.IssuerURL == "" {
		p.add("%s: issuer_url is required: the issuer identifier, such as https://example.okta.com/oauth2/default", at)
	}
	if pc.IssuerURL != "" {
		u, err := url.Parse(pc.IssuerURL)
		switch {
		case err != nil || !u.IsAbs() || u.Host == "":
			p.add("%s: issuer_url must be an absolute URL such as https://accounts.example.com: got %q", at, pc.IssuerURL)
		case !secureScheme(u):
			p.add("%s: issuer_url must be https:// (http:// only on a loopback host): got %s", at, u.Redacted())
		case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
			p.add("%s: issuer_url must not contain user information, a query or a fragment: got %s", at, u.Redacted())
		}
	}
}

// validateEntryLists checks the scopes, extra parameters and tenants of a
// providers entry.
func validateEntryLists(p *problems, at string, pc ProviderConfig) {
	for j, s := range pc.Scopes {
		if !validScopeToken(s) || (pc.Type == TypeGitHub && strings.Contains(s, ",")) {
			p.add("%s: scopes entry %d is not a valid scope name: got %q", at, j+1, s)
		}
	}
	for k := range pc.ExtraAuthParams {
		if k == "" || !validScopeToken(k) {
			p.add("%s: extra_auth_params has an invalid parameter name %q", at, k)
		}
	}
	for j, t := range pc.AllowedTenants {
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t, " /{}") {
			p.add("%s: allowed_tenants entry %d is not a tenant ID: got %q", at, j+1, t)
		}
	}
}

// validateAllow checks the allowlist: each rule's syntax, and that the
// providers it names or needs are configured.
func (c *Config) validateAllow(p *problems) {
	c.validateRules(p, "allow", c.Allow)
}

// validateRules checks rules of the allowlist's kind found under key (the
// allowlist, or the members of a tool group): each rule's syntax, and that
// the providers it names or needs are configured.
func (c *Config) validateRules(p *problems, key string, a AllowConfig) {
	for _, err := range a.Rules().Problems() {
		p.add("%s.%v", key, err)
	}
	providers := c.IdentityProviders()
	names := make([]string, 0, len(providers))
	hasType := func(types ...string) bool {
		return slices.ContainsFunc(providers, func(pc ProviderConfig) bool { return slices.Contains(types, pc.Type) })
	}
	for _, pc := range providers {
		names = append(names, pc.Name)
	}
	for i, u := range a.Users {
		r, err := allow.ParseUser(u)
		if err == nil && !slices.Contains(names, r.Provider) {
			p.add("%s.users entry %d: no provider named %q is configured (configured: %s)", key, i+1, r.Provider, strings.Join(names, ", "))
		}
	}
	if len(a.GitHubOrgs)+len(a.GitHubTeams) > 0 && !hasType(TypeGitHub) {
		p.add("%s.github_orgs and %s.github_teams need a GitHub provider: without one they admit no one", key, key)
	}
	if len(a.GoogleHostedDomains) > 0 && !hasType(TypeGoogle, TypeOIDC) {
		p.add("%s.google_hosted_domains needs a Google provider: without one it admits no one", key)
	}
}
