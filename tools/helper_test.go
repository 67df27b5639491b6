package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// testEnv is one fake GitHub and one MCP client session connected to a
// server with every tool registered. The tools act as login (default
// "mona") through a token the fake issued.
type testEnv struct {
	fake *fakegithub.Fake
	cs   *mcp.ClientSession
	// reset is the rate-limit reset time used by rateLimited; the tools'
	// clock is fixed 12 minutes before it.
	reset time.Time

	token     string
	clientErr error
}

// newTestEnv starts a fake GitHub (REST at the root, as api.github.com) and
// an MCP session over in-memory transports.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvWith(t, fakegithub.Options{ClientID: "id", ClientSecret: "secret"})
}

func newTestEnvWith(t *testing.T, opts fakegithub.Options) *testEnv {
	t.Helper()
	fake := fakegithubtest.NewServer(t, opts)
	e := &testEnv{
		fake:  fake,
		reset: time.Now().Add(time.Hour).Truncate(time.Minute).UTC(),
	}
	e.token = fake.IssueToken("mona")
	if e.token == "" {
		t.Fatal("fake did not issue a token for mona")
	}
	enterprise := opts.Enterprise
	e.cs = connect(t, tools.Deps{
		GitHub: func(context.Context, *mcp.CallToolRequest) (*github.Client, error) {
			if e.clientErr != nil {
				return nil, e.clientErr
			}
			return newGitHubClient(fake, e.token, enterprise)
		},
		Now: func() time.Time { return e.reset.Add(-12 * time.Minute) },
	})
	return e
}

// newGitHubClient builds a go-github client for the fake, the way the
// server builds one per request.
func newGitHubClient(fake *fakegithub.Fake, token string, enterprise bool) (*github.Client, error) {
	if enterprise {
		return github.NewClient(github.WithAuthToken(token), github.WithEnterpriseURLs(fake.URL+"/", fake.URL+"/"))
	}
	base := fake.APIBaseURL()
	return github.NewClient(github.WithAuthToken(token), github.WithURLs(&base, &base))
}

// connect registers the tools on a new server and returns a connected
// client session; both end with the test.
func connect(t *testing.T, d tools.Deps) *mcp.ClientSession {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-test", Version: "test"}, nil)
	if d.Whoami == nil {
		d.Whoami = func(context.Context, *mcp.CallToolRequest) (tools.Identity, error) {
			return tools.Identity{}, errors.New("whoami is not part of this test")
		}
	}
	tools.Register(srv, d)
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatalf("server connect: %v", err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "test"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatalf("client connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// call runs a tool; a protocol error fails the test (tool errors are
// results with IsError).
func (e *testEnv) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	res, err := e.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error: %v", name, err)
	}
	return res
}

// asHubot, rateLimited, revoked, clientRevoked and clientFails set up the
// situations shared by the table tests.
func asHubot(t *testing.T, e *testEnv) {
	t.Helper()
	e.token = e.fake.IssueToken("hubot")
}

func rateLimited(t *testing.T, e *testEnv) {
	t.Helper()
	e.fake.SetRateLimited(e.reset)
}

func revoked(t *testing.T, e *testEnv) {
	t.Helper()
	e.fake.RevokeAll("mona")
}

func clientRevoked(t *testing.T, e *testEnv) {
	t.Helper()
	e.clientErr = fmt.Errorf("refreshing grant g-1: %w", upstream.ErrRevoked)
}

func clientFails(t *testing.T, e *testEnv) {
	t.Helper()
	e.clientErr = errors.New("token store unavailable")
}

// toolCase is one row of a tool's table test: the arguments, an optional
// setup, and either an expected error substring or a check of the output.
type toolCase struct {
	name    string
	args    map[string]any
	setup   func(*testing.T, *testEnv)
	wantErr string
	// wantErrFor, when set, gives the expected error substring from the
	// environment (for messages that name its reset time).
	wantErrFor func(*testEnv) string
	check      func(*testing.T, *testEnv, *mcp.CallToolResult)
}

// runCases runs each case against a fresh environment.
func runCases(t *testing.T, tool string, cases []toolCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			res := e.call(t, tool, tc.args)
			want := tc.wantErr
			if tc.wantErrFor != nil {
				want = tc.wantErrFor(e)
			}
			if want != "" {
				got := errorText(t, res)
				if !strings.Contains(got, want) {
					t.Errorf("error = %q, want it to contain %q", got, want)
				}
				if strings.Contains(got, e.token) {
					t.Errorf("error text contains the GitHub token")
				}
				return
			}
			if res.IsError {
				t.Fatalf("unexpected tool error: %s", text(res))
			}
			if tc.check != nil {
				tc.check(t, e, res)
			}
		})
	}
}

// commonCases are the failure rows every tool shares: a missing required
// argument, GitHub's primary rate limit, a token GitHub revoked, and the
// two kinds of ClientFunc failure. valid are arguments that would succeed;
// required is an argument to leave out.
func commonCases(valid map[string]any, required string) []toolCase {
	cases := []toolCase{
		{name: "rate limited", args: valid, setup: rateLimited, wantErrFor: rateLimitWant},
		{name: "token revoked on GitHub", args: valid, setup: revoked, wantErr: "GitHub no longer accepts mcpgate's access for your account; reconnect (sign in again) to continue"},
		{name: "grant revoked upstream", args: valid, setup: clientRevoked, wantErr: "GitHub no longer accepts mcpgate's access for your account; reconnect (sign in again) to continue"},
		{name: "client unavailable", args: valid, setup: clientFails, wantErr: "could not reach GitHub for your account: token store unavailable"},
	}
	if required != "" {
		cases = append(cases, toolCase{name: "missing " + required, args: without(valid, required), wantErr: fmt.Sprintf("missing properties: [%q]", required)})
	}
	return cases
}

// without returns a copy of args without key.
func without(args map[string]any, key string) map[string]any {
	out := make(map[string]any, len(args))
	for k, v := range args {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// with returns a copy of args with extra keys set.
func with(args map[string]any, kv ...any) map[string]any {
	out := without(args, "")
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// text joins the text content of a result.
func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// errorText asserts that res is a tool error and returns its text.
func errorText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if !res.IsError {
		t.Fatalf("want a tool error, got success: %s", text(res))
	}
	return text(res)
}

// output decodes the structured content of a successful result.
func output[T any](t *testing.T, res *mcp.CallToolResult) T {
	t.Helper()
	var out T
	if res.IsError {
		t.Fatalf("unexpected tool error: %s", text(res))
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatalf("marshal structured content: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode structured content %s: %v", raw, err)
	}
	return out
}

// rateLimitWant is the exact rate-limit message for e.
func rateLimitWant(e *testEnv) string {
	return fmt.Sprintf("GitHub rate limit reached; it resets at %s UTC (in 12m).", e.reset.Format("15:04"))
}

// bodyText is the text block that follows the JSON header of a tool that
// sends large text once (files, diffs, logs).
func bodyText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if res.IsError {
		t.Fatalf("unexpected tool error: %s", text(res))
	}
	var texts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			texts = append(texts, tc.Text)
		}
	}
	if len(texts) < 2 {
		t.Fatalf("result has %d text blocks, want a JSON header and the text", len(texts))
	}
	return strings.Join(texts[1:], "")
}

// hasResourceLink reports whether res links uri.
func hasResourceLink(res *mcp.CallToolResult, uri string) bool {
	for _, c := range res.Content {
		if l, ok := c.(*mcp.ResourceLink); ok && l.URI == uri {
			return true
		}
	}
	return false
}
