package handlers

import (
	"context"
	"log/slog"

	"github.com/mcpgate/mcpgate/tokens"
)

// slidingRecheck re-checks the allowlist when a request extends a sliding
// access token (protected.ResourceServer.Recheck; issue 14). Allowlists
// are otherwise re-checked only at refresh, and a client with a sliding
// token (Claude) may never refresh: so the same check as at refresh
// (allowlist.atRefresh, the one definition of the rules) runs at every
// extension, at most once per token per store bucket (an hour). Someone
// the rules no longer admit has the grant revoked and gets 401. When the
// rules cannot be evaluated right now (GitHub unreachable), the request is
// admitted and logged: the token was extended for this bucket, and the
// next extension, or the next refresh, checks again.
type slidingRecheck struct {
	Allow  *allowlist
	Grants tokens.GrantStore
	Logger *slog.Logger
}

// check is the Recheck function.
func (c slidingRecheck) check(ctx context.Context, caller *tokens.Caller) error {
	if !c.Allow.enabled() || caller.Grant == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, upstreamExchangeTimeout)
	defer cancel()
	grant := *caller.Grant
	log := c.Logger.With(slog.String("grant_id", grant.ID), slog.String("client_id", grant.ClientID), slog.String("user_id", grant.UserID))
	err := c.Allow.atRefresh(ctx, grant, caller)
	if err == nil {
		return nil
	}
	reason, revoke := recheckVerdict(err)
	if !revoke {
		log.LogAttrs(ctx, slog.LevelError, "the allowlist could not be re-checked at a sliding token's extension; admitted for now",
			slog.String("error", err.Error()))
		return nil
	}
	if rerr := c.Grants.RevokeGrant(ctx, grant.ID); rerr != nil {
		log.LogAttrs(ctx, slog.LevelError, "revoking the grant the allowlist refused failed", slog.String("error", rerr.Error()))
		return rerr
	}
	log.LogAttrs(ctx, slog.LevelWarn, "grant revoked at a sliding token's extension: "+reason,
		slog.String("provider", grant.Provider))
	return err
}
