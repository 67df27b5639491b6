package memory

import (
	"slices"

	"github.com/mcpgate/mcpgate/tokens"
)

// The store copies every slice on the way in and on the way out, so no
// caller ever shares memory with a stored record.

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

func cloneClient(c tokens.Client) tokens.Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	return c
}

func clonePending(p tokens.Pending) tokens.Pending {
	p.Scopes = slices.Clone(p.Scopes)
	return p
}

func cloneGrant(g tokens.Grant) tokens.Grant {
	g.Scopes = slices.Clone(g.Scopes)
	g.Upstream = clone(g.Upstream)
	return g
}

func cloneCode(c tokens.AuthCode) tokens.AuthCode {
	c.Scopes = slices.Clone(c.Scopes)
	c.WrappedKey = clone(c.WrappedKey)
	return c
}

func cloneAccess(a tokens.AccessToken) tokens.AccessToken {
	a.Scopes = slices.Clone(a.Scopes)
	a.WrappedKey = clone(a.WrappedKey)
	return a
}

func cloneRefresh(r tokens.RefreshToken) tokens.RefreshToken {
	r.Scopes = slices.Clone(r.Scopes)
	r.WrappedKey = clone(r.WrappedKey)
	r.GraceResponse = clone(r.GraceResponse)
	return r
}
