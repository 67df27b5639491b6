package allow

import (
	"context"

	"github.com/mcpgate/mcpgate/upstream"
)

// Claims are what a login says about the account beyond
// upstream.Identity that rules use.
type Claims struct {
	// HostedDomain is Google's "hd" claim: the Google Workspace domain of
	// the account, empty for consumer accounts and other issuers.
	HostedDomain string
}

// ClaimsExchanger is the optional capability of providers whose login
// returns claims beyond upstream.Identity (OpenID Connect ID tokens). The
// callback uses it instead of Exchange when a provider has it.
type ClaimsExchanger interface {
	// ExchangeWithClaims is upstream.Provider's Exchange, with the claims.
	ExchangeWithClaims(ctx context.Context, code, codeVerifier, nonce string) (upstream.Identity, upstream.Token, Claims, error)
}
