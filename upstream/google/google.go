package google

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mcpgate/mcpgate/upstream/oidc"
)

// Issuer is Google's OpenID Connect issuer.
const Issuer = "https://accounts.google.com"

// Config is what New needs to build the Google provider.
type Config struct {
	// Name is the provider's path segment (/oauth/callback/{Name}) and the
	// prefix of its users' IDs; default "google".
	Name string
	// DisplayName is shown to people; default "Google".
	DisplayName string
	// ClientID and ClientSecret are the OAuth client's credentials from
	// the Google Cloud console (a "Web application" client).
	ClientID, ClientSecret string
	// RedirectURL is our callback registered with the client:
	// {public URL}/oauth/callback/google.
	RedirectURL string
	// HostedDomain, optional, restricts logins to one Google Workspace
	// domain: it is sent as the hd= hint (which only preselects accounts
	// on Google's page) and enforced on the ID token's "hd" claim, which
	// is what actually keeps other accounts out.
	HostedDomain string
	// Online requests no refresh token: access_type=online and no forced
	// consent. By default (false) the login asks for offline access; see
	// the package documentation.
	Online bool
	// IssuerURL is the issuer to discover; default Issuer. Tests point it
	// at upstream/fakeoidc.
	IssuerURL string
	// HTTPClient makes the discovery, token, key and userinfo calls;
	// default a client with a 15-second timeout.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// New validates c, reads Google's discovery document and returns an OIDC
// provider named Config.Name (default "google"), shown as
// Config.DisplayName (default "Google"), that asks for the scopes openid,
// email and profile.
func New(ctx context.Context, c Config) (*oidc.Provider, error) {
	issuer := c.IssuerURL
	if issuer == "" {
		issuer = Issuer
	}
	extra := map[string]string{}
	if c.Online {
		extra["access_type"] = "online"
	} else {
		extra["access_type"] = "offline"
		extra["prompt"] = "consent"
	}
	if c.HostedDomain != "" {
		extra["hd"] = c.HostedDomain
	}
	name, display := c.Name, c.DisplayName
	if name == "" {
		name = "google"
	}
	if display == "" {
		display = "Google"
	}
	p, err := oidc.New(ctx, oidc.Config{
		Name:            name,
		DisplayName:     display,
		IssuerURL:       issuer,
		ClientID:        c.ClientID,
		ClientSecret:    c.ClientSecret,
		RedirectURL:     c.RedirectURL,
		Scopes:          []string{"openid", "email", "profile"},
		ExtraAuthParams: extra,
		HostedDomain:    c.HostedDomain,
		HTTPClient:      c.HTTPClient,
		Now:             c.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("google: %w", err)
	}
	return p, nil
}
