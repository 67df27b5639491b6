package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// TestSecretRotation rotates MCPGATE_SECRET the documented way: S1, then
// S2 with S1 in MCPGATE_PREVIOUS_SECRETS, then S2 alone. While S1 is a
// previous secret everything made under it keeps working (access tokens
// find their record and unwrap the grant's data key, which opens the
// upstream token; refresh tokens refresh; client secrets authenticate; the
// consent cookie is still honoured) and everything new is made under S2;
// once S1 is dropped, what was made under S2 works and what was made only
// under S1 is refused.
func TestSecretRotation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	fake := fakegithubtest.NewServer(t, fakegithub.Options{
		ClientID: "gh-client", ClientSecret: "gh-client-secret",
		AppTokens: true, AutoApprove: true, Enterprise: true,
	})
	s1, s2 := randomSecret(t), randomSecret(t)

	// Under S1.
	gw := startGateway(t, gatewayOptions{redisURL: rs.URL, secret: s1, fake: fake})
	mcpURL := gw.URL + "/mcp"
	pub := registerClient(ctx, t, gw.URL, "")
	pubTok := pub.signIn(ctx, t, gw.PublicURL, gw.URL)
	conf := registerClient(ctx, t, gw.URL, "client_secret_post")
	confTok := conf.signIn(ctx, t, gw.PublicURL, gw.URL)
	idle := registerClient(ctx, t, gw.URL, "")
	idleTok := idle.signIn(ctx, t, gw.PublicURL, gw.URL)
	wantGetMe(ctx, t, "under S1", mcpURL, pubTok.AccessToken)

	// S2 current, S1 previous.
	gw = restartGateway(t, gw, gatewayOptions{redisURL: rs.URL, secret: s2, previousSecrets: []string{s1}, fake: fake})
	wantGetMe(ctx, t, "S1 access token under S2+S1", mcpURL, pubTok.AccessToken)
	wantGetMe(ctx, t, "S1 access token of a confidential client under S2+S1", mcpURL, confTok.AccessToken)

	if loc := authorizeRedirect(ctx, t, pub, gw); !strings.HasPrefix(loc, fake.URL+"/login/oauth/authorize") {
		t.Errorf("authorize with the S1 consent cookie under S2+S1 redirected to %q, want straight to GitHub (consent remembered)", loc)
	}
	again := pub.signIn(ctx, t, gw.PublicURL, gw.URL) // a new grant, made under S2
	wantGetMe(ctx, t, "access token from a sign-in under S2+S1", mcpURL, again.AccessToken)

	a, pubTok2 := pub.refresh(ctx, t, gw.URL, pubTok.RefreshToken)
	if a.Status != http.StatusOK || pubTok2.AccessToken == "" {
		t.Fatalf("S1 refresh token under S2+S1: %d %s", a.Status, a.Body)
	}
	wantGetMe(ctx, t, "access token refreshed under S2+S1", mcpURL, pubTok2.AccessToken)
	a, confTok2 := conf.refresh(ctx, t, gw.URL, confTok.RefreshToken)
	if a.Status != http.StatusOK || confTok2.AccessToken == "" {
		t.Fatalf("confidential client (secret hashed under S1) refreshing under S2+S1: %d %s", a.Status, a.Body)
	}

	// S2 alone.
	gw = restartGateway(t, gw, gatewayOptions{redisURL: rs.URL, secret: s2, fake: fake})
	wantGetMe(ctx, t, "access token refreshed under S2+S1, now under S2", mcpURL, pubTok2.AccessToken)
	wantGetMe(ctx, t, "access token from a sign-in under S2+S1, now under S2", mcpURL, again.AccessToken)
	if a, tr := pub.refresh(ctx, t, gw.URL, pubTok2.RefreshToken); a.Status != http.StatusOK || tr.AccessToken == "" {
		t.Errorf("refresh token issued under S2+S1, now under S2: %d %s", a.Status, a.Body)
	}
	wantChallenge(t, "S1 access token under S2 alone", mcpProbe(ctx, t, mcpURL, pubTok.AccessToken))
	wantChallenge(t, "never-refreshed S1 access token under S2 alone", mcpProbe(ctx, t, mcpURL, idleTok.AccessToken))
	if a, tr := idle.refresh(ctx, t, gw.URL, idleTok.RefreshToken); a.Status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Errorf("never-rotated S1 refresh token under S2 alone: %d %q, want 400 invalid_grant", a.Status, tr.Error)
	}
	if loc := authorizeRedirect(ctx, t, pub, gw); loc != "" {
		t.Errorf("authorize with an S1-only consent cookie under S2 alone redirected to %q, want the consent page", loc)
	}
}

// wantGetMe fails unless get_me with token answers the fake's user mona:
// proof that the token was accepted, its record unwrapped the grant's data
// key, and that key opened the upstream token GitHub accepted.
func wantGetMe(ctx context.Context, t *testing.T, what, endpoint, token string) {
	t.Helper()
	res, err := callTool(ctx, t, endpoint, token, "get_me", nil)
	if err != nil || res.IsError || !strings.Contains(callText(t, res), `"login":"mona"`) {
		t.Fatalf("%s: get_me = %v %q", what, err, callText(t, res))
	}
}

// authorizeRedirect sends c's browser (with its cookies) to the
// authorization endpoint once, without following redirects, and returns
// where it was redirected, or "" when it got a page (the consent page).
func authorizeRedirect(ctx context.Context, t *testing.T, c *testClient, gw *testGateway) string {
	t.Helper()
	_, challenge := pkce(t)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.authorizeURL(gw.PublicURL, challenge, "probe"), nil)
	if err != nil {
		t.Fatal(err)
	}
	once := &http.Client{Jar: c.browser.Client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	a := do(t, once, req)
	switch a.Status {
	case http.StatusFound, http.StatusSeeOther:
		return a.Header.Get("Location")
	case http.StatusOK:
		if !strings.Contains(string(a.Body), "<form") {
			t.Fatalf("authorize answered 200 without a consent form: %s", a.Body)
		}
		return ""
	default:
		t.Fatalf("authorize: %d %s", a.Status, a.Body)
		return ""
	}
}
