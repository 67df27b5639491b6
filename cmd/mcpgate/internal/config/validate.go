package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpgate/mcpgate/tokens"
)

// ValidationError lists every problem Validate found, one line each, naming
// the environment variable (or YAML key, for settings without one) and what
// to do. It never contains a secret.
type ValidationError struct {
	Problems []string
}

// Error is "invalid configuration:" followed by one "  - problem" line per
// problem.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// check is one row of a validation table: when bad, msg is a problem.
type check struct {
	bad bool
	msg string
}

// problems collects validation problems.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p *problems) table(checks []check) {
	for _, c := range checks {
		if c.bad {
			*p = append(*p, c.msg)
		}
	}
}

// Validate checks the whole configuration and returns every problem at once
// as a *ValidationError, or nil. It is fast and has no side effects (no
// network), and works on a Config built in code as well as on one from Load.
func (c *Config) Validate() error {
	var p problems
	c.validateServer(&p)
	c.validateSecrets(&p)
	c.validateRedis(&p)
	c.validateProviders(&p)
	c.validateProviderList(&p)
	c.validateAllow(&p)
	c.validateTokens(&p)
	c.validatePolicies(&p)
	c.validateScopes(&p)
	c.validateLogging(&p)
	c.validateLimits(&p)
	c.validateMCP(&p)
	c.validateTLS(&p)
	c.validateBackend(&p)
	c.validateObserve(&p)
	c.validateTools(&p)
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

func (c *Config) validateServer(p *problems) {
	if c.Addr == "" {
		p.add("MCPGATE_ADDR is empty: set a listen address such as %s", defaultAddr)
	} else if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		p.add("MCPGATE_ADDR must be host:port, such as %s: got %q", defaultAddr, c.Addr)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		p.add("MCPGATE_ADDR has an invalid port: want a number from 0 to 65535, got %q", port)
	}

	switch u, problem := parseOrigin(c.PublicURL); {
	case c.PublicURL == "":
		p.add("MCPGATE_PUBLIC_URL is empty: set it to the origin clients use to reach mcpgate, such as https://mcp.example.com (or %s locally)", defaultPublicURL)
	case u == nil:
		p.add("MCPGATE_PUBLIC_URL %s: got %q", problem, c.PublicURL)
	case !secureScheme(u):
		p.add("MCPGATE_PUBLIC_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got %s", u.Redacted())
	case problem != "":
		p.add("MCPGATE_PUBLIC_URL %s: got %s", problem, u.Redacted())
	}

	for i, o := range c.AllowedOrigins {
		if o == "*" {
			p.add("MCPGATE_ALLOWED_ORIGINS entry %d is \"*\": list each browser origin explicitly, such as http://localhost:6274", i+1)
			continue
		}
		u, problem := parseOrigin(o)
		if u != nil && u.Scheme != "http" && u.Scheme != "https" {
			problem = "must be an http:// or https:// origin"
		}
		switch {
		case u == nil:
			p.add("MCPGATE_ALLOWED_ORIGINS entry %d %s, such as http://localhost:6274: got %q", i+1, problem, o)
		case problem != "":
			p.add("MCPGATE_ALLOWED_ORIGINS entry %d %s, such as http://localhost:6274: got %s", i+1, problem, u.Redacted())
		}
	}
}

func (c *Config) validateSecrets(p *problems) {
	if c.Secret.IsZero() {
		if c.UsesRedis() {
			p.add("MCPGATE_SECRET is required with Redis: %s", secretHint)
		}
		if len(c.PreviousSecrets) > 0 {
			p.add("MCPGATE_PREVIOUS_SECRETS is set but MCPGATE_SECRET is empty: set MCPGATE_SECRET to the current secret")
		}
	} else if b, err := tokens.ParseSecret(c.Secret.Reveal()); err != nil {
		p.add("MCPGATE_SECRET is invalid: %s; %s", secretProblem(err), secretHint)
	} else if why := weakSecret(b); why != "" {
		p.add("MCPGATE_SECRET is not random: %s; %s", why, secretHint)
	}
	for i, s := range c.PreviousSecrets {
		if s.IsZero() {
			p.add("MCPGATE_PREVIOUS_SECRETS entry %d is empty", i+1)
		} else if _, err := tokens.ParseSecret(s.Reveal()); err != nil {
			p.add("MCPGATE_PREVIOUS_SECRETS entry %d is invalid: %s", i+1, secretProblem(err))
		}
	}
}

