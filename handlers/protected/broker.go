// Upstream-token broker of the protected resource: the tools of one MCP
// request get the caller's upstream token (GitHub, Google, ...) from here,
// refreshed at the provider under a cross-replica lock when it has expired
// or was refused. It lives with the resource server, not in package
// tokens, because it talks to identity providers: tokens is the storage
// floor and knows none. It reads and writes the grant's sealed upstream
// token only through tokens.OpenUpstream and tokens.SealUpstream.

package protected

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream"
)

// DefaultLockTTL is how long an upstream refresh may hold its lock when
// UpstreamTokens.LockTTL is zero.
const DefaultLockTTL = 30 * time.Second

// refreshCleanupTimeout bounds the store calls that run after the caller
// may have gone away: releasing a refresh lock, revoking a dead grant.
const refreshCleanupTimeout = 5 * time.Second

// ErrGrantGone means the caller's grant no longer exists (revoked, expired,
// or revoked just now because the upstream provider refused its refresh
// token). The client's next request gets 401 and it signs in again.
var ErrGrantGone = errors.New("protected: grant revoked or expired")

// UpstreamTokens hands out a grant's upstream token, refreshing it when it
// has expired. A refresh runs once per grant however many requests need it,
// on however many replicas: it holds a store lock, then reloads the grant
// and checks again, since another holder may have refreshed meanwhile. The
// rotated upstream refresh token is stored before the lock is released, so
// it is never lost to a race.
type UpstreamTokens struct {
	// Store keeps the grants (with their sealed upstream tokens) and
	// provides the cross-replica lock.
	Store interface {
		tokens.GrantStore
		tokens.Locker
	}
	// Providers are the upstream providers by Name().
	Providers map[string]upstream.Provider
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LockTTL is how long a refresh may hold its lock before the lock
	// lapses by itself; zero means DefaultLockTTL. The refresh and the
	// store write that follows must finish well inside it.
	LockTTL time.Duration
	// Logger receives refresh events; nil discards them.
	Logger *slog.Logger
	// Events gets the refreshes and revocations (audit, metrics); nil
	// records nothing.
	Events *observe.Observer
}

// Token returns the caller's current upstream token, refreshed first if it
// has expired (upstream.Token.Expired).
//
// Errors: ErrGrantGone when the grant is gone; an error wrapping both
// ErrGrantGone and upstream.ErrRevoked when the provider refused the refresh
// (the grant is revoked here, so the user must sign in again; the same when
// an expired token cannot be refreshed at all); ErrSealBroken (wrapped) when
// c.Key does not open the grant's upstream token; any other error is
// transient (store or provider unavailable) and the call may be retried.
func (u *UpstreamTokens) Token(ctx context.Context, c *tokens.Caller) (upstream.Token, error) {
	if c == nil {
		return upstream.Token{}, errors.New("protected: upstream token requested without a caller")
	}
	g, t, err := u.load(ctx, c, true)
	if err != nil {
		return upstream.Token{}, err
	}
	if !t.Expired(u.now()) {
		return t, nil
	}
	p, ok := u.Providers[g.Provider]
	if !ok {
		return upstream.Token{}, fmt.Errorf("protected: grant %s: upstream provider %q is not configured", g.ID, g.Provider)
	}
	r, ok := p.(upstream.Refresher)
	if !ok || t.RefreshToken == "" {
		u.revoke(ctx, g, "upstream token expired and cannot be refreshed")
		return upstream.Token{}, fmt.Errorf("%w: %w", ErrGrantGone, upstream.ErrRevoked)
	}
	return u.refresh(ctx, c, r, func(t upstream.Token) bool { return t.Expired(u.now()) })
}

