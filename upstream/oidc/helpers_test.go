package oidc_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc/fakeoidctest"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

const callback = "http://127.0.0.1:8080/oauth/callback/oidc"

// newClock is a settable test clock at a fixed instant.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
}

type setup struct {
	fake *fakeoidc.Fake
	p    *oidc.Provider
	clk  *testclock.Clock
}

// newSetup starts an auto-approving fake and a provider for it; edit
// adjusts the provider's configuration.
func newSetup(t *testing.T, opts fakeoidc.Options, edit func(*oidc.Config)) *setup {
	t.Helper()
	clk := newClock()
	opts.AutoApprove = true
	opts.Now = clk.Now
	f := fakeoidctest.NewServer(t, opts)
	cfg := oidc.Config{
		IssuerURL:    f.URL,
		ClientID:     f.ClientID(),
		ClientSecret: f.ClientSecret(),
		RedirectURL:  callback,
		Now:          clk.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	p, err := oidc.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &setup{fake: f, p: p, clk: clk}
}

// noRedirect returns redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize follows authURL once and returns the callback's query.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	resp, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("authorize: status %d, want 302: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; !strings.HasPrefix(got, "http://127.0.0.1:8080/oauth/callback/") {
		t.Fatalf("redirected to %q, want our callback", got)
	}
	return loc.Query()
}

// login runs the authorization leg and returns the code and its verifier.
func (s *setup) login(t *testing.T, nonce string) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	q := authorize(t, s.p.AuthCodeURL(upstream.AuthRequest{
		State:         "st-1",
		CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier),
		Nonce:         nonce,
	}))
	if q.Get("state") != "st-1" || q.Get("code") == "" {
		t.Fatalf("callback query = %v, want a code and state st-1", q)
	}
	return q.Get("code"), verifier
}

// signIn runs a whole login with a fresh nonce.
func (s *setup) signIn(t *testing.T) (upstream.Identity, upstream.Token, oidc.Claims, error) {
	t.Helper()
	nonce := oauth2.GenerateVerifier()
	code, verifier := s.login(t, nonce)
	return s.p.ExchangeClaims(t.Context(), code, verifier, nonce)
}

// assertNoLeak fails when err quotes any token the fake issued.
func assertNoLeak(t *testing.T, f *fakeoidc.Fake, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, tok := range f.IssuedTokens() {
		if strings.Contains(err.Error(), tok) {
			t.Errorf("error quotes an issued token: %v", err)
		}
	}
}
