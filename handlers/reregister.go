package handlers

import (
	"context"
	"log/slog"
	"slices"

	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
)

// noteReregistration logs and counts a code exchange by a client that
// repeats one of the same person's earlier registrations: another client
// of theirs with a live grant, the same client_name and the redirect URI
// this code was issued for (issue 14; Claude registers anew now and then,
// and operators want to see the pattern). It only observes: the earlier
// registration is left to lapse and is pruned when unused (clientcap.go).
// Best effort: a store failure is logged at debug level and ignored.
func (h *tokenHandler) noteReregistration(ctx context.Context, client tokens.Client, grant tokens.Grant, redirectURI string) {
	if client.Name == "" {
		return
	}
	grants, err := h.Grants.ListGrants(ctx, grant.UserID, "")
	if err != nil {
		h.Logger.LogAttrs(ctx, slog.LevelDebug, "re-registration check skipped", slog.String("error", err.Error()))
		return
	}
	seen := map[string]bool{client.ID: true}
	for _, g := range grants {
		if seen[g.ClientID] {
			continue
		}
		seen[g.ClientID] = true
		old, err := h.Auth.Clients.GetClient(ctx, g.ClientID)
		if err != nil || old.Name != client.Name || !slices.Contains(old.RedirectURIs, redirectURI) {
			continue
		}
		h.Events.Record(ctx, observe.Event{Kind: observe.ClientReregistered, ClientID: client.ID, UserID: grant.UserID, Provider: grant.Provider})
		h.Logger.LogAttrs(ctx, slog.LevelInfo, "client re-registered: a person authorized a new registration that repeats an earlier one (same client_name and redirect URI)",
			slog.String("user_id", grant.UserID), slog.String("client_id", client.ID), slog.String("previous_client_id", old.ID))
		return
	}
}
