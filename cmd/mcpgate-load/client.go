package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

// redirectURI is every load client's registered redirect URI: loopback, and
// never contacted (the browser stops when it is redirected there).
const redirectURI = "http://127.0.0.1:9/mcpgate-load/callback"

// runSettings is what every load client shares.
type runSettings struct {
	md           metadata
	resource     string   // the /mcp URL at the public origin (RFC 8707)
	replicas     []string // origins the requests rotate over
	hc           *http.Client
	transport    http.RoundTripper
	stats        *recorder
	reqTimeout   time.Duration
	refreshEvery time.Duration
	maxCalls     int
}

// loadClient is one simulated MCP client and the person behind it.
type loadClient struct {
	s     *runSettings
	index int
	login string // the GitHub user it signs in as; "" when the target decides
	// hard bounds every request; it ends only on interruption or at the
	// run's hard deadline, never at the end of the load phase, so that a
	// request in flight then is answered, not cancelled.
	hard context.Context

	client loadclient.Client
	tokens loadclient.Tokens
}

// replica is the origin for the n-th request of this client: clients start
// on different replicas and move to the next one on every request.
func (c *loadClient) replica(n int) string {
	return c.s.replicas[(c.index+n)%len(c.s.replicas)]
}

// timed runs one operation with the request timeout and records it.
func (c *loadClient) timed(op string, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(c.hard, c.s.reqTimeout)
	defer cancel()
	start := time.Now()
	err := f(ctx)
	kind, detail := "", ""
	if err != nil {
		kind, detail = failureKind(err), err.Error()
		var te *toolFailure
		if errors.As(err, &te) {
			kind = te.kind
		}
	}
	c.s.stats.done(op, time.Since(start), kind, fmt.Sprintf("client %d: %s", c.index, detail))
	return err
}

// toolFailure is a tool call that was answered, but wrongly.
type toolFailure struct {
	kind, detail string
}

func (e *toolFailure) Error() string { return e.kind + ": " + e.detail }

// setUp registers the client, signs its person in through the browser,
// redeems the code and initializes an MCP session.
func (c *loadClient) setUp() error {
	err := c.timed(opRegister, func(ctx context.Context) error {
		cl, err := loadclient.Register(ctx, c.s.hc, onReplica(c.s.md.RegistrationEndpoint, c.replica(0)), loadclient.Registration{
			Name: fmt.Sprintf("mcpgate-load client %d", c.index), RedirectURI: redirectURI,
		})
		c.client = cl
		return err
	})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	b, err := loadclient.NewBrowser(c.s.transport, redirectURI, c.login)
	if err != nil {
		return err
	}
	verifier, challenge := loadclient.NewPKCE()
	ar := loadclient.AuthorizationRequest{
		ClientID: c.client.ID, RedirectURI: redirectURI, Challenge: challenge,
		State: loadclient.RandomString(), Resource: c.s.resource,
	}
	var code string
	err = c.timed(opSignIn, func(ctx context.Context) error {
		// The authorization endpoint stays on the public origin: the
		// browser's cookies and the upstream callback belong to it.
		got, gotState, err := loadclient.Authorize(ctx, b, ar.URL(c.s.md.AuthorizationEndpoint))
		if err == nil && gotState != ar.State {
			err = errors.New("the redirect carries another state")
		}
		code = got
		return err
	})
	if err != nil {
		return fmt.Errorf("sign-in: %w", err)
	}
	err = c.timed(opToken, func(ctx context.Context) error {
		ta, err := loadclient.Redeem(ctx, c.s.hc, onReplica(c.s.md.TokenEndpoint, c.replica(1)), c.client, ar, code, verifier)
		c.tokens = ta
		return err
	})
	if err != nil {
		return fmt.Errorf("code exchange: %w", err)
	}
	err = c.timed(opInitialize, func(ctx context.Context) error {
		return loadclient.Initialize(ctx, c.s.hc, c.mcpURL(2), c.tokens.AccessToken, "mcpgate-load")
	})
	if err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	return nil
}

func (c *loadClient) mcpURL(n int) string {
	return onReplica(c.s.resource, c.replica(n))
}

// run is the load loop: tool calls until the deadline (or maxCalls), with
// a refresh every refreshEvery, each request on the next replica. It
// returns false when the grant was lost (a refresh failed, or the access
// token was refused).
func (c *loadClient) run(deadline time.Time) bool {
	// The first refresh comes at a random point of the first period, so
	// that the clients' refreshes spread over time.
	nextRefresh := time.Now().Add(time.Duration(rand.Int64N(int64(c.s.refreshEvery)) + 1))
	refreshes := 0
	for n := 0; n < c.s.maxCalls && c.hard.Err() == nil; n++ {
		now := time.Now()
		if !now.Before(deadline) {
			break
		}
		if !now.Before(nextRefresh) {
			replica := c.replica(refreshes)
			err := c.timed(opRefresh, func(ctx context.Context) error {
				ta, err := loadclient.Refresh(ctx, c.s.hc, onReplica(c.s.md.TokenEndpoint, replica), c.client, c.tokens.RefreshToken)
				if err == nil {
					c.tokens = ta
				}
				return err
			})
			if err != nil {
				c.s.stats.lostGrant()
				return false
			}
			refreshes++
			nextRefresh = nextRefresh.Add(c.s.refreshEvery)
		}
		op, args := opGetMe, map[string]any(nil)
		if n%2 == 1 {
			op, args = opListIssues, map[string]any{"owner": "mona", "repo": "hello-world", "perPage": 5}
		}
		endpoint := c.mcpURL(n)
		err := c.timed(op, func(ctx context.Context) error {
			res, err := loadclient.CallTool(ctx, c.s.hc, endpoint, c.tokens.AccessToken, op, args)
			if err != nil {
				return err
			}
			return c.check(op, res)
		})
		if errors.Is(err, loadclient.ErrUnauthorized) {
			c.s.stats.lostGrant()
			return false
		}
	}
	return true
}

// check verifies a tool result: no tool error, and get_me answers for this
// client's own user (a mix-up between grants would show here first).
func (c *loadClient) check(op string, res loadclient.ToolResult) error {
	if res.IsError {
		c.s.stats.toolError()
		return &toolFailure{kind: "tool error", detail: res.Text()}
	}
	if op != opGetMe || c.login == "" {
		return nil
	}
	var me struct {
		Login string `json:"login"`
	}
	if err := json.Unmarshal(res.StructuredContent, &me); err != nil || me.Login != c.login {
		c.s.stats.wrongUserAnswer()
		return &toolFailure{kind: "wrong user", detail: fmt.Sprintf("get_me answered %q, want %q", me.Login, c.login)}
	}
	return nil
}
