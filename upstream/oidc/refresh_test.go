package oidc_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
	"github.com/mcpgate/mcpgate/upstream/oidc"
)

func TestRefreshRotation(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{TokenTTL: 10 * time.Minute}, nil)
	ctx := t.Context()
	_, tok, _, err := s.signIn(t)
	if err != nil {
		t.Fatal(err)
	}
	s.clk.Advance(15 * time.Minute)
	if !tok.Expired(s.clk.Now()) {
		t.Fatal("token should have expired on the test clock")
	}
	next, err := s.p.Refresh(ctx, tok)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Error("refresh did not rotate both tokens")
	}
	if want := s.clk.Now().Add(10 * time.Minute); !next.Expiry.Equal(want) {
		t.Errorf("expiry = %v, want %v", next.Expiry, want)
	}
	if strings.Join(next.Scopes, " ") != "openid email profile" {
		t.Errorf("scopes = %v", next.Scopes)
	}
	if c := s.fake.Counts(); c.Refreshes != 1 {
		t.Errorf("counts = %+v", c)
	}

	// The rotated-away refresh token is dead.
	_, err = s.p.Refresh(ctx, tok)
	if !errors.Is(err, upstream.ErrRevoked) {
		t.Errorf("old refresh token: %v, want ErrRevoked", err)
	}
	assertNoLeak(t, s.fake, err)
	// So is every token after revocation.
	s.fake.RevokeAll("248289761001")
	if _, err := s.p.Refresh(ctx, next); !errors.Is(err, upstream.ErrRevoked) {
		t.Errorf("revoked refresh token: %v, want ErrRevoked", err)
	}
}

func TestRefreshWithoutRotation(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{NoRefreshRotation: true}, nil)
	ctx := t.Context()
	_, tok, _, err := s.signIn(t)
	if err != nil {
		t.Fatal(err)
	}
	tok.RefreshExpiry = s.clk.Now().Add(24 * time.Hour)
	next, err := s.p.Refresh(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken != tok.RefreshToken || !next.RefreshExpiry.Equal(tok.RefreshExpiry) || next.AccessToken == tok.AccessToken {
		t.Errorf("refresh without a new refresh token: %+v, want the old refresh token and its expiry kept", next)
	}
	if _, err := s.p.Refresh(ctx, next); err != nil {
		t.Errorf("second refresh with the kept token: %v", err)
	}
}

func TestRefreshWithoutRefreshToken(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, nil)
	live := upstream.Token{AccessToken: "at", Expiry: s.clk.Now().Add(time.Hour)}
	got, err := s.p.Refresh(t.Context(), live)
	if err != nil || got.AccessToken != live.AccessToken {
		t.Errorf("live token: %+v, %v; want it unchanged", got, err)
	}
	dead := upstream.Token{AccessToken: "at", Expiry: s.clk.Now().Add(-time.Minute)}
	if _, err := s.p.Refresh(t.Context(), dead); !errors.Is(err, upstream.ErrRevoked) {
		t.Errorf("expired token without refresh token: %v, want ErrRevoked", err)
	}
	expired := upstream.Token{AccessToken: "at", RefreshToken: "rt", RefreshExpiry: s.clk.Now()}
	if _, err := s.p.Refresh(t.Context(), expired); !errors.Is(err, upstream.ErrRevoked) {
		t.Errorf("refresh token past its expiry: %v, want ErrRevoked", err)
	}
	if c := s.fake.Counts(); c.Refreshes+c.FailedRefreshes != 0 {
		t.Errorf("token endpoint called: %+v", c)
	}
}

func TestRefreshClientErrorIsNotRevoked(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{}, nil)
	_, tok, _, err := s.signIn(t)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := oidc.New(t.Context(), oidc.Config{
		IssuerURL: s.fake.URL, ClientID: s.fake.ClientID(), ClientSecret: "nope-not-it", RedirectURL: callback,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Refresh(t.Context(), tok)
	if err == nil || errors.Is(err, upstream.ErrRevoked) || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("bad client credentials: %v, want a configuration error, not ErrRevoked", err)
	}
	assertNoLeak(t, s.fake, err)
	// The grant is intact.
	if _, err := s.p.Refresh(t.Context(), tok); err != nil {
		t.Errorf("refresh with the right client: %v", err)
	}
}
