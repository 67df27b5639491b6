package protected_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/internal/testlog"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/mcpgate/mcpgate/upstream/github"
)

// upEnv is UpstreamTokens over a memory store and the upstream/github
// provider pointed at a fake GitHub that issues expiring GitHub App user
// tokens with rotating refresh tokens.
type upEnv struct {
	clock    *testclock.Clock
	fake     *fakegithub.Fake
	provider *github.Provider
	store    *memory.Store
	ut       *protected.UpstreamTokens
	logs     *testlog.Buffer
}

const appTokenTTL = 8 * time.Hour

func newUpEnv(t *testing.T) *upEnv {
	t.Helper()
	// One clock for the fake GitHub, the provider, the store and
	// UpstreamTokens, at the wall clock's present because
	// golang.org/x/oauth2 computes token expiry from time.Now.
	clock := testclock.New(time.Now().Truncate(time.Second))
	fake := fakegithubtest.NewServer(t, fakegithub.Options{Enterprise: true, AppTokens: true, AutoApprove: true, TokenTTL: appTokenTTL, Now: clock.Now})
	p, err := github.New(github.Config{
		ClientID:     fake.ClientID(),
		ClientSecret: fake.ClientSecret(),
		BaseURL:      fake.URL,
		RedirectURL:  "http://127.0.0.1:8080/oauth/callback/github",
		Now:          clock.Now,
	})
	if err != nil {
		t.Fatalf("github.New: %v", err)
	}
	store := memory.New(clock.Now)
	t.Cleanup(func() { store.Close() })
	logs := &testlog.Buffer{}
	return &upEnv{
		clock:    clock,
		fake:     fake,
		provider: p,
		store:    store,
		logs:     logs,
		ut: &protected.UpstreamTokens{
			Store:     store,
			Providers: map[string]upstream.Provider{p.Name(): p},
			Now:       clock.Now,
			Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		},
	}
}

// signIn runs GitHub's web flow against the fake (auto-approved) and
// returns the user's upstream token, as the callback handler gets it.
func (e *upEnv) signIn(t *testing.T) upstream.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	authURL := e.provider.AuthCodeURL(upstream.AuthRequest{State: "state-1", CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier)})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatalf("GET authorize: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d with Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, tok, err := e.provider.Exchange(t.Context(), loc.Query().Get("code"), verifier, "")
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.RefreshToken == "" || tok.Expiry.IsZero() {
		t.Fatalf("fake issued %+v, want an expiring token with a refresh token", tok)
	}
	return tok
}

// expire makes tok expired at GitHub and in the copy that will be stored,
// as after its eight hours have passed. (The clock is not advanced instead:
// golang.org/x/oauth2 computes a refreshed token's expiry from the wall
// clock, which would leave it behind an advanced test clock.)
func (e *upEnv) expire(tok upstream.Token) upstream.Token {
	e.fake.ExpireAccessTokens()
	tok.Expiry = e.clock.Now().Add(-time.Minute)
	return tok
}

// grant stores a grant holding tok sealed with a fresh data key, as the
// callback does, and returns its caller as the bearer check builds it.
func (e *upEnv) grant(t *testing.T, provider string, tok upstream.Token) *tokens.Caller {
	t.Helper()
	id := tokens.NewID()
	dk := tokens.NewDataKey()
	plain, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := tokens.SealUpstream(dk, id, plain)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	if err := e.store.CreateGrant(t.Context(), tokens.Grant{
		ID: id, ClientID: "client-1", UserID: tokens.UserID(provider, "1001"), Provider: provider, Subject: "1001", Login: "mona",
		Scopes: []string{"repo"}, Resource: "https://mcp.example.com/mcp", Upstream: sealed,
		CreatedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour),
	}); err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
	return &tokens.Caller{GrantID: id, ClientID: "client-1", UserID: tokens.UserID(provider, "1001"), Scopes: []string{"repo"}, Key: dk}
}

