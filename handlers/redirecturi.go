package handlers

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// maxRedirectURIs and maxRedirectURILen (registerlimits.go) bound a
// registration.
const (
	claudeAICallback   = "https://claude.ai/api/mcp/auth_callback"
	claudeComCallback  = "https://claude.com/api/mcp/auth_callback"
	loopbackHTTPScheme = "http"
)

// validateRedirectURI checks one redirect URI at registration (RFC 7591
// §2; OAuth 2.1 §2.3.1; RFC 8252 §7; MCP "Communication Security"). It
// accepts:
//
//   - https URIs with a host;
//   - http URIs on a loopback host (localhost, 127.0.0.1, [::1]) for native
//     apps that listen on the user's machine (RFC 8252 §7.3);
//   - private-use URI schemes that contain a dot, i.e. reverse-DNS names
//     such as com.example.app:/callback (RFC 8252 §7.1). A dot-less scheme
//     ("cursor", "myapp") is refused: nothing ties it to its owner, and
//     refusing it also refuses javascript:, data:, file: and the like.
//
// Every URI must be absolute and carry neither user info nor a fragment
// (RFC 6749 §3.1.2). It may hold only the characters RFC 3986 §2 allows
// (no white space, control, non-ASCII or backslash: browsers read a
// backslash as a slash, so it could move the authority). A host, when
// there is one, must be a DNS name of ASCII letters, digits and hyphens
// (an internationalised name in its xn-- form, which the consent page shows
// as it is, so a lookalike cannot pass for the real name) or an IP address:
// the consent page shows it and the Content-Security-Policy names it. The
// returned message is fit for error_description and never echoes the URI.
//
// Its cyclomatic complexity (above 15) is that of a parser: one early
// return per rule above, in the order of the URI's parts, each with its own
// message.
func validateRedirectURI(raw string) error {
	if raw == "" {
		return fmt.Errorf("is empty")
	}
	if len(raw) > maxRedirectURILen {
		return fmt.Errorf("is longer than %d characters", maxRedirectURILen)
	}
	if strings.Contains(raw, "#") {
		return fmt.Errorf("must not contain a fragment")
	}
	for i := 0; i < len(raw); i++ {
		if !isURIChar(raw[i]) {
			return fmt.Errorf("must contain only characters RFC 3986 allows in a URI (no spaces, control characters, backslashes or non-ASCII; percent-encode them)")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("must be an absolute URI")
	}
	if u.User != nil {
		return fmt.Errorf("must not contain user information")
	}
	if u.Host != "" && !isPlainHost(u.Hostname()) {
		return fmt.Errorf("must name its host as a DNS name of ASCII letters, digits and hyphens (xn-- form for internationalised names) or as an IP address")
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" || u.Opaque != "" || u.Hostname() == "" {
			return fmt.Errorf("must be an absolute https URI with a host")
		}
	case loopbackHTTPScheme:
		if u.Opaque != "" || !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("must use https (http is allowed only on localhost, 127.0.0.1 or [::1])")
		}
	default:
		if !strings.Contains(u.Scheme, ".") {
			return fmt.Errorf("must use https, http on a loopback host, or a reverse-DNS private-use scheme such as com.example.app:/callback")
		}
	}
	return nil
}

// isURIChar reports whether c may appear in a URI: unreserved, reserved or
// the % of a percent-encoding (RFC 3986 §2).
func isURIChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
}

// isPlainHost reports whether host (without brackets or port) is an IP
// address without zone, or a DNS name: dot-separated non-empty labels of
// ASCII letters, digits and hyphens, without a trailing dot. That is also
// the host grammar of a CSP source expression.
func isPlainHost(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Zone() == ""
	}
	if host == "" {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// isLoopbackHost reports whether host (without brackets or port) is one of
// the loopback names RFC 8252 §7.3 and §8.3 allow.
func isLoopbackHost(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// matchRedirectURI finds the redirect URI to use for an authorization
// request (OAuth 2.1 §4.1.1, §2.3.1; RFC 8252 §7.3; MCP "Open Redirection"):
//
//   - no redirect_uri: allowed only when exactly one is registered, which
//     is then used;
//   - otherwise the requested URI must equal a registered one exactly,
//     case included (scheme and host too, although RFC 3986 calls them
//     case-insensitive), except that for http on a loopback host any port
//     matches while scheme, host, path and query must still be spelt
//     identically (native apps listen on whatever port is free);
//   - a registration that lists one of Claude's two callbacks
//     (claude.ai and claude.com) accepts the other as well: Claude asks
//     servers to allow both.
//
// It returns the URI to redirect to (the requested one) and whether it
// matched. Nothing else is ever redirected to.
func matchRedirectURI(registered []string, requested string) (string, bool) {
	if requested == "" {
		if len(registered) == 1 {
			return registered[0], true
		}
		return "", false
	}
	if validateRedirectURI(requested) != nil {
		return "", false
	}
	for _, reg := range registered {
		if reg == requested || claudeTwins(reg, requested) || loopbackMatch(reg, requested) {
			return requested, true
		}
	}
	return "", false
}

// claudeTwins reports whether a and b are Claude's two callback URLs.
func claudeTwins(a, b string) bool {
	return (a == claudeAICallback && b == claudeComCallback) || (a == claudeComCallback && b == claudeAICallback)
}

// loopbackMatch compares a registered and a requested http loopback URI
// ignoring the port (RFC 8252 §7.3).
func loopbackMatch(registered, requested string) bool {
	reg, err := url.Parse(registered)
	if err != nil {
		return false
	}
	req, err := url.Parse(requested)
	if err != nil {
		return false
	}
	// url.Parse lower-cases the scheme: compare it as spelt.
	return strings.HasPrefix(registered, loopbackHTTPScheme+"://") && strings.HasPrefix(requested, loopbackHTTPScheme+"://") &&
		isLoopbackHost(reg.Hostname()) &&
		reg.User == nil && req.User == nil &&
		reg.Hostname() == req.Hostname() &&
		reg.EscapedPath() == req.EscapedPath() &&
		reg.RawQuery == req.RawQuery && reg.ForceQuery == req.ForceQuery &&
		validPort(req.Port())
}

// validPort accepts an empty port or a decimal one in 1..65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	if len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}

// isLoopbackRedirect reports whether uri sends the code to a program on the
// user's own machine (shown as a warning on the consent page).
func isLoopbackRedirect(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && u.Scheme == loopbackHTTPScheme && isLoopbackHost(u.Hostname())
}

// redirectDisplay is what the consent page shows of a redirect URI: the
// host (or, for a private-use scheme, the scheme), prominently. A
// private-use URI goes to the app that owns its scheme whatever host it
// names (com.attacker.app://claude.ai/), so that host is never shown.
func redirectDisplay(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	switch {
	case u.Host != "" && isWebScheme(u.Scheme):
		return u.Host
	case u.Scheme != "":
		return u.Scheme + ":"
	}
	return uri
}

// redirectOrigin is the CSP source expression that allows a form
// submission to end at uri (the consent form's redirects, see pages.go).
func redirectOrigin(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return ""
	}
	if u.Host == "" || !isWebScheme(u.Scheme) {
		return u.Scheme + ":"
	}
	if strings.HasPrefix(u.Host, "[") {
		// CSP host-sources cannot spell an IPv6 literal (a loopback
		// redirect to [::1]); the scheme-source is the closest that works.
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}

// isWebScheme reports whether scheme is https or http, whose host says
// where a redirect goes.
func isWebScheme(scheme string) bool {
	return scheme == "https" || scheme == loopbackHTTPScheme
}
