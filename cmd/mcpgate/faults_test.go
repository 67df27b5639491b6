package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// faultTimeout bounds every request made while something is broken: a
// broken dependency must turn into an answer, never a hung request.
const faultTimeout = 15 * time.Second

// TestUpstreamRevocation: when GitHub stops honouring a grant's upstream
// token, the tool call that finds out tells the person to reconnect, and the
// grant is revoked, so the client's next request gets 401 with the
// challenge (and the client signs in again). Both shapes of the failure:
// a GitHub App user token whose refresh GitHub refuses (UpstreamTokens
// revokes on upstream.ErrRevoked), and a non-expiring OAuth App token that
// the GitHub API answers 401 Bad credentials for.
func TestUpstreamRevocation(t *testing.T) {
	tests := []struct {
		name      string
		appTokens bool
		// expire moves past the upstream token's lifetime so that the next
		// call must refresh it.
		expire bool
	}{
		{name: "GitHub App token, refresh refused", appTokens: true, expire: true},
		{name: "OAuth App token, API answers 401", appTokens: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			rs := redistest.Start(t)
			clock := newTestClock()
			fake := fakegithubtest.NewServer(t, fakegithub.Options{
				ClientID: "gh-client", ClientSecret: "gh-client-secret",
				AppTokens: tt.appTokens, AutoApprove: true, Enterprise: true,
				TokenTTL: upstreamTTL, Now: clock.Now,
			})
			gw := startGateway(t, gatewayOptions{redisURL: rs.URL, fake: fake, now: clock.Now})
			mcpURL := gw.URL + "/mcp"
			c := registerClient(ctx, t, gw.URL, "")
			tok := c.signIn(ctx, t, gw.PublicURL, gw.URL)
			// A second grant of the same person, through another client,
			// shows that revocation stays with the grant that found out.
			other := registerClient(ctx, t, gw.URL, "")
			otherTok := other.signIn(ctx, t, gw.PublicURL, gw.URL)
			if res, err := callTool(ctx, t, mcpURL, tok.AccessToken, "get_me", nil); err != nil || res.IsError {
				t.Fatalf("get_me before revocation: %v %q", err, callText(t, res))
			}

			before := fake.Counts()
			fake.RevokeAll("mona")
			if tt.expire {
				fake.ExpireAccessTokens()
				clock.Advance(upstreamTTL + time.Minute)
			}
			res, err := callTool(ctx, t, mcpURL, tok.AccessToken, "get_me", nil)
			if err != nil {
				t.Fatalf("get_me after upstream revocation: %v, want a tool error", err)
			}
			if !res.IsError || !strings.Contains(callText(t, res), "reconnect") {
				t.Fatalf("get_me after upstream revocation = %q (isError %v), want a tool error asking to reconnect", callText(t, res), res.IsError)
			}
			if tt.expire {
				if got := fake.Counts().FailedRefreshes - before.FailedRefreshes; got != 1 {
					t.Errorf("%d refused upstream refreshes, want 1 (the refresh is how the revocation was found)", got)
				}
			} else if got := countLogMessages(gw.logs.String(), "grant revoked: GitHub refused the upstream token (401)"); got != 1 {
				t.Errorf("%d grants revoked after GitHub's 401, want 1", got)
			}
			wantChallenge(t, "the next request after upstream revocation", mcpProbe(ctx, t, mcpURL, tok.AccessToken))
			if a, tr := c.refresh(ctx, t, gw.URL, tok.RefreshToken); a.Status != http.StatusBadRequest || tr.Error != "invalid_grant" {
				t.Errorf("refresh after upstream revocation: %d %q, want 400 invalid_grant", a.Status, tr.Error)
			}
			if a := mcpProbe(ctx, t, mcpURL, otherTok.AccessToken); a.Status != http.StatusOK {
				t.Errorf("the other grant, which has not called GitHub yet: %d, want 200 until it finds out itself", a.Status)
			}
			// Signing in again makes a working grant.
			fresh := c.signIn(ctx, t, gw.PublicURL, gw.URL)
			if res, err := callTool(ctx, t, mcpURL, fresh.AccessToken, "get_me", nil); err != nil || res.IsError {
				t.Fatalf("get_me after signing in again: %v %q", err, callText(t, res))
			}
		})
	}
}

