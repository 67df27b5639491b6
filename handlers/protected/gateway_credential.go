package protected

import (
	"context"
	"errors"

	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// errNoIDToken is a grant whose upstream token has no OIDC ID token
// (a GitHub sign-in) at a backend with CredentialIDToken.
var errNoIDToken = errors.New("protected: the upstream token has no OpenID Connect ID token")

// credential is what the backend gets as the person's bearer token, and
// the upstream access token it came with (empty for the identity JWT),
// which the broker needs to replace a refused token.
func (h *Gateway) credential(ctx context.Context, c *tokens.Caller) (credential, accessToken string, err error) {
	if h.Backend.Credential == CredentialIdentity {
		jwt, err := h.Identity.Mint(ctx, c, h.Resource)
		return jwt, "", err
	}
	tok, err := h.Upstream.Token(ctx, c)
	if err != nil {
		return "", "", err
	}
	credential, err = h.bearer(tok)
	return credential, tok.AccessToken, err
}

// bearer picks the backend's credential out of the upstream token.
func (h *Gateway) bearer(tok upstream.Token) (string, error) {
	if h.Backend.Credential != CredentialIDToken {
		return tok.AccessToken, nil
	}
	if tok.IDToken == "" {
		return "", errNoIDToken
	}
	return tok.IDToken, nil
}
