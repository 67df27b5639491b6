package allow

import (
	"context"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/oidc"
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

// OIDC is an OpenID Connect provider (package oidc, and Google, which is
// one) with the ClaimsExchanger capability. Every method of the provider
// (Refresh included) stays available through the embedding.
type OIDC struct {
	*oidc.Provider
}

var (
	_ upstream.Provider  = OIDC{}
	_ upstream.Refresher = OIDC{}
	_ ClaimsExchanger    = OIDC{}
)

// ExchangeWithClaims is oidc.Provider.ExchangeClaims with the claims rules
// use.
func (p OIDC) ExchangeWithClaims(ctx context.Context, code, codeVerifier, nonce string) (upstream.Identity, upstream.Token, Claims, error) {
	id, tok, c, err := p.ExchangeClaims(ctx, code, codeVerifier, nonce)
	if err != nil {
		return upstream.Identity{}, upstream.Token{}, Claims{}, err
	}
	return id, tok, Claims{HostedDomain: c.HostedDomain}, nil
}