// stored opens the grant's upstream token as it is in the store now.
func (e *upEnv) stored(t *testing.T, c *tokens.Caller) upstream.Token {
	t.Helper()
	g, err := e.store.GetGrant(t.Context(), c.GrantID)
	if err != nil {
		t.Fatalf("GetGrant: %v", err)
	}
	plain, err := tokens.OpenUpstream(c.Key, c.GrantID, g.Upstream)
	if err != nil {
		t.Fatalf("OpenUpstream: %v", err)
	}
	var tok upstream.Token
	if err := json.Unmarshal(plain, &tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestUpstreamTokenNotExpired(t *testing.T) {
	e := newUpEnv(t)
	orig := e.signIn(t)
	c := e.grant(t, "github", orig)
	got, err := e.ut.Token(t.Context(), c)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if got.AccessToken != orig.AccessToken || got.RefreshToken != orig.RefreshToken {
		t.Error("Token did not return the stored token")
	}
	if n := e.fake.Counts().Refreshes; n != 0 {
		t.Errorf("refreshes = %d, want 0", n)
	}
}

func TestUpstreamTokenExpiredIsRefreshedOnceAndStored(t *testing.T) {
	e := newUpEnv(t)
	orig := e.expire(e.signIn(t))
	c := e.grant(t, "github", orig)

	first, err := e.ut.Token(t.Context(), c)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if first.AccessToken == orig.AccessToken || first.RefreshToken == orig.RefreshToken {
		t.Fatal("expired token was not refreshed and rotated")
	}
	if first.Expired(e.clock.Now()) {
		t.Errorf("refreshed token expires at %v, already expired at %v", first.Expiry, e.clock.Now())
	}
	if got := e.stored(t, c); got.AccessToken != first.AccessToken || got.RefreshToken != first.RefreshToken {
		t.Error("refreshed token (with its rotated refresh token) was not stored")
	}

	second, err := e.ut.Token(t.Context(), c)
	if err != nil {
		t.Fatalf("second Token: %v", err)
	}
	if second.AccessToken != first.AccessToken {
		t.Error("second call did not use the stored refreshed token")
	}
	if n := e.fake.Counts().Refreshes; n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}

	logs := e.logs.String()
	if !strings.Contains(logs, "upstream token refreshed") || !strings.Contains(logs, "grant_id="+c.GrantID) {
		t.Errorf("refresh not logged with the grant ID:\n%s", logs)
	}
	for _, secret := range []string{orig.AccessToken, orig.RefreshToken, first.AccessToken, first.RefreshToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain an upstream token:\n%s", logs)
		}
	}
}

func TestUpstreamTokenConcurrentRefreshRunsOnce(t *testing.T) {
	e := newUpEnv(t)
	c := e.grant(t, "github", e.expire(e.signIn(t)))

	const callers = 20
	var (
		wg      sync.WaitGroup
		results [callers]upstream.Token
		errs    [callers]error
	)
	for i := range callers {
		wg.Go(func() {
			// Each request has its own Caller, as each HTTP request does.
			own := *c
			results[i], errs[i] = e.ut.Token(t.Context(), &own)
		})
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i].AccessToken != results[0].AccessToken {
			t.Errorf("caller %d got a different token than caller 0", i)
		}
	}
	counts := e.fake.Counts()
	if counts.Refreshes != 1 || counts.FailedRefreshes != 0 {
		t.Errorf("refreshes = %d, failed = %d; want exactly one refresh", counts.Refreshes, counts.FailedRefreshes)
	}
	if got := e.stored(t, c); got.AccessToken != results[0].AccessToken {
		t.Error("stored token differs from the one handed out")
	}
}

func TestUpstreamTokenDeadRefreshTokenRevokesGrant(t *testing.T) {
	e := newUpEnv(t)
	c := e.grant(t, "github", e.expire(e.signIn(t)))
	e.fake.RevokeAll("mona")

	_, err := e.ut.Token(t.Context(), c)
	if !errors.Is(err, upstream.ErrRevoked) || !errors.Is(err, protected.ErrGrantGone) {
		t.Fatalf("Token error = %v, want ErrRevoked and ErrGrantGone", err)
	}
	if _, err := e.store.GetGrant(t.Context(), c.GrantID); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("GetGrant after a dead refresh token: %v, want ErrNotFound", err)
	}
	if _, err := e.ut.Token(t.Context(), c); !errors.Is(err, protected.ErrGrantGone) {
		t.Errorf("Token on the revoked grant: %v, want ErrGrantGone", err)
	}
}

func TestUpstreamTokenWrongDataKey(t *testing.T) {
	e := newUpEnv(t)
	c := e.grant(t, "github", e.expire(e.signIn(t)))
	wrong := *c
	wrong.Key = tokens.NewDataKey()

	if _, err := e.ut.Token(t.Context(), &wrong); !errors.Is(err, tokens.ErrSealBroken) {
		t.Fatalf("Token error = %v, want ErrSealBroken", err)
	}
	if n := e.fake.Counts().Refreshes; n != 0 {
		t.Errorf("refreshes = %d, want 0", n)
	}
	if _, err := e.store.GetGrant(t.Context(), c.GrantID); err != nil {
		t.Errorf("grant was touched by a caller with the wrong key: %v", err)
	}
}

