package oidc

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/internal/urlcheck"
)

// DefaultScopes are the scopes requested when Config.Scopes is empty.
var DefaultScopes = []string{"openid", "email", "profile"}

const (
	defaultName    = "oidc"
	defaultTimeout = 15 * time.Second
)

// reservedParams are the authorization request parameters that
// AuthCodeURL sets itself (or that would change how the response comes
// back). ExtraAuthParams must not override them: a configured "state",
// "nonce" or "code_challenge" would silently disable the protection the
// value exists for, and response_mode=form_post or a request object would
// change the response our callback expects.
var reservedParams = []string{
	"client_id", "redirect_uri", "response_type", "response_mode", "scope",
	"state", "nonce", "code_challenge", "code_challenge_method",
	"request", "request_uri",
}

// Config is what New needs to build a Provider.
type Config struct {
	// Name is the provider's path segment (/oauth/callback/{Name}) and ID;
	// default "oidc". Lower-case letters, digits and dashes.
	Name string
	// DisplayName is shown to people ("Sign in with <DisplayName>"). The
	// default names the protocol and the issuer's host, e.g.
	// "OpenID Connect (example.okta.com)".
	DisplayName string
	// IssuerURL is the OpenID Provider's issuer identifier. Discovery
	// reads {IssuerURL}/.well-known/openid-configuration, whose "issuer"
	// must equal IssuerURL exactly; an issuer that differs only by a
	// trailing slash (Auth0's issuers end in "/") is accepted as
	// discovered. It must be https, or http on a loopback host.
	IssuerURL string
	// ClientID and ClientSecret are the client's credentials at the
	// issuer. The client secret is sent with HTTP Basic authentication, or
	// in the request body when the issuer supports only
	// client_secret_post.
	ClientID, ClientSecret string
	// RedirectURL is our callback registered at the issuer:
	// {public URL}/oauth/callback/{Name}.
	RedirectURL string
	// Scopes are the scopes to request; default DefaultScopes. "openid"
	// is added when missing.
	Scopes []string
	// ExtraAuthParams are added to the authorization request, e.g.
	// access_type=offline, prompt=consent or hd=example.com. They cannot
	// replace the parameters AuthCodeURL sets itself (client_id,
	// redirect_uri, response_type, response_mode, scope, state, nonce,
	// code_challenge, code_challenge_method, request, request_uri).
	ExtraAuthParams map[string]string
	// HostedDomain, when set, is required in the ID token's "hd" claim
	// (compared case-insensitively): Google sets it to the Google
	// Workspace domain of the account. Logins from any other domain, or
	// from consumer accounts (no "hd"), fail with upstream.ErrDenied. It
	// is only enforced; send the hd= hint through ExtraAuthParams (package
	// google does both).
	HostedDomain string
	// SkipIssuerCheck accepts a discovery document whose "issuer" differs
	// from IssuerURL. It exists for Microsoft Entra ID's multi-tenant
	// endpoints (https://login.microsoftonline.com/common/v2.0 and
	// /organizations/v2.0), whose discovery document advertises the
	// template "https://login.microsoftonline.com/{tenantid}/v2.0" while
	// each ID token carries its own tenant's issuer. ID tokens are still
	// checked: when the discovered issuer contains "{tenantid}", the
	// token's "iss" must equal it with the token's "tid" claim put in its
	// place (and "tid" must be present); otherwise "iss" must equal the
	// discovered issuer. Without AllowedTenants, any tenant may sign in.
	SkipIssuerCheck bool
	// AllowedTenants, when set, restricts logins to ID tokens whose "tid"
	// claim (Entra tenant ID) is in the list, compared case-insensitively.
	// Others fail with upstream.ErrDenied.
	AllowedTenants []string
	// HTTPClient makes discovery, token, key and userinfo calls; default
	// a client with a 15-second timeout.
	HTTPClient *http.Client
	// Now is the clock, used for ID token expiry; default time.Now.
	Now func() time.Time
}

// validate checks c and returns the parsed issuer URL. It collects every
// problem; errors never quote the client secret. Its branches are one
// check per field, in a row (a checklist, not nested logic), so it stays
// one function that reads top to bottom.
func (c Config) validate() (*url.URL, error) {
	var errs []error
	if c.Name != "" && !upstream.ValidName(c.Name) {
		errs = append(errs, fmt.Errorf("name %q must be %s", c.Name, upstream.NameRule))
	}
	issuer, err := urlcheck.HTTP("issuer URL", c.IssuerURL)
	if err != nil {
		errs = append(errs, err)
	} else if issuer.RawQuery != "" {
		errs = append(errs, fmt.Errorf("issuer URL %q must not have a query", c.IssuerURL))
	}
	if strings.TrimSpace(c.ClientID) == "" {
		errs = append(errs, errors.New("client ID is required"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("client secret is required"))
	}
	if _, err := urlcheck.HTTP("redirect URL", c.RedirectURL); err != nil {
		errs = append(errs, err)
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			errs = append(errs, fmt.Errorf("scope %q is not a single scope token", s))
		}
	}
	for k := range c.ExtraAuthParams {
		switch {
		case k == "":
			errs = append(errs, errors.New("extra authorization parameter with an empty name"))
		case slices.Contains(reservedParams, strings.ToLower(k)):
			errs = append(errs, fmt.Errorf("extra authorization parameter %q is set by mcpgate and cannot be configured", k))
		}
	}
	if c.HostedDomain != "" && !upstream.ValidDomain(c.HostedDomain) {
		errs = append(errs, fmt.Errorf("hosted domain %q is not a lower-case domain name", c.HostedDomain))
	}
	for _, t := range c.AllowedTenants {
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t, " /{}") {
			errs = append(errs, fmt.Errorf("allowed tenant %q is not a tenant ID", t))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("oidc: invalid configuration: %w", errors.Join(errs...))
	}
	return issuer, nil
}

// scopes returns the configured scopes (or the defaults) with "openid"
// first and no duplicates.
func (c Config) scopes() []string {
	in := c.Scopes
	if len(in) == 0 {
		in = DefaultScopes
	}
	out := []string{"openid"}
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
