package tokens

// Caller is the verified identity behind one MCP request: the grant its
// access token belongs to, and the grant's data key, unwrapped with that
// access token (Keyring.UnwrapGrantKey). Key never prints (DataKey redacts
// itself).
type Caller struct {
	GrantID  string
	ClientID string
	UserID   string
	// Provider is the name of the upstream provider the grant's user
	// signed in with (Grant.Provider, the provider part of UserID).
	Provider string
	Scopes   []string
	Key      DataKey
	// Grant is the grant as read together with the access token
	// (TokenStore.GetAccessGrant), so that the request's tools never read
	// it again: one store round trip per MCP request. It is a snapshot of
	// that read; what must be current (an upstream token being refreshed)
	// is reloaded under a lock. Nil when the caller was built without it.
	Grant *Grant
}