func TestUpstreamTokenGrantGone(t *testing.T) {
	e := newUpEnv(t)
	c := e.grant(t, "github", e.signIn(t))
	if err := e.store.RevokeGrant(t.Context(), c.GrantID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ut.Token(t.Context(), c); !errors.Is(err, protected.ErrGrantGone) {
		t.Fatalf("Token error = %v, want ErrGrantGone", err)
	}
	if _, err := e.ut.Token(t.Context(), nil); err == nil {
		t.Error("Token without a caller succeeded")
	}
}

// stubProvider is a provider whose refresh answers are scripted.
type stubProvider struct {
	name    string
	refresh func(upstream.Token) (upstream.Token, error)
	calls   int
}

func (p *stubProvider) Name() string        { return p.name }
func (p *stubProvider) DisplayName() string { return p.name }
func (p *stubProvider) AuthCodeURL(upstream.AuthRequest) string {
	return "https://idp.example/authorize"
}
func (p *stubProvider) Exchange(context.Context, string, string, string) (upstream.Identity, upstream.Token, error) {
	return upstream.Identity{}, upstream.Token{}, errors.New("stub: no exchange")
}

// refreshingStub adds the Refresher capability.
type refreshingStub struct{ *stubProvider }

func (p refreshingStub) Refresh(_ context.Context, t upstream.Token) (upstream.Token, error) {
	p.calls++
	return p.refresh(t)
}

// failingSetUpstream is a store whose SetUpstream fails.
type failingSetUpstream struct{ *memory.Store }

func (s failingSetUpstream) SetUpstream(context.Context, string, []byte) error {
	return errors.New("redis: connection reset by peer")
}

func TestUpstreamTokenRefreshOutcomes(t *testing.T) {
	expiredTok := func(now time.Time) upstream.Token {
		return upstream.Token{AccessToken: "old-access", RefreshToken: "old-refresh", Expiry: now.Add(-time.Minute),
			RefreshExpiry: now.Add(24 * time.Hour)}
	}
	tests := []struct {
		name         string
		provider     func(now time.Time) upstream.Provider
		failStore    bool
		wantErr      func(error) bool
		wantAccess   string
		wantRefresh  string // stored refresh token after the call
		wantRevoked  bool
		wantRefreshN int
	}{
		{
			name: "transient refresh failure keeps the grant",
			provider: func(time.Time) upstream.Provider {
				return refreshingStub{&stubProvider{name: "idp", refresh: func(upstream.Token) (upstream.Token, error) {
					return upstream.Token{}, errors.New("dial tcp: connection refused")
				}}}
			},
			wantErr: func(err error) bool {
				return err != nil && !errors.Is(err, upstream.ErrRevoked) && !errors.Is(err, protected.ErrGrantGone)
			},
			wantRefresh:  "old-refresh",
			wantRefreshN: 1,
		},
		{
			name: "refresh without a new refresh token keeps the old one",
			provider: func(now time.Time) upstream.Provider {
				return refreshingStub{&stubProvider{name: "idp", refresh: func(upstream.Token) (upstream.Token, error) {
					return upstream.Token{AccessToken: "new-access", Expiry: now.Add(time.Hour)}, nil
				}}}
			},
			wantErr:      func(err error) bool { return err == nil },
			wantAccess:   "new-access",
			wantRefresh:  "old-refresh",
			wantRefreshN: 1,
		},
		{
			name: "refresh that returns no access token is an error",
			provider: func(now time.Time) upstream.Provider {
				return refreshingStub{&stubProvider{name: "idp", refresh: func(upstream.Token) (upstream.Token, error) {
					return upstream.Token{RefreshToken: "new-refresh", Expiry: now.Add(time.Hour)}, nil
				}}}
			},
			wantErr:      func(err error) bool { return err != nil && !errors.Is(err, protected.ErrGrantGone) },
			wantRefresh:  "old-refresh",
			wantRefreshN: 1,
		},
		{
			name: "store failure after a refresh is an error",
			provider: func(now time.Time) upstream.Provider {
				return refreshingStub{&stubProvider{name: "idp", refresh: func(upstream.Token) (upstream.Token, error) {
					return upstream.Token{AccessToken: "new-access", RefreshToken: "new-refresh", Expiry: now.Add(time.Hour)}, nil
				}}}
			},
			failStore:    true,
			wantErr:      func(err error) bool { return err != nil && !errors.Is(err, protected.ErrGrantGone) },
			wantRefresh:  "old-refresh",
			wantRefreshN: 1,
		},
		{
			name: "provider without refresh revokes the grant",
			provider: func(time.Time) upstream.Provider {
				return &stubProvider{name: "idp"}
			},
			wantErr: func(err error) bool {
				return errors.Is(err, upstream.ErrRevoked) && errors.Is(err, protected.ErrGrantGone)
			},
			wantRevoked: true,
		},
		{
			name: "provider not configured keeps the grant",
			provider: func(time.Time) upstream.Provider {
				return &stubProvider{name: "other"}
			},
			wantErr:     func(err error) bool { return err != nil && !errors.Is(err, upstream.ErrRevoked) },
			wantRefresh: "old-refresh",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newUpEnv(t)
			now := e.clock.Now()
			p := tt.provider(now)
			e.ut.Providers = map[string]upstream.Provider{p.Name(): p}
			if tt.failStore {
				e.ut.Store = failingSetUpstream{e.store}
			}
			c := e.grant(t, "idp", expiredTok(now))

			got, err := e.ut.Token(t.Context(), c)
			if !tt.wantErr(err) {
				t.Fatalf("Token error = %v", err)
			}
			if err == nil && got.AccessToken != tt.wantAccess {
				t.Errorf("access token = %q, want %q", got.AccessToken, tt.wantAccess)
			}
			if s, ok := p.(refreshingStub); ok && s.calls != tt.wantRefreshN {
				t.Errorf("refresh calls = %d, want %d", s.calls, tt.wantRefreshN)
			}
			_, gerr := e.store.GetGrant(t.Context(), c.GrantID)
			if tt.wantRevoked {
				if !errors.Is(gerr, tokens.ErrNotFound) {
					t.Errorf("GetGrant = %v, want the grant revoked", gerr)
				}
				return
			}
			if gerr != nil {
				t.Fatalf("GetGrant = %v, want the grant kept", gerr)
			}
			if s := e.stored(t, c); s.RefreshToken != tt.wantRefresh {
				t.Errorf("stored refresh token = %q, want %q", s.RefreshToken, tt.wantRefresh)
			}
		})
	}
}

