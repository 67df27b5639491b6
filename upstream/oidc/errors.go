package oidc

import (
	"errors"
	"fmt"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

// ErrIDToken means the issuer's ID token failed validation (OpenID
// Connect Core 1.0 §3.1.3.7): missing, bad signature, wrong issuer or
// audience, expired, nonce mismatch, no subject. The error that wraps it
// says which; it never contains the token.
var ErrIDToken = errors.New("oidc: ID token rejected")

// idTokenError is an ErrIDToken with its reason and, when go-oidc found
// the problem, go-oidc's error (whose text names expected and actual
// issuer or audience, never the token).
type idTokenError struct {
	reason string
	cause  error
}

// Error reads "ID token rejected: REASON (CAUSE)"; callers prefix the
// provider's name.
func (e *idTokenError) Error() string {
	if e.cause == nil {
		return "ID token rejected: " + e.reason
	}
	return "ID token rejected: " + e.reason + " (" + e.cause.Error() + ")"
}

func (e *idTokenError) Is(target error) bool { return target == ErrIDToken }
func (e *idTokenError) Unwrap() error        { return e.cause }

func idTokenErr(reason string) error { return &idTokenError{reason: reason} }

// verifyError turns go-oidc's Verify error into an ErrIDToken with a
// clear reason. go-oidc reports everything but expiry as text, so the
// reason is read from it; a failure to fetch the signing keys is not the
// token's fault and is returned as a plain (retryable) error.
func verifyError(err error) error {
	if exp, ok := errors.AsType[*gooidc.TokenExpiredError](err); ok {
		return &idTokenError{reason: "expired at " + exp.Expiry.UTC().Format(time.RFC3339), cause: err}
	}
	msg := err.Error()
	var reason string
	switch {
	case strings.Contains(msg, "fetching keys"):
		return fmt.Errorf("fetch the issuer's signing keys: %w", err)
	case strings.Contains(msg, "expected audience"):
		reason = "audience does not include this client"
	case strings.Contains(msg, "issued by a different provider"):
		reason = "issuer does not match"
	case strings.Contains(msg, "nbf"):
		reason = "not valid yet"
	case strings.Contains(msg, "malformed jwt"), strings.Contains(msg, "not signed"), strings.Contains(msg, "multiple signatures"):
		reason = "malformed or unsigned"
	case strings.Contains(msg, "signature"):
		reason = "signature does not verify with the issuer's keys"
	default:
		reason = "verification failed"
	}
	return &idTokenError{reason: reason, cause: err}
}
