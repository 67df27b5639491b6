package handlers

import (
	"slices"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

// The registered grant_types (RFC 7591 §2) are enforced at /token: a
// client registered for authorization_code alone (the default when it
// sends no grant_types) receives no refresh token, and its refresh_token
// requests are refused with unauthorized_client (RFC 6749 §5.2). Clients
// identified by a metadata document are registered for both.

// mayRefresh reports whether c registered the refresh_token grant.
func mayRefresh(c tokens.Client) bool {
	return slices.Contains(c.GrantTypes, grantRefreshToken)
}

// refusedGrantType refuses a grant type c did not register.
func refusedGrantType(c tokens.Client, grantType string) *oauthError {
	if slices.Contains(c.GrantTypes, grantType) {
		return nil
	}
	return badRequest(wire.UnauthorizedClient, "this client is not registered for the "+grantType+" grant (grant_types)")
}

// withoutRefresh turns a freshly minted pair into an access token alone:
// the refresh token is not sent; its record (which the store expects)
// holds no wrapped data key and expires with the access token, and so does
// the grant, so nothing outlives the one token the client holds.
func withoutRefresh(resp *tokenResponse, issue *tokens.Issue) {
	resp.RefreshToken = ""
	issue.Refresh.WrappedKey = nil
	issue.Refresh.ExpiresAt = issue.Access.ExpiresAt
	issue.GrantExpiresAt = issue.Access.ExpiresAt
}