// TestStoreOutage: with Redis down, every endpoint that needs the store
// answers 503 (JSON with Retry-After on the API endpoints, an error page on
// /authorize) within a bounded time and never panics; /readyz says so while
// /healthz stays 200; when Redis is back mcpgate serves again without a
// restart. redistest runs Redis without persistence, so the restarted Redis
// is empty and recovery is shown with a fresh registration and sign-in.
func TestStoreOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	fake := fakegithubtest.NewServer(t, fakegithub.Options{
		ClientID: "gh-client", ClientSecret: "gh-client-secret",
		AppTokens: true, AutoApprove: true, Enterprise: true,
	})
	gw := startGateway(t, gatewayOptions{redisURL: rs.URL, fake: fake})
	mcpURL := gw.URL + "/mcp"
	c := registerClient(ctx, t, gw.URL, "")
	tok := c.signIn(ctx, t, gw.PublicURL, gw.URL)
	if res, err := callTool(ctx, t, mcpURL, tok.AccessToken, "get_me", nil); err != nil || res.IsError {
		t.Fatalf("get_me before the outage: %v %q", err, callText(t, res))
	}

	rs.Stop(t)

	_, challenge := pkce(t)
	requests := []struct {
		name string
		req  func(ctx context.Context) *http.Request
		html bool // an error page for a person, not a JSON API error
	}{
		{name: "POST /token (refresh)", req: func(ctx context.Context) *http.Request {
			return formRequest(ctx, t, gw.URL+"/token", "grant_type=refresh_token&client_id="+c.ID+"&refresh_token="+tok.RefreshToken)
		}},
		{name: "POST /token (authorization_code)", req: func(ctx context.Context) *http.Request {
			return formRequest(ctx, t, gw.URL+"/token", "grant_type=authorization_code&client_id="+c.ID+"&code=mcpgate_ac_x&code_verifier="+strings.Repeat("v", 43))
		}},
		{name: "POST /register", req: func(ctx context.Context) *http.Request {
			r, err := http.NewRequestWithContext(ctx, http.MethodPost, gw.URL+"/register",
				bytes.NewReader([]byte(`{"redirect_uris":["http://127.0.0.1:5000/cb"],"token_endpoint_auth_method":"none"}`)))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
		{name: "POST /revoke", req: func(ctx context.Context) *http.Request {
			return formRequest(ctx, t, gw.URL+"/revoke", "client_id="+c.ID+"&token="+tok.RefreshToken)
		}},
		{name: "GET /authorize", html: true, req: func(ctx context.Context) *http.Request {
			r, err := http.NewRequestWithContext(ctx, http.MethodGet, c.authorizeURL(gw.PublicURL, challenge, "st"), nil)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}},
		{name: "POST /mcp", req: func(ctx context.Context) *http.Request {
			r, err := http.NewRequestWithContext(ctx, http.MethodPost, mcpURL,
				strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_me","arguments":{}}}`))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			return r
		}},
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Run("Redis down", func(t *testing.T) {
		for _, tt := range requests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				rctx, cancel := context.WithTimeout(ctx, faultTimeout)
				defer cancel()
				a := do(t, noRedirect, tt.req(rctx))
				if a.Status != http.StatusServiceUnavailable {
					t.Fatalf("status %d, want 503; body %s", a.Status, a.Body)
				}
				if a.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				if tt.html {
					if !strings.HasPrefix(a.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(a.Body), "unavailable") {
						t.Errorf("want an HTML page saying the service is unavailable; got %q %s", a.Header.Get("Content-Type"), a.Body)
					}
					return
				}
				if got := a.jsonError(); got != "temporarily_unavailable" {
					t.Errorf("JSON error %q, want temporarily_unavailable; body %s", got, a.Body)
				}
			})
		}
	})
	if got := probe(ctx, t, gw.URL+"/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down: %d, want 503", got)
	}
	if got := probe(ctx, t, gw.URL+"/healthz"); got != http.StatusOK {
		t.Errorf("/healthz with Redis down: %d, want 200 (the process is alive)", got)
	}
	if countLogMessages(gw.logs.String(), "panic while serving a request") != 0 {
		t.Errorf("a handler panicked during the outage:\n%s", gw.logs.String())
	}

	// Redis comes back (empty: it kept nothing on disk). The same process
	// recovers by itself.
	rs.Restart(t)
	for probe(ctx, t, gw.URL+"/readyz") != http.StatusOK {
		if ctx.Err() != nil {
			t.Fatal("/readyz never became ready after Redis came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The data went with the old Redis: the old token is unknown now (401,
	// never a 5xx), and the client starts again as a real one would.
	wantChallenge(t, "an access token Redis forgot", mcpProbe(ctx, t, mcpURL, tok.AccessToken))
	c2 := registerClient(ctx, t, gw.URL, "")
	tok2 := c2.signIn(ctx, t, gw.PublicURL, gw.URL)
	if res, err := callTool(ctx, t, mcpURL, tok2.AccessToken, "get_me", nil); err != nil || res.IsError {
		t.Fatalf("get_me after Redis came back: %v %q", err, callText(t, res))
	}
	if a, tr := c2.refresh(ctx, t, gw.URL, tok2.RefreshToken); a.Status != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("refresh after Redis came back: %d %s", a.Status, a.Body)
	}
}

func formRequest(ctx context.Context, tb testing.TB, u, body string) *http.Request {
	tb.Helper()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// probe GETs a health endpoint and returns its status.
func probe(ctx context.Context, tb testing.TB, u string) int {
	tb.Helper()
	rctx, cancel := context.WithTimeout(ctx, faultTimeout)
	defer cancel()
	r, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return do(tb, nil, r).Status
}
