package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
)

// The upstream leg of a sign-in, shared by the two ways a person signs in
// at an identity provider: an MCP client's authorization (/authorize, then
// the callback issues a code) and the connected-apps page
// (/connections/login, then the callback starts a session). Both start it
// with upstreamLeg.begin and finish it in callbackHandler.callback, which
// tells them apart by the pending sign-in's Purpose.

// upstreamLeg starts the upstream leg of a sign-in, for an MCP client's
// authorization (/authorize) and for the connected-apps page
// (/connections/login) alike.
type upstreamLeg struct {
	Pending    tokens.PendingStore
	Keys       *tokens.Keyring
	Cookies    *cookieJar
	PendingTTL time.Duration
	Now        func() time.Time
	// ReadOnly asks the provider for read-only upstream scopes
	// (upstream.AuthRequest.ReadOnly; see authorizeHandler.readOnly).
	ReadOnly bool
}

// errPendingNotStored wraps the store's error when begin could not store
// the pending sign-in.
var errPendingNotStored = errors.New("storing the pending sign-in failed")

// begin starts the upstream leg (MCP security best practices, "OAuth State
// Parameter Validation"): a fresh random state, created only now, single
// use and expiring with PendingTTL; a random browser binding kept in the
// state cookie; PKCE (S256) and a nonce for the upstream. It completes
// pending with these, stores it under the keyed hash of the state and sends
// the browser to p. On an error nothing has been sent: a store failure
// wraps errPendingNotStored, any other error is the state cookie's.
func (l upstreamLeg) begin(ctx context.Context, w http.ResponseWriter, r *http.Request, p upstream.Provider, pending tokens.Pending) error {
	state, binding, nonce := randomToken(), randomToken(), randomToken()
	verifier := oauth2.GenerateVerifier()
	pending.Provider = p.Name()
	pending.UpstreamVerifier = verifier
	pending.Nonce = nonce
	pending.Browser = l.Keys.Hash(binding)
	pending.CreatedAt = l.Now()
	if err := l.Pending.PutPending(ctx, l.Keys.Hash(state), pending, l.PendingTTL); err != nil {
		return fmt.Errorf("%w: %w", errPendingNotStored, err)
	}
	if err := l.Cookies.set(w, cookieState, stateCookie{B: binding}, l.PendingTTL); err != nil {
		return fmt.Errorf("setting the state cookie: %w", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the identity provider learns nothing of the client's request
	http.Redirect(w, r, p.AuthCodeURL(upstream.AuthRequest{
		State:         state,
		CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier),
		Nonce:         nonce,
		ReadOnly:      l.ReadOnly,
	}), http.StatusFound)
	return nil
}

// upstreamExchangeTimeout bounds the code exchange and user lookup at the
// identity provider.
const upstreamExchangeTimeout = 15 * time.Second

// upstreamExchange redeems the code at provider p, with the claims when p
// has that capability (OpenID Connect: Google's hosted domain).
func upstreamExchange(ctx context.Context, p upstream.Provider, code string, pending tokens.Pending) (upstream.Identity, upstream.Token, allow.Claims, error) {
	if ce, ok := p.(allow.ClaimsExchanger); ok {
		return ce.ExchangeWithClaims(ctx, code, pending.UpstreamVerifier, pending.Nonce)
	}
	id, tok, err := p.Exchange(ctx, code, pending.UpstreamVerifier, pending.Nonce)
	return id, tok, allow.Claims{HostedDomain: id.HostedDomain}, err
}

// userID is the stable user identifier: provider and subject.
func userID(p upstream.Provider, id upstream.Identity) string {
	return p.Name() + ":" + id.Subject
}

// safeErrorCode returns an upstream error code for the log when it is a
// plain RFC 6749 error code, and a placeholder otherwise.
func safeErrorCode(code string) string {
	if len(code) > 64 {
		return "(invalid)"
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if (c < 'a' || c > 'z') && c != '_' {
			return "(invalid)"
		}
	}
	return code
}

// findProvider returns the provider called name among providers, or nil.
func findProvider(providers []upstream.Provider, name string) upstream.Provider {
	for _, p := range providers {
		if p.Name() == name {
			return p
		}
	}
	return nil
}
