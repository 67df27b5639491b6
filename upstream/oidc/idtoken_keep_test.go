package oidc_test

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
)

// TestIDTokenKept: the exchange and the refresh keep the token response's
// ID token (for backends with credential id_token); a refresh whose
// response has none keeps the previous one.
func TestIDTokenKept(t *testing.T) {
	s := newSetup(t, fakeoidc.Options{TokenTTL: 10 * time.Minute}, nil)
	_, tok, _, err := s.signIn(t)
	if err != nil {
		t.Fatal(err)
	}
	if tok.IDToken == "" {
		t.Fatal("exchange: the ID token of the token response was not kept")
	}
	s.clk.Advance(15 * time.Minute)
	next, err := s.p.Refresh(t.Context(), tok)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.IDToken == "" || next.IDToken == tok.IDToken {
		t.Error("refresh: the new ID token of the response was not kept")
	}
	s.fake.SetOmitIDToken(true)
	s.clk.Advance(15 * time.Minute)
	third, err := s.p.Refresh(t.Context(), next)
	if err != nil {
		t.Fatalf("Refresh without an ID token: %v", err)
	}
	if third.AccessToken == next.AccessToken {
		t.Error("refresh did not replace the access token")
	}
	if third.IDToken != next.IDToken {
		t.Error("refresh without an ID token in the response dropped the previous ID token")
	}
}
