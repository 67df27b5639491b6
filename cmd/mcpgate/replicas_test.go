package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// replicaSet is two mcpgate processes on one Redis with one secret and one
// public URL (as behind a load balancer), on one controllable clock, with
// one fake GitHub Enterprise that issues expiring GitHub App user tokens.
type replicaSet struct {
	A, B  *testGateway
	clock *testClock
	fake  *fakegithub.Fake
}

// upstreamTTL is the fake GitHub's access token lifetime in these tests:
// short enough that advancing the clock past it leaves our own access
// tokens (one hour) alive.
const upstreamTTL = 10 * time.Minute

func startReplicas(t *testing.T) *replicaSet {
	t.Helper()
	rs := redistest.Start(t)
	clock := newTestClock()
	fake := fakegithubtest.NewServer(t, fakegithub.Options{
		ClientID: "gh-client", ClientSecret: "gh-client-secret",
		AppTokens: true, AutoApprove: true, Enterprise: true,
		TokenTTL: upstreamTTL, Now: clock.Now,
	})
	lnA, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + lnA.Addr().String()
	secret := randomSecret(t)
	a := startGateway(t, gatewayOptions{redisURL: rs.URL, secret: secret, fake: fake, listener: lnA, now: clock.Now})
	b := startGateway(t, gatewayOptions{redisURL: rs.URL, secret: secret, fake: fake, publicURL: public, now: clock.Now})
	if a.URL == b.URL || b.PublicURL != a.PublicURL {
		t.Fatalf("replicas: A at %s, B at %s (public %s), want two ports behind one public URL", a.URL, b.URL, b.PublicURL)
	}
	return &replicaSet{A: a, B: b, clock: clock, fake: fake}
}

// pick returns A for even i and B for odd i.
func (r *replicaSet) pick(i int) *testGateway {
	if i%2 == 0 {
		return r.A
	}
	return r.B
}

func (r *replicaSet) logs() string { return r.A.logs.String() + r.B.logs.String() }

// TestReplicasShareTokensAndRotateOnce: a client registered on A gets its
// tokens on A and uses them on B; twenty concurrent refreshes of one refresh
// token, split across both replicas, all succeed with the same new pair
// (one rotation, the rest served from the grace window); a reuse of the old
// refresh token after the grace window revokes the grant on both replicas.
func TestReplicasShareTokensAndRotateOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := startReplicas(t)

	c := registerClient(ctx, t, r.A.URL, "")
	tok := c.signIn(ctx, t, r.A.PublicURL, r.A.URL)
	for _, gw := range []*testGateway{r.A, r.B} {
		res, err := callTool(ctx, t, gw.URL+"/mcp", tok.AccessToken, "get_me", nil)
		if err != nil || res.IsError || !strings.Contains(callText(t, res), `"login":"mona"`) {
			t.Fatalf("get_me on %s with a token from A: %v %q", gw.URL, err, callText(t, res))
		}
	}

	const n = 20
	answers := make([]tokenResponse, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			a, tr := c.refresh(ctx, t, r.pick(i).URL, tok.RefreshToken)
			statuses[i], answers[i] = a.Status, tr
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if statuses[i] != http.StatusOK {
			t.Errorf("refresh %d on %s: %d %q", i, r.pick(i).URL, statuses[i], answers[i].Error)
		}
		if answers[i].AccessToken != answers[0].AccessToken || answers[i].RefreshToken != answers[0].RefreshToken {
			t.Errorf("refresh %d returned another token pair than refresh 0; want one rotation shared by every retry", i)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	next := answers[0]
	if next.AccessToken == tok.AccessToken || next.RefreshToken == tok.RefreshToken {
		t.Fatal("refresh returned the old tokens")
	}
	if got := countLogMessages(r.logs(), "refresh token rotated"); got != 1 {
		t.Errorf("the replicas logged %d rotations of one refresh token, want exactly 1", got)
	}
	if got := countLogMessages(r.logs(), "refresh retried within the grace period; same tokens returned"); got != n-1 {
		t.Errorf("the replicas served %d refreshes from the grace window, want %d", got, n-1)
	}
	for _, gw := range []*testGateway{r.A, r.B} {
		if res, err := callTool(ctx, t, gw.URL+"/mcp", next.AccessToken, "get_me", nil); err != nil || res.IsError {
			t.Fatalf("rotated access token on %s: %v %q", gw.URL, err, callText(t, res))
		}
	}

	// After the grace window the old refresh token is a stolen copy (or a
	// badly broken client): the whole grant goes, on every replica.
	r.clock.Advance(r.A.cfg.Tokens.RefreshGrace + time.Second)
	a, tr := c.refresh(ctx, t, r.B.URL, tok.RefreshToken)
	if a.Status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Fatalf("reuse of a rotated refresh token after the grace window: %d %q, want 400 invalid_grant", a.Status, tr.Error)
	}
	for _, gw := range []*testGateway{r.A, r.B} {
		wantChallenge(t, "the grant's access token on "+gw.URL+" after reuse detection", mcpProbe(ctx, t, gw.URL+"/mcp", next.AccessToken))
	}
	if a, tr := c.refresh(ctx, t, r.A.URL, next.RefreshToken); a.Status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Errorf("the grant's newest refresh token after reuse detection: %d %q, want 400 invalid_grant", a.Status, tr.Error)
	}
}

// TestReplicasRefreshUpstreamOnce: when the GitHub App user token behind a
// grant expires, twenty concurrent tool calls split across both replicas
// cause exactly one upstream refresh, and every call succeeds; the rotated
// upstream refresh token is stored, so the next expiry refreshes again.
func TestReplicasRefreshUpstreamOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := startReplicas(t)

	c := registerClient(ctx, t, r.B.URL, "")
	tok := c.signIn(ctx, t, r.A.PublicURL, r.B.URL)

	for round := 1; round <= 2; round++ {
		before := r.fake.Counts()
		r.fake.ExpireAccessTokens()
		r.clock.Advance(upstreamTTL + time.Minute)

		const n = 20
		results := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				tool, args := "get_me", map[string]any(nil)
				if i%4 == 1 {
					tool, args = "list_issues", map[string]any{"owner": "mona", "repo": "hello-world"}
				}
				res, err := callTool(ctx, t, r.pick(i).URL+"/mcp", tok.AccessToken, tool, args)
				switch {
				case err != nil:
					errs[i] = err
				case res.IsError:
					results[i] = "tool error: " + callText(t, res)
				default:
					results[i] = callText(t, res)
				}
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			switch {
			case errs[i] != nil:
				t.Errorf("round %d: call %d on %s: %v", round, i, r.pick(i).URL, errs[i])
			case strings.HasPrefix(results[i], "tool error: "):
				t.Errorf("round %d: call %d on %s: %s", round, i, r.pick(i).URL, results[i])
			case i%4 != 1 && !strings.Contains(results[i], `"login":"mona"`):
				t.Errorf("round %d: get_me %d answered %q, want mona", round, i, results[i])
			}
		}
		after := r.fake.Counts()
		if got := after.Refreshes - before.Refreshes; got != 1 {
			t.Errorf("round %d: %d upstream refreshes for one expired token, want exactly 1", round, got)
		}
		if got := after.FailedRefreshes - before.FailedRefreshes; got != 0 {
			t.Errorf("round %d: %d refused upstream refreshes, want none (the rotated refresh token must be the stored one)", round, got)
		}
	}
}
