package urlcheck

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// HTTP parses raw and checks it against the rule; what names the setting
// in the error ("issuer URL", "redirect URL").
func HTTP(what, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%s is required", what)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid URL", what)
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%s %q must be absolute", what, raw)
	case u.User != nil:
		return nil, fmt.Errorf("%s must not contain credentials", what)
	case u.Fragment != "":
		return nil, fmt.Errorf("%s %q must not have a fragment", what, raw)
	case u.Scheme == "https":
		return u, nil
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
		return u, nil
	case u.Scheme == "http":
		return nil, fmt.Errorf("%s %q must use https (http only for localhost)", what, raw)
	default:
		return nil, fmt.Errorf("%s %q must be an http(s) URL", what, raw)
	}
}

// IsLoopback reports whether host (without port or brackets) is localhost,
// a name under .localhost (RFC 6761 §6.3) or a loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
