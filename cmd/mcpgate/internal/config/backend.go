package config

import (
	"net/http"
	"net/url"
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
	if c.BackendURL == "" {
		if len(c.Backend.Headers) > 0 || len(c.Backend.Tools.Allow) > 0 || len(c.Backend.Tools.Deny) > 0 {
			p.add("backend settings need backend_url (MCPGATE_BACKEND_URL), the MCP server to forward /mcp to")
		}
		return
	}
	u, err := url.Parse(c.BackendURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.add("MCPGATE_BACKEND_URL (backend_url) must be an absolute http(s) URL such as http://127.0.0.1:8082/: got %q", redactURL(c.BackendURL))
	case u.User != nil:
		p.add("MCPGATE_BACKEND_URL (backend_url) must not carry a user or password: mcpgate sends each person's own credential")
	case u.Fragment != "":
		p.add("MCPGATE_BACKEND_URL (backend_url) must not have a #fragment")
	}
	for name, value := range c.Backend.Headers {
		canonical := http.CanonicalHeaderKey(name)
		switch {
		case !validHeaderName(name):
			p.add("backend.headers: %q is not a valid header name", name)
		case slices.Contains(reservedBackendHeaders, canonical):
			p.add("backend.headers: %s is set by mcpgate itself and cannot be configured", canonical)
		case strings.ContainsAny(value, "\r\n\x00"):
			p.add("backend.headers: the value of %s must be one line", canonical)
		}
	}
	if h := c.Backend.ReadOnlyHeader; h != "" && h != "-" && (!validHeaderName(h) || slices.Contains(reservedBackendHeaders, http.CanonicalHeaderKey(h))) {
		p.add("backend.read_only_header: %q is not a header mcpgate can send (use a name such as X-MCP-Readonly, or - for none)", h)
	}
	if c.Backend.ResponseHeaderTimeout < 0 {
		p.add("backend.response_header_timeout may not be negative: got %s", c.Backend.ResponseHeaderTimeout)
	}
}

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

// redactURL drops user info from a URL shown in an error.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	u.User = nil
	return u.String()
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