// grantReads counts GetGrant on a memory store.
type grantReads struct {
	*memory.Store
	mu sync.Mutex
	n  int
}

func (s *grantReads) GetGrant(ctx context.Context, id string) (tokens.Grant, error) {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return s.Store.GetGrant(ctx, id)
}

func (s *grantReads) reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// TestUpstreamTokenUsesCallersGrant: with the grant the bearer check read
// on the caller (tokens.Caller.Grant), a live upstream token costs no store
// read; a snapshot made stale by another request's refresh is corrected by
// the reload under the refresh lock, without a second refresh.
func TestUpstreamTokenUsesCallersGrant(t *testing.T) {
	cases := []struct {
		name string
		// staleSnapshot: another request refreshed after the snapshot.
		staleSnapshot bool
		rejected      bool
		wantReads     int
	}{
		{name: "live token, no read", wantReads: 0},
		{name: "expired in the snapshot, refreshed in the store", staleSnapshot: true, wantReads: 1},
		{name: "rejected in the snapshot, replaced in the store", staleSnapshot: true, rejected: true, wantReads: 1},
		{name: "rejected, current in the snapshot: one refresh", rejected: true, wantReads: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newUpEnv(t)
			orig := e.signIn(t)
			if tc.staleSnapshot && !tc.rejected {
				orig = e.expire(orig)
			}
			c := e.grant(t, "github", orig)
			snap, err := e.store.GetGrant(t.Context(), c.GrantID)
			if err != nil {
				t.Fatal(err)
			}
			c.Grant = &snap
			want := orig
			if tc.staleSnapshot {
				// Another request refreshes meanwhile; the snapshot keeps orig.
				other := *c
				other.Grant = nil
				if tc.rejected {
					want, err = e.ut.Rejected(t.Context(), &other, orig.AccessToken)
				} else {
					want, err = e.ut.Token(t.Context(), &other)
				}
				if err != nil || want.AccessToken == orig.AccessToken {
					t.Fatalf("other request's refresh: %v (token changed: %v)", err, want.AccessToken != orig.AccessToken)
				}
			}
			refreshesBefore := e.fake.Counts().Refreshes

			counted := &grantReads{Store: e.store}
			ut := *e.ut
			ut.Store = counted
			var got upstream.Token
			if tc.rejected {
				got, err = ut.Rejected(t.Context(), c, orig.AccessToken)
			} else {
				got, err = ut.Token(t.Context(), c)
			}
			if err != nil {
				t.Fatalf("Token/Rejected: %v", err)
			}
			if n := counted.reads(); n != tc.wantReads {
				t.Errorf("GetGrant calls = %d, want %d", n, tc.wantReads)
			}
			refreshes := e.fake.Counts().Refreshes - refreshesBefore
			if tc.staleSnapshot || !tc.rejected {
				if got.AccessToken != want.AccessToken {
					t.Error("did not return the grant's current upstream token")
				}
				if refreshes != 0 {
					t.Errorf("refreshes = %d, want 0", refreshes)
				}
			} else if refreshes != 1 || got.AccessToken == orig.AccessToken {
				t.Errorf("refreshes = %d (token changed: %v), want one refresh", refreshes, got.AccessToken != orig.AccessToken)
			}
		})
	}
}
