package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/internal/urlcheck"
)

var (
	_ upstream.Provider  = (*Provider)(nil)
	_ upstream.Refresher = (*Provider)(nil)
)

// tenantPlaceholder is how Entra's multi-tenant discovery documents mark
// the tenant in their issuer template.
const tenantPlaceholder = "{tenantid}"

// Provider signs users in with an OpenID Connect issuer: authorization
// code flow with PKCE and nonce, ID token validation, userinfo fallback,
// refresh. It is safe for concurrent use.
type Provider struct {
	name     string
	display  string
	issuer   string // the issuer ID tokens must carry (or the Entra template)
	template bool   // issuer contains {tenantid}
	// skipIssuer: go-oidc does not check "iss"; verifyIssuer does.
	skipIssuer bool
	oauth      oauth2.Config
	oidc       *gooidc.Provider
	verifier   *gooidc.IDTokenVerifier
	userInfo   string // userinfo endpoint; "" when the issuer has none

	extra          []oauth2.AuthCodeOption
	hostedDomain   string
	allowedTenants []string

	httpClient *http.Client
	now        func() time.Time
}

// discovery holds the discovery document fields go-oidc does not expose.
type discovery struct {
	Issuer           string   `json:"issuer"`
	AuthURL          string   `json:"authorization_endpoint"`
	TokenURL         string   `json:"token_endpoint"`
	JWKSURL          string   `json:"jwks_uri"`
	UserInfoURL      string   `json:"userinfo_endpoint"`
	TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
}

// New validates c, reads the issuer's discovery document (OpenID Connect
// Discovery 1.0 §4) through c.HTTPClient, and builds a Provider bound to
// the client's credentials. ctx bounds the discovery request only. The
// signing keys are fetched on first use and again whenever an ID token
// names a key that is not cached, so key rotation needs no restart.
func New(ctx context.Context, c Config) (*Provider, error) {
	issuerURL, err := c.validate()
	if err != nil {
		return nil, err
	}
	p := &Provider{
		name:         c.Name,
		display:      c.DisplayName,
		httpClient:   c.HTTPClient,
		now:          c.Now,
		hostedDomain: c.HostedDomain,
	}
	if p.name == "" {
		p.name = defaultName
	}
	if p.display == "" {
		p.display = "OpenID Connect (" + issuerURL.Host + ")"
	}
	if p.httpClient == nil {
		p.httpClient = &http.Client{Timeout: defaultTimeout}
	}
	if p.now == nil {
		p.now = time.Now
	}
	for _, t := range c.AllowedTenants {
		p.allowedTenants = append(p.allowedTenants, strings.ToLower(strings.TrimSpace(t)))
	}
	for k, v := range c.ExtraAuthParams {
		p.extra = append(p.extra, oauth2.SetAuthURLParam(k, v))
	}

	gp, doc, err := discover(gooidc.ClientContext(ctx, p.httpClient), c.IssuerURL, c.SkipIssuerCheck)
	if err != nil {
		return nil, err
	}
	if err := doc.check(); err != nil {
		return nil, fmt.Errorf("oidc: discovery document of %s: %w", c.IssuerURL, err)
	}
	authStyle, err := doc.authStyle()
	if err != nil {
		return nil, fmt.Errorf("oidc: discovery document of %s: %w", c.IssuerURL, err)
	}
	p.oidc = gp
	p.issuer = doc.Issuer
	p.skipIssuer = c.SkipIssuerCheck
	p.template = c.SkipIssuerCheck && strings.Contains(doc.Issuer, tenantPlaceholder)
	p.userInfo = doc.UserInfoURL
	p.verifier = gp.Verifier(&gooidc.Config{
		ClientID: c.ClientID,
		// With SkipIssuerCheck go-oidc would compare "iss" with IssuerURL,
		// which is exactly what does not hold; verifyIssuer compares it
		// with the discovered issuer (or tenant template) instead.
		SkipIssuerCheck: c.SkipIssuerCheck,
		Now:             p.now,
	})
	endpoint := gp.Endpoint()
	endpoint.AuthStyle = authStyle
	p.oauth = oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RedirectURL:  c.RedirectURL,
		Scopes:       c.scopes(),
		Endpoint:     endpoint,
	}
	return p, nil
}