// secretProblem is tokens.ParseSecret's error without its package prefix.
// ParseSecret's errors never contain the value.
func secretProblem(err error) string {
	return strings.TrimPrefix(err.Error(), "tokens: ")
}

// validateProviders checks the GITHUB_*, GOOGLE_* and OIDC_* sections, with
// their environment variable names (the providers list is
// validateProviderList's).
func (c *Config) validateProviders(p *problems) {
	c.validateGitHubSection(p)
	c.validateGoogleSection(p)
	c.validateOIDCSection(p)
}

func (c *Config) validateGitHubSection(p *problems) {
	gh := c.GitHub
	settings := "https://github.com/settings/developers"
	if u, problem := parseOrigin(gh.BaseURL); u != nil && problem == "" && secureScheme(u) {
		settings = gh.BaseURL + "/settings/developers"
	}
	callback := c.CallbackURL("github")
	switch {
	case len(c.ProviderNames()) == 0:
		p.add("GITHUB_CLIENT_ID is empty: create an OAuth App at %s (callback URL %s) and set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in .env (or configure Google or an OIDC issuer; to try mcpgate without any credentials, run `mcpgate demo`)", settings, callback)
	case gh.ClientID != "" && gh.ClientSecret.IsZero():
		p.add("GITHUB_CLIENT_SECRET is empty but GITHUB_CLIENT_ID is set: generate a client secret on the OAuth App's page at %s and set GITHUB_CLIENT_SECRET in .env", settings)
	case gh.ClientID == "" && !gh.ClientSecret.IsZero():
		p.add("GITHUB_CLIENT_ID is empty but GITHUB_CLIENT_SECRET is set: copy the Client ID from the OAuth App's page at %s (callback URL %s) into GITHUB_CLIENT_ID in .env", settings, callback)
	}

	switch u, problem := parseOrigin(gh.BaseURL); {
	case gh.BaseURL == "":
		p.add("GITHUB_BASE_URL is empty: use %s, or your GitHub Enterprise Server origin such as https://github.example.com", defaultGitHubBaseURL)
	case u == nil:
		p.add("GITHUB_BASE_URL %s: got %q", problem, gh.BaseURL)
	case !secureScheme(u):
		p.add("GITHUB_BASE_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got %s", u.Redacted())
	case problem != "":
		p.add("GITHUB_BASE_URL %s, such as %s or https://github.example.com: got %s", problem, defaultGitHubBaseURL, u.Redacted())
	}
	validateScopeList(p, "github.scopes", gh.Scopes)
}

func (c *Config) validateGoogleSection(p *problems) {
	if g := c.Google; (g.ClientID == "") != g.ClientSecret.IsZero() {
		missing := "GOOGLE_CLIENT_ID"
		if g.ClientID != "" {
			missing = "GOOGLE_CLIENT_SECRET"
		}
		p.add("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together: %s is missing (create an OAuth client of type Web application at https://console.cloud.google.com/apis/credentials with redirect URI %s)",
			missing, c.CallbackURL("google"))
	}
}

