package observe

import (
	"context"
	"time"
)

// Kind names what happened. The values are the audit log's "event" field:
// stable, documented in the README.
type Kind string

const (
	ClientRegistered Kind = "client.registered"
	ClientDeleted    Kind = "client.deleted"
	ConsentApproved  Kind = "consent.approved"
	ConsentDenied    Kind = "consent.denied"
	// SignIn is the end of an upstream sign-in at the callback, with
	// Result "ok", "denied" (the provider or the allowlist said no) or
	// "error".
	SignIn         Kind = "signin"
	GrantIssued    Kind = "grant.issued"
	TokenRefreshed Kind = "token.refreshed"
	// ReuseDetected is a rotated refresh token or a spent authorization
	// code presented again; its grant is revoked. GrantType says which.
	ReuseDetected Kind = "token.reuse_detected"
	// GrantRevoked carries By: RevokedByClient, RevokedByPerson,
	// RevokedByOperator or RevokedByUpstream.
	GrantRevoked Kind = "grant.revoked"
	ToolCalled   Kind = "tool.called"

	// TokenRequest is every answer of the token endpoint (GrantType, and
	// Result "ok" or the OAuth error code). Metrics only: the audit log
	// has GrantIssued, TokenRefreshed and ReuseDetected.
	TokenRequest Kind = "token.request"
	// UpstreamRefresh is a refresh of an upstream token by the broker
	// (Result "ok" or "error"). Metrics only.
	UpstreamRefresh Kind = "upstream.refresh"
	// ClientReregistered is a person's authorization of a client that
	// repeats an earlier registration of theirs (same client_name and
	// redirect URI; Claude re-registers now and then). Metrics only: the
	// info log line names the person and both client IDs.
	ClientReregistered Kind = "client.reregistered"
)

// Who revoked a grant (Event.By).
const (
	RevokedByClient   = "client"
	RevokedByPerson   = "person"
	RevokedByOperator = "operator"
	RevokedByUpstream = "upstream"
)

// audited reports whether events of kind k go to the audit log.
func (k Kind) audited() bool {
	return k != TokenRequest && k != UpstreamRefresh && k != ClientReregistered
}

// Event is one outcome. Only the fields that apply are set; none of them
// may hold a token, code, secret, cookie or tool argument.
type Event struct {
	Kind     Kind
	ClientID string
	GrantID  string
	UserID   string
	Provider string
	// By is who revoked a grant (GrantRevoked).
	By string
	// Result is "ok", "denied", "error" or an OAuth error code.
	Result string
	// GrantType is the token endpoint's grant_type.
	GrantType string
	// Tool and Repository ("owner/repo") of a tool call.
	Tool       string
	Repository string
	// Backend is the gateway backend a tool call was forwarded to (its
	// configured name, "default" for MCPGATE_BACKEND_URL).
	Backend  string
	Duration time.Duration
	// GitHubRequestID is GitHub's X-GitHub-Request-Id of the last API call
	// a tool made, for support requests to GitHub.
	GitHubRequestID string
	// Reason is a short fixed phrase, never data from a request.
	Reason string
}

// Record sends e to the audit log and the metrics. A nil Observer does
// nothing.
func (o *Observer) Record(ctx context.Context, e Event) {
	if o == nil {
		return
	}
	if o.Audit != nil && e.Kind.audited() {
		o.Audit.record(ctx, e)
	}
	if o.Metrics != nil {
		o.Metrics.record(ctx, e)
	}
}
