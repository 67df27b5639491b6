package github

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/internal/urlcheck"
)

// DefaultScopes are the upstream scopes requested when Config.Scopes is
// empty: repository access for the tools, and profile and email to
// identify the user.
var DefaultScopes = []string{"repo", "read:user", "user:email"}

const (
	defaultName    = "github"
	defaultTimeout = 15 * time.Second
)

// Config is what New needs to build a Provider.
type Config struct {
	// Name is the provider's path segment (/oauth/callback/{Name}) and the
	// prefix of its users' IDs; default "github". See upstream.ValidName.
	Name string
	// ClientID and ClientSecret are the OAuth App's or GitHub App's
	// credentials.
	ClientID, ClientSecret string
	// BaseURL is the GitHub web origin. "" or "https://github.com" means
	// github.com; anything else is GitHub Enterprise Server, with OAuth at
	// {BaseURL}/login/oauth/ and the REST API at {BaseURL}/api/v3/. It must
	// be https, or http on a loopback host.
	BaseURL string
	// RedirectURL is our callback registered at GitHub:
	// {public URL}/oauth/callback/github.
	RedirectURL string
	// Scopes are the upstream scopes to request; default DefaultScopes.
	// GitHub Apps ignore them (their permissions are set on the app).
	Scopes []string
	// HTTPClient makes the token and API calls; default a client with a
	// 15-second timeout.
	HTTPClient *http.Client
	// DisplayName overrides the name shown to people (default "GitHub",
	// or "GitHub Enterprise (host)" for GHES).
	DisplayName string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// ConditionalCacheBytes bounds the per-process cache of GET answers
	// that users' clients revalidate with If-None-Match (etagcache.go): 0
	// means DefaultConditionalCacheBytes, a negative value turns it off.
	ConditionalCacheBytes int
	// SharedCache, when set, also keeps those answers sealed in the store
	// shared by the replicas (etagcache_shared.go); unused when the cache
	// is turned off.
	SharedCache SharedCache
}

// validate checks c and returns the parsed web origin (nil for
// github.com). Errors never quote the client secret.
func (c Config) validate() (*url.URL, error) {
	var errs []error
	if c.Name != "" && !upstream.ValidName(c.Name) {
		errs = append(errs, fmt.Errorf("name %q must be %s", c.Name, upstream.NameRule))
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
		if s == "" || strings.ContainsAny(s, " ,") {
			errs = append(errs, fmt.Errorf("scope %q is not a single GitHub scope", s))
		}
	}
	base, err := parseBaseURL(c.BaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("github: invalid configuration: %w", errors.Join(errs...))
	}
	return base, nil
}

// parseBaseURL returns nil for github.com, else the GHES origin.
func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, nil
	}
	if _, err := urlcheck.HTTP("base URL", raw); err != nil {
		return nil, err
	}
	u, _ := url.Parse(raw) // checked above
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		if strings.Contains(u.Path, "/api/") {
			return nil, fmt.Errorf("base URL %q must be the web origin (https://HOST), not the API URL", raw)
		}
		return nil, fmt.Errorf("base URL %q must be an origin without path or query", raw)
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "api.github.com":
		return nil, fmt.Errorf("base URL %q must be the web origin https://github.com, not the API host", raw)
	case host == "github.com" && u.Scheme == "https" && u.Port() == "":
		return nil, nil
	}
	return &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}, nil
}
