package tokens

import "time"

// PairSpec says what a new access and refresh token pair of a grant
// carries: the pair a code exchange issues (both with the code's scopes)
// or a refresh issues (the access token possibly narrowed, RFC 6749 §6,
// the refresh token keeping the grant's scopes).
type PairSpec struct {
	Grant         Grant // its ID, UserID and RefreshGen go into the records
	ClientID      string
	AccessScopes  []string
	RefreshScopes []string
	Resource      string
	// Key is the grant's data key, unwrapped with the code or refresh
	// token the pair replaces.
	Key        DataKey
	Now        time.Time
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// Policy decides the access token's lifetime (policy.go): fixed
	// (Policy.AccessTTL, or AccessTTL when that is zero) or sliding.
	Policy Policy
}

// Pair is a freshly minted token pair: the two tokens for the client, and
// the records for TokenStore.IssueTokens or RotateRefresh, keyed by the
// tokens' hashes and each holding the data key wrapped under its own
// token. The grant lives as long as its refresh token.
type Pair struct {
	Access  string
	Refresh string
	Issue   Issue
}

// MintPair mints an access and a refresh token for s.Grant and makes
// their records. The refresh token is the generation after the grant's
// active one, and the access token is derived from it (generation.go);
// stores make the generation the grant's RefreshGen when they store the
// pair.
func (k *Keyring) MintPair(s PairSpec) (Pair, error) {
	grantEnd := s.Now.Add(s.RefreshTTL)
	accessEnd, idle := s.Policy.accessLifetime(s.Now, grantEnd, s.AccessTTL)
	gen := s.Grant.RefreshGen + 1
	rt := k.MintRefresh(s.Grant.ID, gen)
	at := k.pairedAccess(0, rt, idle <= 0)
	atKey, err := k.WrapGrantKey(at, s.Grant.ID, s.Key)
	if err != nil {
		return Pair{}, err
	}
	rtKey, err := k.WrapGrantKey(rt, s.Grant.ID, s.Key)
	if err != nil {
		return Pair{}, err
	}
	return Pair{
		Access:  at,
		Refresh: rt,
		Issue: Issue{
			AccessHash: k.Hash(at),
			Access: AccessToken{
				GrantID:     s.Grant.ID,
				ClientID:    s.ClientID,
				UserID:      s.Grant.UserID,
				Scopes:      s.AccessScopes,
				Resource:    s.Resource,
				WrappedKey:  atKey,
				ExpiresAt:   accessEnd,
				IdleTimeout: idle,
			},
			RefreshHash: k.Hash(rt),
			Refresh: RefreshToken{
				GrantID:    s.Grant.ID,
				ClientID:   s.ClientID,
				Scopes:     s.RefreshScopes,
				Resource:   s.Resource,
				WrappedKey: rtKey,
				ExpiresAt:  s.Now.Add(s.RefreshTTL),
				Generation: gen,
			},
			GrantExpiresAt: grantEnd,
		},
	}, nil
}