func (c *Config) validateOIDCSection(p *problems) {
	o := c.OIDC
	var missing []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"OIDC_ISSUER_URL", o.IssuerURL != ""},
		{"OIDC_CLIENT_ID", o.ClientID != ""},
		{"OIDC_CLIENT_SECRET", !o.ClientSecret.IsZero()},
	} {
		if !f.set {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 && len(missing) < 3 {
		p.add("OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together: %s missing (register redirect URI %s at your issuer)",
			strings.Join(missing, " and "), c.CallbackURL("oidc"))
	}
	if o.IssuerURL != "" {
		u, err := url.Parse(o.IssuerURL)
		switch {
		case err != nil || !u.IsAbs() || u.Host == "":
			p.add("OIDC_ISSUER_URL must be an absolute URL such as https://accounts.example.com: got %q", o.IssuerURL)
		case !secureScheme(u):
			p.add("OIDC_ISSUER_URL must be https:// (http:// only on a loopback host such as localhost or 127.0.0.1): got %s", u.Redacted())
		case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
			p.add("OIDC_ISSUER_URL must not contain user information, a query or a fragment: got %s", u.Redacted())
		}
	}
}

func (c *Config) validateTokens(p *problems) {
	t := c.Tokens
	p.table([]check{
		{t.AccessTTL <= 0, fmt.Sprintf("tokens.access_ttl must be positive, such as 1h: got %s", t.AccessTTL)},
		{t.RefreshTTL <= 0, fmt.Sprintf("tokens.refresh_ttl must be positive, such as 720h: got %s", t.RefreshTTL)},
		{t.CodeTTL <= 0, fmt.Sprintf("tokens.code_ttl must be positive, such as 5m: got %s", t.CodeTTL)},
		{t.CodeTTL > maxCodeTTL, fmt.Sprintf("tokens.code_ttl must be at most 10m (authorization codes are short-lived, RFC 6749 §4.1.2): got %s", t.CodeTTL)},
		{t.RefreshGrace < 0, fmt.Sprintf("tokens.refresh_grace must not be negative (0 disables it): got %s", t.RefreshGrace)},
		{t.AccessTTL > 0 && t.RefreshGrace >= t.AccessTTL, fmt.Sprintf("tokens.refresh_grace (%s) must be shorter than tokens.access_ttl (%s)", t.RefreshGrace, t.AccessTTL)},
		{t.AccessTTL > 0 && t.RefreshTTL > 0 && t.RefreshTTL < t.AccessTTL, fmt.Sprintf("tokens.refresh_ttl (%s) must not be shorter than tokens.access_ttl (%s)", t.RefreshTTL, t.AccessTTL)},
	})
}

func (c *Config) validateScopes(p *problems) {
	s := c.Scopes
	if len(s.Supported) == 0 {
		p.add("scopes.supported is empty: list the scopes clients may request, such as mcp:read and mcp:write")
	}
	validateScopeList(p, "scopes.supported", s.Supported)
	if len(s.Default) == 0 {
		p.add("scopes.default is empty: list the scopes granted when a client requests none, such as mcp:read and mcp:write")
	}
	for _, d := range s.Default {
		if !slices.Contains(s.Supported, d) {
			p.add("scopes.default has %q, which is not in scopes.supported", d)
		}
	}
}

// validateScopeList checks scope tokens (RFC 6749 §3.3) and duplicates.
func validateScopeList(p *problems, key string, scopes []string) {
	for i, s := range scopes {
		if !validScopeToken(s) {
			p.add("%s entry %d is not a valid scope name (printable ASCII without spaces, \" or \\): got %q", key, i+1, s)
		} else if slices.Index(scopes, s) < i {
			p.add("%s lists %q twice", key, s)
		}
	}
}

// validScopeToken implements scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x21 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}

func (c *Config) validateLogging(p *problems) {
	p.table([]check{
		{!validLogLevel(c.LogLevel), fmt.Sprintf("MCPGATE_LOG_LEVEL must be debug, info, warn or error: got %q", c.LogLevel)},
		{c.LogFormat != "text" && c.LogFormat != "json", fmt.Sprintf("MCPGATE_LOG_FORMAT must be text or json: got %q", c.LogFormat)},
	})
}

func validLogLevel(level string) bool {
	switch strings.ToLower(level) {
	case "debug", "info", "warn", "error":
		return true
	}
	return false
}

// parseOrigin parses an origin: scheme://host[:port] with nothing after it.
// It returns nil and a problem when raw is not an absolute URL, or the URL
// and a problem when it is one but not a canonical origin (path, query,
// fragment, user information, upper case, default port), or the URL and ""
// when it is a canonical origin. Its branches are the parts of a URL, one
// check each; split up, the order in which they are tested would be harder
// to see.
func parseOrigin(raw string) (*url.URL, string) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return nil, "must be an absolute URL such as https://mcp.example.com"
	}
	switch {
	case u.User != nil:
		return u, "must not contain user information"
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.HasSuffix(raw, "#"):
		return u, "must be an origin without path, query or trailing slash"
	case u.Hostname() != strings.ToLower(u.Hostname()) || !strings.HasPrefix(raw, u.Scheme+"://"):
		return u, "must be written in lower case"
	case (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80"):
		return u, "must leave out the default port"
	case strings.HasSuffix(u.Host, ":"):
		return u, "must not end with \":\""
	}
	return u, ""
}

// secureScheme reports whether u is https, or http on a loopback host.
func secureScheme(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return isLoopbackHost(u.Hostname())
	}
	return false
}

// isLoopbackHost reports whether host is localhost or a loopback IP address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
