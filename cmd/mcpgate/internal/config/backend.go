package config

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/handlers/protected"
)

// BackendConfig is gateway mode's one backend, the MCP server /mcp
// forwards to when BackendURL (MCPGATE_BACKEND_URL, YAML backend_url) is
// set: its static headers and tool policy (YAML key backend; no
// environment variables).
type BackendConfig struct {
	// Headers are sent to the backend on every request, e.g.
	// X-MCP-Toolsets: default,actions for GitHub's server. They cannot
	// replace Authorization, cookies or the MCP transport's headers.
	Headers map[string]string `yaml:"headers"`
	// ReadOnlyHeader is sent as "<name>: true" for grants without
	// mcp:write; default X-MCP-Readonly (GitHub's server), "-" sends none.
	ReadOnlyHeader string `yaml:"read_only_header"`
	// Tools hides and refuses tools by name.
	Tools ToolPolicyConfig `yaml:"tools"`
	// ResponseHeaderTimeout bounds the wait for the backend's response
	// headers (504 after it); streams are never cut by it. Default 2m.
	ResponseHeaderTimeout time.Duration `yaml:"response_header_timeout"`
}

// NamedBackendConfig is one entry of YAML backends: an MCP server served
// at /mcp/{name} as its own protected resource.
type NamedBackendConfig struct {
	// Name is the path segment: lower-case letters, digits, - and _.
	Name string `yaml:"name"`
	// URL is the backend's streamable HTTP endpoint.
	URL string `yaml:"url"`
	// Provider is the identity provider whose token the backend takes;
	// grants of other providers are refused. Empty accepts any.
	Provider string `yaml:"provider"`
	// Credential is what the backend receives: access_token (the default,
	// the person's upstream access token), id_token (the person's OIDC ID
	// token; needs Provider naming an oidc or google type provider) or
	// identity (a short-lived JWT signed by mcpgate naming the person;
	// keys at /.well-known/jwks.json).
	Credential string `yaml:"credential"`
	// Headers, ReadOnlyHeader and Tools are as in BackendConfig.
	Headers        map[string]string `yaml:"headers"`
	ReadOnlyHeader string            `yaml:"read_only_header"`
	Tools          ToolPolicyConfig  `yaml:"tools"`
}

// ToolPolicyConfig lists tool names: Allow, when not empty, the only ones
// served; Deny, never served (it wins over Allow).
type ToolPolicyConfig struct {
	Allow []string `yaml:"allow"`
	Deny  []string `yaml:"deny"`
}

// reservedBackendHeaders are the headers a static backend header may not
// set: the credential mcpgate puts there, and the MCP transport's own.
var reservedBackendHeaders = []string{
	"Authorization", "Cookie", "Host", "Content-Type", "Content-Length", "Accept", "Mcp-Protocol-Version",
	"Mcp-Session-Id", "Last-Event-Id", "Mcp-Method", "Mcp-Name", "Transfer-Encoding", "Connection",
}

func (c *Config) validateBackend(p *problems) {
	c.validateNamedBackends(p)
	if c.BackendURL == "" {
		if len(c.Backend.Headers) > 0 || len(c.Backend.Tools.Allow) > 0 || len(c.Backend.Tools.Deny) > 0 {
			p.add("backend settings need backend_url (MCPGATE_BACKEND_URL), the MCP server to forward /mcp to")
		}
		return
	}
	validateBackendURL(p, "MCPGATE_BACKEND_URL (backend_url)", c.BackendURL)
	validateBackendHeaders(p, "backend", c.Backend.Headers, c.Backend.ReadOnlyHeader)
}

