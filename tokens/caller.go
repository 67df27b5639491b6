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
}