// Rejected is called when the provider's API refused the upstream access
// token rejected (HTTP 401) before its expiry. It returns the token to
// retry with: the grant's current one if another request has replaced
// rejected meanwhile, else a refreshed one (the provider may have ended the
// token early while its refresh token still works). When the token cannot
// be refreshed, or the provider refuses the refresh, the grant is dead: it
// is revoked and the error wraps ErrGrantGone and upstream.ErrRevoked.
func (u *UpstreamTokens) Rejected(ctx context.Context, c *tokens.Caller, rejected string) (upstream.Token, error) {
	if c == nil {
		return upstream.Token{}, errors.New("protected: upstream token rejected without a caller")
	}
	g, t, err := u.load(ctx, c, true)
	if err != nil {
		return upstream.Token{}, err
	}
	if t.AccessToken != rejected {
		return t, nil
	}
	p, ok := u.Providers[g.Provider]
	if !ok {
		return upstream.Token{}, fmt.Errorf("protected: grant %s: upstream provider %q is not configured", g.ID, g.Provider)
	}
	r, ok := p.(upstream.Refresher)
	if !ok || t.RefreshToken == "" {
		u.revoke(ctx, g, "upstream provider refused the token and it cannot be refreshed")
		return upstream.Token{}, fmt.Errorf("%w: %w", ErrGrantGone, upstream.ErrRevoked)
	}
	return u.refresh(ctx, c, r, func(t upstream.Token) bool { return t.AccessToken == rejected })
}

// refresh refreshes the grant's upstream token under the grant's refresh
// lock, unless another holder of the lock did so first: stale reports
// whether the token loaded under the lock still needs replacing.
func (u *UpstreamTokens) refresh(ctx context.Context, c *tokens.Caller, r upstream.Refresher, stale func(upstream.Token) bool) (upstream.Token, error) {
	ttl := u.lockTTL()
	lockCtx, cancelLock := context.WithTimeout(ctx, ttl)
	unlock, err := u.Store.Lock(lockCtx, "upstream-refresh:"+c.GrantID, ttl)
	cancelLock()
	if err != nil {
		return upstream.Token{}, fmt.Errorf("protected: waiting for the upstream refresh of grant %s: %w", c.GrantID, err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshCleanupTimeout)
		defer cancel()
		if err := unlock(uctx); err != nil {
			u.logger().LogAttrs(ctx, slog.LevelWarn, "releasing upstream refresh lock failed; it lapses by itself",
				slog.String("grant_id", c.GrantID), slog.String("error", err.Error()))
		}
	}()

	// Another request may have refreshed while this one waited: read the
	// store, not the caller's snapshot.
	g, t, err := u.load(ctx, c, false)
	if err != nil {
		return upstream.Token{}, err
	}
	if !stale(t) {
		return t, nil
	}

	// From here on the work must not stop halfway because the caller went
	// away: a provider that rotated its refresh token has invalidated the
	// old one, and the new one exists only in this response until it is
	// stored. The work ends well before the lock lapses, so no other
	// replica can start a refresh with the old refresh token meanwhile.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), ttl-ttl/4)
	defer cancel()
	nt, err := r.Refresh(work, t)
	u.Events.Record(ctx, observe.Event{Kind: observe.UpstreamRefresh, GrantID: g.ID, Provider: g.Provider, Result: refreshResult(err)})
	if errors.Is(err, upstream.ErrRevoked) {
		u.revoke(work, g, "upstream provider refused the refresh token")
		return upstream.Token{}, fmt.Errorf("%w: %w", ErrGrantGone, upstream.ErrRevoked)
	}
	if err != nil {
		return upstream.Token{}, fmt.Errorf("protected: refreshing the upstream token of grant %s: %w", g.ID, err)
	}
	if nt.AccessToken == "" {
		return upstream.Token{}, fmt.Errorf("protected: refreshing the upstream token of grant %s: provider returned no access token", g.ID)
	}
	if nt.RefreshToken == "" {
		// RFC 6749 §6: without a new refresh token the old one stays valid.
		nt.RefreshToken, nt.RefreshExpiry = t.RefreshToken, t.RefreshExpiry
	}
	if err := u.store(work, c, nt); err != nil {
		u.logger().LogAttrs(ctx, slog.LevelError, "refreshed upstream token could not be stored; the user may have to sign in again",
			slog.String("grant_id", g.ID), slog.String("provider", g.Provider), slog.String("error", err.Error()))
		return upstream.Token{}, err
	}
	u.logger().LogAttrs(ctx, slog.LevelInfo, "upstream token refreshed",
		slog.String("grant_id", g.ID), slog.String("user_id", g.UserID), slog.String("provider", g.Provider))
	return nt, nil
}

