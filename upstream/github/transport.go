package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/mcpgate/mcpgate/upstream"
)

// TokenSource is the upstream token of one signed-in user. Whoever keeps
// the token (stored sealed, refreshed under a lock, revoked when dead)
// implements it; this package only sends it and reports GitHub refusing it.
type TokenSource interface {
	// Token returns the current access token, refreshed first if it has
	// expired.
	Token(ctx context.Context) (upstream.Token, error)
	// Rejected is called when the API answered 401 to the access token
	// rejected. It returns the token to retry with: one that replaced
	// rejected meanwhile, or a refreshed one. A returned token equal to
	// rejected means there is nothing to retry with. An error wrapping
	// upstream.ErrRevoked means the token is dead for good (and the source
	// has ended what held it).
	Rejected(ctx context.Context, rejected string) (upstream.Token, error)
}

// rejectTimeout bounds the source's work after GitHub refused a token; it
// runs even if the request's context has ended.
const rejectTimeout = 10 * time.Second

// NewUserClient returns a go-github client authenticated as the user whose
// token src holds. Its transport sends the token to the API origin only
// and, when GitHub answers 401, asks src for another token and retries the
// request once (see userTransport). logger receives those events; give it
// the attributes that identify the user (never the token).
func (p *Provider) NewUserClient(ctx context.Context, src TokenSource, logger *slog.Logger) (*gh.Client, error) {
	tok, err := src.Token(ctx)
	if err != nil {
		return nil, err
	}
	c, err := p.NewClient(tok.AccessToken)
	if err != nil {
		return nil, err
	}
	api, err := url.Parse(c.BaseURL())
	if err != nil {
		return nil, fmt.Errorf("github: API base URL: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The clone drops NewClient's token; userTransport sends it.
	return c.Clone(gh.WithTransport(&userTransport{
		next: p.Transport(), src: src, used: tok.AccessToken, logger: logger,
		apiScheme: api.Scheme, apiHost: api.Host, cache: p.etags,
	}))
}

// userTransport is the transport of a user's GitHub client. A 401 from the
// GitHub API means GitHub no longer honours the upstream token. If the
// token was replaced meanwhile, or can be refreshed (a GitHub App token
// ended early while its refresh token still works), the request is sent
// once more with the new token. Otherwise the token is dead, exactly as
// when GitHub refuses a refresh: the source ends what held it (mcpgate
// revokes the grant), the 401 reaches the caller, and the person signs in
// again. OAuth App tokens, which never expire and have no refresh token,
// take that path when the person revokes the authorization at GitHub.
type userTransport struct {
	next   http.RoundTripper
	src    TokenSource
	used   string // the upstream access token this client sends
	logger *slog.Logger
	// apiScheme and apiHost are those of the provider's API base URL: the
	// only destination the upstream token is sent to. http.Client follows
	// redirects through this transport; one to another host (a download
	// redirected to a CDN, a hostile enterprise proxy) must not receive the
	// token, which net/http's own cross-host header stripping cannot
	// ensure once the transport adds the header itself.
	apiScheme, apiHost string
	// cache remembers GET answers for conditional requests (etagcache.go);
	// nil sends every request as it is.
	cache *etagCache
}

func (t *userTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if !t.isAPI(r.URL) {
		r.Header.Del("Authorization")
		return t.next.RoundTrip(r)
	}
	r.Header.Set("Authorization", "Bearer "+t.used)
	var resp *http.Response
	var err error
	if t.cache != nil {
		resp, err = t.cache.sendConditional(t.next, r, t.used)
	} else {
		resp, err = t.next.RoundTrip(r)
	}
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), rejectTimeout)
	defer cancel()
	fresh, rerr := t.src.Rejected(ctx, t.used)
	switch {
	case errors.Is(rerr, upstream.ErrRevoked):
		t.logger.LogAttrs(ctx, slog.LevelWarn, "grant revoked: GitHub refused the upstream token (401)")
		return resp, nil
	case rerr != nil:
		t.logger.LogAttrs(ctx, slog.LevelWarn, "GitHub refused the upstream token; the grant could not be checked", slog.String("error", rerr.Error()))
		return resp, nil
	case fresh.AccessToken == t.used || (r.Body != nil && r.GetBody == nil):
		return resp, nil
	}
	retry := r.Clone(r.Context())
	if r.Body != nil {
		body, err := r.GetBody()
		if err != nil {
			return resp, nil
		}
		retry.Body = body
	}
	retry.Header.Set("Authorization", "Bearer "+fresh.AccessToken)
	resp.Body.Close()
	t.used = fresh.AccessToken
	t.logger.LogAttrs(ctx, slog.LevelInfo, "GitHub refused the upstream token; retrying with a refreshed one")
	return t.next.RoundTrip(retry)
}

// isAPI reports whether u is on the provider's API origin (scheme and host,
// compared case-insensitively), the only one that may see the token.
func (t *userTransport) isAPI(u *url.URL) bool {
	return t.apiHost != "" && strings.EqualFold(u.Scheme, t.apiScheme) && strings.EqualFold(u.Host, t.apiHost)
}
