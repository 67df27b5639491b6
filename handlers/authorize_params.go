// The checks of single authorization-request parameters.

package handlers

import (
	"net/url"

	"github.com/mcpgate/mcpgate/tokens"
)

// single returns the only value of name; ok is false when it is repeated
// (RFC 6749 §3.1: parameters must not appear more than once). An absent
// parameter is ("", true).
func single(params url.Values, name string) (string, bool) {
	v := params[name]
	switch len(v) {
	case 0:
		return "", true
	case 1:
		return v[0], true
	}
	return "", false
}

// validChallenge reports whether c has the shape of an S256 challenge:
// BASE64URL(SHA256(verifier)) without padding, 43 characters (RFC 7636
// §4.2).
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !isBase64URLChar(c[i]) {
			return false
		}
	}
	return true
}

func isBase64URLChar(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
}

// logID returns id for a log line when it has the shape of our client IDs,
// and a placeholder otherwise: a client_id parameter is attacker input and
// may be anything, including a pasted secret.
func logID(id string) string {
	if tokens.ValidID(id) {
		return id
	}
	return "(malformed)"
}