// load opens the grant's upstream token with the caller's data key. With
// snapshot set it uses the grant the bearer check read with the access
// token (Caller.Grant) when there is one, so a tool call costs no store
// round trip of its own; a token found stale there is reloaded under the
// refresh lock, so an old snapshot costs at most that. Otherwise it reads
// the grant. The seal is bound to the grant (tokens.SealUpstream), so a
// sealed token copied onto another grant does not open.
func (u *UpstreamTokens) load(ctx context.Context, c *tokens.Caller, snapshot bool) (tokens.Grant, upstream.Token, error) {
	var g tokens.Grant
	if snapshot && c.Grant != nil && c.Grant.ID == c.GrantID {
		g = *c.Grant
	} else {
		var err error
		g, err = u.Store.GetGrant(ctx, c.GrantID)
		if errors.Is(err, tokens.ErrNotFound) {
			return tokens.Grant{}, upstream.Token{}, ErrGrantGone
		}
		if err != nil {
			return tokens.Grant{}, upstream.Token{}, fmt.Errorf("protected: loading grant %s: %w", c.GrantID, err)
		}
	}
	plain, err := tokens.OpenUpstream(c.Key, c.GrantID, g.Upstream)
	if err != nil {
		return tokens.Grant{}, upstream.Token{}, fmt.Errorf("protected: opening the upstream token of grant %s: %w", c.GrantID, err)
	}
	defer clear(plain)
	var t upstream.Token
	if err := json.Unmarshal(plain, &t); err != nil {
		return tokens.Grant{}, upstream.Token{}, fmt.Errorf("protected: decoding the upstream token of grant %s: %w", c.GrantID, tokens.ErrSealBroken)
	}
	return g, t, nil
}

// store seals t with the caller's data key and replaces the grant's
// upstream token.
func (u *UpstreamTokens) store(ctx context.Context, c *tokens.Caller, t upstream.Token) error {
	plain, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("protected: encoding the upstream token of grant %s: %w", c.GrantID, err)
	}
	defer clear(plain)
	sealed, err := tokens.SealUpstream(c.Key, c.GrantID, plain)
	if err != nil {
		return fmt.Errorf("protected: sealing the upstream token of grant %s: %w", c.GrantID, err)
	}
	if err := u.Store.SetUpstream(ctx, c.GrantID, sealed); err != nil {
		if errors.Is(err, tokens.ErrNotFound) {
			return ErrGrantGone
		}
		return fmt.Errorf("protected: storing the upstream token of grant %s: %w", c.GrantID, err)
	}
	return nil
}

// revoke removes a grant whose upstream token is dead. A failure is only
// logged: the caller reports the dead grant either way, and the grant
// cannot be used without a working upstream token.
func (u *UpstreamTokens) revoke(ctx context.Context, g tokens.Grant, reason string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshCleanupTimeout)
	defer cancel()
	if err := u.Store.RevokeGrant(rctx, g.ID); err != nil {
		u.logger().LogAttrs(ctx, slog.LevelError, "revoking grant with a dead upstream token failed",
			slog.String("grant_id", g.ID), slog.String("user_id", g.UserID), slog.String("error", err.Error()))
		return
	}
	u.Events.Record(ctx, observe.Event{Kind: observe.GrantRevoked, By: observe.RevokedByUpstream, GrantID: g.ID, UserID: g.UserID, ClientID: g.ClientID, Provider: g.Provider, Reason: reason})
	u.logger().LogAttrs(ctx, slog.LevelWarn, "grant revoked: "+reason,
		slog.String("grant_id", g.ID), slog.String("user_id", g.UserID), slog.String("client_id", g.ClientID),
		slog.String("provider", g.Provider))
}

func (u *UpstreamTokens) lockTTL() time.Duration {
	if u.LockTTL > 0 {
		return u.LockTTL
	}
	return DefaultLockTTL
}

func (u *UpstreamTokens) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *UpstreamTokens) logger() *slog.Logger {
	if u.Logger != nil {
		return u.Logger
	}
	return slog.New(slog.DiscardHandler)
}
