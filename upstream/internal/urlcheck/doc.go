// Package urlcheck is the one rule for the URLs an upstream provider is
// configured with (GitHub's base URL, an OpenID Connect issuer, our
// callback): absolute, https, or plain http only on a loopback host (how
// tests and `mcpgate demo` reach the fakes), without credentials or
// fragment. Upstream tokens and client secrets travel to these URLs, so
// plain http elsewhere would send them in the clear (RFC 6749 §3.1, §10.9;
// OpenID Connect Discovery §4.3).
package urlcheck
