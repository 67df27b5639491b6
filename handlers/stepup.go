package handlers

import (
	"context"
	"log/slog"
	"slices"

	"github.com/mcpgate/mcpgate/tokens"
)

// Step-up (MCP "Scope Challenge Handling"): a client whose token lacks a
// scope gets 403 insufficient_scope and runs a new authorization for more
// scopes. The new grant does not replace the old one by itself, so without
// this rule the narrower grant, with its refresh token and its sealed
// upstream token, stays alive beside the new one until it expires.
//
// The rule: when the callback creates a grant for a client registered at
// /register, every other live grant of the same client, person, provider
// and resource whose scopes are a strict subset of the new grant's is
// revoked. A registered client ID belongs to one installation (each
// registers its own), so a broader authorization by the same person
// through the same client is that installation stepping up.
//
// Not retired: grants that are not strictly narrower (the same scopes
// again, or broader ones: a second authorization may come from a second
// process that still uses its own grant), and every grant of a client
// identified by a metadata document URL, whose one ID is shared by all
// installations of the application (Claude Code on two devices would
// otherwise disconnect the first when the second asks for more).

// retireNarrowerGrants revokes the grants that the new grant g steps up
// from. Failures are logged and do not fail the sign-in: the narrower
// grant then simply lives on until it expires.
func retireNarrowerGrants(ctx context.Context, grants tokens.GrantStore, log *slog.Logger, g tokens.Grant) {
	if isMetadataURL(g.ClientID) {
		return
	}
	live, err := grants.ListGrants(ctx, g.UserID, g.ClientID)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "listing grants for a step-up failed", slog.String("grant_id", g.ID), slog.String("error", err.Error()))
		return
	}
	for _, old := range live {
		if old.ID == g.ID || old.ClientID != g.ClientID || old.UserID != g.UserID ||
			old.Provider != g.Provider || old.Resource != g.Resource || !strictSubset(old.Scopes, g.Scopes) {
			continue
		}
		if err := grants.RevokeGrant(ctx, old.ID); err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "retiring a narrower grant after a step-up failed",
				slog.String("grant_id", old.ID), slog.String("error", err.Error()))
			continue
		}
		log.LogAttrs(ctx, slog.LevelInfo, "narrower grant retired after a step-up",
			slog.String("grant_id", old.ID), slog.String("new_grant_id", g.ID),
			slog.String("client_id", g.ClientID), slog.String("user_id", g.UserID))
	}
}

// strictSubset reports whether every scope of a is in b and b has more.
func strictSubset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return len(b) > len(a)
}