// validateNamedBackends checks YAML backends.
func (c *Config) validateNamedBackends(p *problems) {
	names := map[string]bool{}
	var providers, oidcProviders []string
	for _, pc := range c.IdentityProviders() {
		providers = append(providers, pc.Name)
		if pc.Type == TypeOIDC || pc.Type == TypeGoogle {
			oidcProviders = append(oidcProviders, pc.Name)
		}
	}
	for i, b := range c.Backends {
		at := fmt.Sprintf("backends[%d]", i)
		if !backendNamePattern.MatchString(b.Name) || names[b.Name] {
			p.add("%s.name must be unique, 1 to 63 lower-case letters, digits, - and _ (it becomes /mcp/{name}): got %q", at, b.Name)
		}
		names[b.Name] = true
		validateBackendURL(p, at+".url", b.URL)
		validateBackendHeaders(p, at, b.Headers, b.ReadOnlyHeader)
		if b.Provider != "" && !slices.Contains(providers, b.Provider) {
			p.add("%s.provider %q is not a configured identity provider (configured: %s)", at, b.Provider, strings.Join(providers, ", "))
		}
		switch b.Credential {
		case "", protected.CredentialAccessToken, protected.CredentialIdentity:
		case protected.CredentialIDToken:
			// Only OIDC-type providers issue ID tokens; naming one means a
			// GitHub grant is refused with 403 before the backend is asked.
			switch {
			case b.Provider == "":
				p.add("%s.credential id_token needs provider: set it to an OpenID Connect provider (oidc or google type; configured: %s)", at, listOrNone(oidcProviders))
			case slices.Contains(providers, b.Provider) && !slices.Contains(oidcProviders, b.Provider):
				p.add("%s.credential id_token needs an OpenID Connect provider (oidc or google type), and %q has no ID token (configured: %s)", at, b.Provider, listOrNone(oidcProviders))
			}
		default:
			p.add("%s.credential must be access_token, id_token or identity: got %q", at, b.Credential)
		}
	}
	if c.Backend.ResponseHeaderTimeout < 0 {
		p.add("backend.response_header_timeout may not be negative: got %s", c.Backend.ResponseHeaderTimeout)
	}
}

// listOrNone joins names for a problem message.
func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func validateBackendURL(p *problems, key, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.add("%s must be an absolute http(s) URL such as http://127.0.0.1:8082/: got %q", key, RedactURL(raw))
	case u.User != nil:
		p.add("%s must not carry a user or password: mcpgate sends each person's own credential", key)
	case u.Fragment != "":
		p.add("%s must not have a #fragment", key)
	}
}

func validateBackendHeaders(p *problems, at string, headers map[string]string, readOnly string) {
	for name, value := range headers {
		canonical := http.CanonicalHeaderKey(name)
		switch {
		case !validHeaderName(name):
			p.add("%s.headers: %q is not a valid header name", at, name)
		case slices.Contains(reservedBackendHeaders, canonical):
			p.add("%s.headers: %s is set by mcpgate itself and cannot be configured", at, canonical)
		case strings.ContainsAny(value, "\r\n\x00"):
			p.add("%s.headers: the value of %s must be one line", at, canonical)
		}
	}
	if readOnly != "" && readOnly != "-" && (!validHeaderName(readOnly) || slices.Contains(reservedBackendHeaders, http.CanonicalHeaderKey(readOnly))) {
		p.add("%s.read_only_header: %q is not a header mcpgate can send (use a name such as X-MCP-Readonly, or - for none)", at, readOnly)
	}
}

// backendNamePattern is a backend name: one path segment.
var backendNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if c > '~' || c <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

// RedactURL drops user info from a URL shown in an error or in `mcpgate check`.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	u.User = nil
	return u.String()
}

// NamedBackends are the backends of YAML backends as package protected
// takes them.
func (c *Config) NamedBackends() []protected.Backend {
	var out []protected.Backend
	for _, b := range c.Backends {
		out = append(out, protected.Backend{Name: b.Name, URL: b.URL, Provider: b.Provider, Credential: b.Credential, Headers: b.Headers,
			ReadOnlyHeader: b.ReadOnlyHeader, Allow: b.Tools.Allow, Deny: b.Tools.Deny})
	}
	return out
}

// AllBackends are every backend, the default one (when BackendURL is set)
// first.
func (c *Config) AllBackends() []protected.Backend {
	named := c.NamedBackends()
	if b, ok := c.GatewayBackend(); ok {
		return append([]protected.Backend{b}, named...)
	}
	return named
}

// GatewayBackend is the backend of gateway mode as package protected
// takes it; ok is false when BackendURL is empty (built-in tools).
func (c *Config) GatewayBackend() (b protected.Backend, ok bool) {
	if c.BackendURL == "" {
		return protected.Backend{}, false
	}
	return protected.Backend{
		Name:           "default",
		URL:            c.BackendURL,
		Headers:        c.Backend.Headers,
		ReadOnlyHeader: c.Backend.ReadOnlyHeader,
		Allow:          c.Backend.Tools.Allow,
		Deny:           c.Backend.Tools.Deny,
	}, true
}