// discover fetches the discovery document. The advertised issuer must
// equal issuer exactly, except that a difference of one trailing slash is
// accepted as discovered (Auth0 advertises "https://TENANT.auth0.com/"),
// and that skipCheck accepts any advertised issuer.
func discover(ctx context.Context, issuer string, skipCheck bool) (*gooidc.Provider, discovery, error) {
	if skipCheck {
		ctx = gooidc.InsecureIssuerURLContext(ctx, issuer)
	}
	gp, err := gooidc.NewProvider(ctx, issuer)
	if mm, ok := errors.AsType[*gooidc.IssuerMismatchError](err); ok {
		switch {
		case strings.Contains(mm.Discovered, tenantPlaceholder):
			return nil, discovery{}, fmt.Errorf("oidc: discovery at %s advertises the multi-tenant issuer template %q (multi-tenant Entra ID needs SkipIssuerCheck, and AllowedTenants to restrict tenants)", issuer, mm.Discovered)
		case strings.TrimSuffix(mm.Discovered, "/") != strings.TrimSuffix(mm.Provided, "/"):
			return nil, discovery{}, fmt.Errorf("oidc: discovery at %s advertises issuer %q, not %q (set the issuer URL to the advertised value)", issuer, mm.Discovered, mm.Provided)
		}
		gp, err = gooidc.NewProvider(ctx, mm.Discovered)
	}
	if err != nil {
		return nil, discovery{}, fmt.Errorf("oidc: discovery at %s: %w", issuer, err)
	}
	var doc discovery
	if err := gp.Claims(&doc); err != nil {
		return nil, discovery{}, fmt.Errorf("oidc: discovery at %s: %w", issuer, err)
	}
	return gp, doc, nil
}

// check requires the endpoints the code flow needs, each https (or http
// on loopback): the token endpoint receives the client secret.
func (d discovery) check() error {
	var errs []error
	if d.Issuer == "" {
		errs = append(errs, errors.New("no issuer"))
	}
	for _, e := range []struct{ name, url string }{
		{"authorization_endpoint", d.AuthURL},
		{"token_endpoint", d.TokenURL},
		{"jwks_uri", d.JWKSURL},
	} {
		if _, err := urlcheck.HTTP(e.name, e.url); err != nil {
			errs = append(errs, err)
		}
	}
	if d.UserInfoURL != "" {
		if _, err := urlcheck.HTTP("userinfo_endpoint", d.UserInfoURL); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// authStyle picks how the client secret is sent: client_secret_basic,
// the default when the document lists no methods (OpenID Connect
// Discovery 1.0 §3), else client_secret_post. Choosing explicitly avoids
// x/oauth2's auto-detection, which retries a failed code redemption with
// the other style.
func (d discovery) authStyle() (oauth2.AuthStyle, error) {
	switch {
	case len(d.TokenAuthMethods) == 0 || slices.Contains(d.TokenAuthMethods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader, nil
	case slices.Contains(d.TokenAuthMethods, "client_secret_post"):
		return oauth2.AuthStyleInParams, nil
	}
	return 0, fmt.Errorf("token endpoint supports neither client_secret_basic nor client_secret_post (only %s)", strings.Join(d.TokenAuthMethods, ", "))
}

// Name is the provider's path segment: Config.Name, default "oidc".
func (p *Provider) Name() string { return p.name }

// DisplayName is Config.DisplayName, default "OpenID Connect (issuer host)".
func (p *Provider) DisplayName() string { return p.display }

// Issuer is the issuer ID tokens must carry, as discovered: with a
// trailing slash when the issuer advertises one, and Entra's
// "{tenantid}" template with Config.SkipIssuerCheck.
func (p *Provider) Issuer() string { return p.issuer }

// AuthCodeURL is the authorization request for r (OpenID Connect Core 1.0
// §3.1.2.1): response_type=code, the scopes, state, the S256 PKCE
// challenge (RFC 7636 §4.3), the nonce, and Config.ExtraAuthParams.
// Every login must carry a fresh nonce: Exchange refuses an empty one.
func (p *Provider) AuthCodeURL(r upstream.AuthRequest) string {
	opts := slices.Clone(p.extra)
	if r.CodeChallenge != "" {
		opts = append(opts,
			oauth2.SetAuthURLParam("code_challenge", r.CodeChallenge),
			oauth2.SetAuthURLParam("code_challenge_method", "S256"),
		)
	}
	if r.Nonce != "" {
		opts = append(opts, gooidc.Nonce(r.Nonce))
	}
	return p.oauth.AuthCodeURL(r.State, opts...)
}

func (p *Provider) clientContext(ctx context.Context) context.Context {
	return gooidc.ClientContext(ctx, p.httpClient)
}
