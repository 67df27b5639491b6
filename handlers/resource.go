package handlers

import (
	"errors"
	"net/url"
	"strings"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/handlers/protected"
)

// resourceSet knows the resource identifiers this server accepts in the
// RFC 8707 resource parameter. There is one protected resource, the MCP
// endpoint R (issuer + "/mcp"). The bare origin is accepted too, because
// some clients take the resource from the root metadata document or send
// the origin with a trailing slash (mcp-auth-checklist §8); so is the legacy
// SSE endpoint (issuer + "/sse"), whose own metadata names it (see SSE). All
// are recorded as R, so every token's audience is R.
type resourceSet struct {
	canonical string   // R, exactly as the metadata advertises it
	accepted  []string // normalised forms that resolve to R
	// backends maps the normalised resource of each named gateway backend
	// (issuer + "/mcp/{name}", gateway.go) to itself as advertised: each
	// is its own resource, and a token for one is refused at another.
	backends map[string]string
}

// addBackend accepts resource, a named gateway backend's identifier, as a
// resource of its own. The map is shared by every copy of the set (the
// handlers hold copies), so a backend added after they were built counts.
func (s *resourceSet) addBackend(resource string) error {
	n, err := normaliseResource(resource)
	if err != nil {
		return err
	}
	s.backends[n] = resource
	return nil
}

func newResourceSet(issuer string) (resourceSet, error) {
	r := issuer + protected.PathMCP
	nr, err := normaliseResource(r)
	if err != nil {
		return resourceSet{}, err
	}
	no, err := normaliseResource(issuer)
	if err != nil {
		return resourceSet{}, err
	}
	ns, err := normaliseResource(issuer + protected.PathSSE)
	if err != nil {
		return resourceSet{}, err
	}
	return resourceSet{canonical: r, accepted: []string{nr, no, ns}, backends: map[string]string{}}, nil
}

// resolve maps the resource parameter values of a request to R: no value
// means R (clients of the 2025-03-26 specification and clients that found
// no resource metadata send none); every value present must normalise to R,
// to the origin or to the SSE endpoint. Anything else is invalid_target
// (RFC 8707 §2).
func (s resourceSet) resolve(values []string) (string, *oauthError) {
	resolved := ""
	for _, v := range values {
		r := s.canonical
		if !s.accepts(v) {
			n, _ := normaliseResource(v)
			backend, ok := s.backends[n]
			if !ok || n == "" {
				return "", badRequest(wire.InvalidTarget, "resource must be "+s.canonical+" or a gateway backend's "+s.canonical+"/{name}")
			}
			r = backend
		}
		if resolved != "" && r != resolved {
			return "", badRequest(wire.InvalidTarget, "a token serves one resource: name only one")
		}
		resolved = r
	}
	if resolved == "" {
		return s.canonical, nil
	}
	return resolved, nil
}

func (s resourceSet) accepts(v string) bool {
	n, err := normaliseResource(v)
	if err != nil {
		return false
	}
	for _, a := range s.accepted {
		if n == a {
			return true
		}
	}
	return false
}

// normaliseResource brings a resource URI into the one form used for
// comparison (mcp-auth-checklist §8; MCP "Canonical Server URI"): scheme
// and host in lower case, the default port dropped, and ONE trailing slash
// removed from the path ("https://h/" and "https://h" are the same, so are
// "https://h/mcp/" and "https://h/mcp"; a doubled slash, as in "/mcp//",
// is an empty segment and stays, so the result is idempotent). It must be
// an absolute http(s) URI without user info or fragment (RFC 8707 §2), with
// a host of printable ASCII without percent-encoding (which could not be
// written back unambiguously). The query is kept, so a resource with a
// query never equals one of ours.
//
// Its cyclomatic complexity (above 15) is that of a parser: one early
// return per rule above, in the order of the URI's parts. Split up, the
// rules would be harder to check against RFC 8707 §2 and RFC 3986.
func normaliseResource(raw string) (string, error) {
	if raw == "" || strings.ContainsAny(raw, "#") {
		return "", errors.New("resource must be an absolute URI without fragment")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "https" && scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", errors.New("resource must be an absolute http(s) URI")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsFunc(host, func(c rune) bool { return c == '%' || c <= ' ' || c > '~' }) {
		return "", errors.New("resource must name its host in ASCII")
	}
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := u.EscapedPath()
	if strings.HasSuffix(path, "/") && !strings.HasSuffix(path, "//") {
		path = path[:len(path)-1]
	}
	out := scheme + "://" + host + path
	if u.RawQuery != "" || u.ForceQuery {
		out += "?" + u.RawQuery
	}
	return out, nil
}
