package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/internal/testlog"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

// testClock is a clock the test moves by hand, shared by the gateways (and
// the fake GitHub) whose expiry decisions it drives: its Now is handed to
// appOptions.Now and fakegithub.Options.Now.
type testClock = testclock.Clock

func newTestClock() *testClock { return testclock.New(time.Now()) }

// testGateway is a whole mcpgate (the same newApp that `mcpgate serve` runs)
// on a loopback port, on a real Redis (or the in-memory store when no Redis
// URL is given), with a fake GitHub Enterprise Server.
type testGateway struct {
	// URL is where this gateway listens; PublicURL is its configured
	// public origin (the same for replicas behind one load balancer).
	URL       string
	PublicURL string
	cfg       *config.Config
	app       *app
	logs      *testlog.Buffer
	// audit is the audit log; metricsURL the /metrics of this process.
	audit      *testlog.Buffer
	metricsURL string
	fake       *fakegithub.Fake
	secret     string
	stop       func()
}

type gatewayOptions struct {
	redisURL string // empty: the in-memory store
	secret   string // hex; random when empty
	// previousSecrets are retired secrets (MCPGATE_PREVIOUS_SECRETS).
	previousSecrets []string
	fake            *fakegithub.Fake
	// listener to serve on; a fresh loopback port when nil.
	listener net.Listener
	// publicURL is MCPGATE_PUBLIC_URL; the listener's own URL when empty.
	publicURL string
	// now is the clock (appOptions.Now); time.Now when nil.
	now func() time.Time
	// logLevel is the log level; "debug" when empty.
	logLevel string
	// configure, when set, changes the configuration before it is
	// validated (more providers, allowlists).
	configure func(cfg *config.Config)
	// wrapStore wraps the store (appOptions.wrapStore).
	wrapStore func(tokens.Store) tokens.Store
	// httpClient makes the upstream calls (appOptions.HTTPClient); the
	// providers' own default when nil.
	httpClient *http.Client
}

// randomSecret returns a fresh 32-byte server secret, hex encoded.
func randomSecret(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func startGateway(tb testing.TB, o gatewayOptions) *testGateway {
	tb.Helper()
	ln := o.listener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
	}
	listenURL := "http://" + ln.Addr().String()
	publicURL := o.publicURL
	if publicURL == "" {
		publicURL = listenURL
	}
	if o.secret == "" {
		o.secret = randomSecret(tb)
	}
	if o.logLevel == "" {
		o.logLevel = "debug"
	}
	cfg := config.Default()
	cfg.Addr = ln.Addr().String()
	cfg.PublicURL = publicURL
	cfg.Redis.URL = config.NewSecret(o.redisURL)
	cfg.Secret = config.NewSecret(o.secret)
	for _, s := range o.previousSecrets {
		cfg.PreviousSecrets = append(cfg.PreviousSecrets, config.NewSecret(s))
	}
	cfg.GitHub.ClientID = o.fake.ClientID()
	cfg.GitHub.ClientSecret = config.NewSecret(o.fake.ClientSecret())
	cfg.GitHub.BaseURL = o.fake.URL
	cfg.Observe.MetricsAddr = "127.0.0.1:0"
	if o.configure != nil {
		o.configure(cfg)
	}
	if err := cfg.Validate(); err != nil {
		ln.Close()
		tb.Fatal(err)
	}
	logs := &testlog.Buffer{}
	logger, err := newLogger(logs, o.logLevel, "json")
	if err != nil {
		ln.Close()
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	audit := &testlog.Buffer{}
	tel, err := newTelemetry(ctx, cfg, logger, audit, audit)
	if err != nil {
		cancel()
		ln.Close()
		tb.Fatal(err)
	}
	logger = tel.logger(logger)
	a, err := newApp(ctx, cfg, appOptions{Logger: logger, Now: o.now, Observer: tel.obs, wrapStore: o.wrapStore, HTTPClient: o.httpClient})
	if err != nil {
		cancel()
		ln.Close()
		tel.Close(ctx)
		tb.Fatal(err)
	}
	metricsAddr, err := tel.serveMetrics(cfg.Observe.MetricsAddr, logger)
	if err != nil {
		cancel()
		ln.Close()
		tel.Close(ctx)
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, ln, a.handler, logger) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("serve: %v", err)
			}
			a.Close()
			tel.Close(context.Background())
		})
	}
	tb.Cleanup(stop)
	return &testGateway{URL: listenURL, PublicURL: publicURL, cfg: cfg, app: a, logs: logs, audit: audit,
		metricsURL: "http://" + metricsAddr + "/metrics", fake: o.fake, secret: o.secret, stop: stop}
}

// restartGateway stops gw and starts a new process on the same address
// with the options o (whose listener is replaced), as an operator restarting
// mcpgate with a new configuration would.
func restartGateway(tb testing.TB, gw *testGateway, o gatewayOptions) *testGateway {
	tb.Helper()
	gw.stop()
	ln, err := net.Listen("tcp", strings.TrimPrefix(gw.URL, "http://"))
	if err != nil {
		tb.Fatalf("re-listen on %s: %v", gw.URL, err)
	}
	o.listener = ln
	return startGateway(tb, o)
}

// bearerTransport adds a fixed access token to every request.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func connectWithToken(ctx context.Context, tb testing.TB, endpoint, token string) (*mcp.ClientSession, error) {
	tb.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-static", Version: "1"}, nil)
	return client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   endpoint,
		HTTPClient: &http.Client{Transport: bearerTransport{token}},
	}, nil)
}

func callText(tb testing.TB, res *mcp.CallToolResult) string {
	tb.Helper()
	if res == nil {
		return ""
	}
	var sb strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			sb.WriteString(tc.Text)
		}
	}
	return sb.String()
}

// callTool connects to endpoint with token and calls one tool, as a
// stateless client does (initialize, then tools/call).
func callTool(ctx context.Context, tb testing.TB, endpoint, token, tool string, args map[string]any) (*mcp.CallToolResult, error) {
	tb.Helper()
	s, err := connectWithToken(ctx, tb, endpoint, token)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
}

// tokenResponse is RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
}

// httpAnswer is a response read in full.
type httpAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

// jsonError decodes an OAuth or bearer JSON error body ("" if it is not one).
func (a httpAnswer) jsonError() string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(a.Body, &e) != nil {
		return ""
	}
	return e.Error
}

// do sends req and reads the whole answer.
func do(tb testing.TB, client *http.Client, req *http.Request) httpAnswer {
	tb.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading the body: %v", req.Method, req.URL.Path, err)
	}
	return httpAnswer{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// postFormCtx posts a form and decodes a token endpoint answer.
func postFormCtx(ctx context.Context, tb testing.TB, u string, v url.Values) (httpAnswer, tokenResponse) {
	tb.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	a := do(tb, nil, req)
	var tr tokenResponse
	if err := json.Unmarshal(a.Body, &tr); err != nil {
		tb.Fatalf("POST %s: %d, body is not JSON: %v", u, a.Status, err)
	}
	return a, tr
}

// mcpProbe posts a tools/list to endpoint with token and returns the raw
// answer, for assertions on the HTTP status and challenge.
func mcpProbe(ctx context.Context, tb testing.TB, endpoint, token string) httpAnswer {
	tb.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint,
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	return do(tb, nil, req)
}

// wantChallenge fails unless a is a 401 with the RFC 9728 challenge.
func wantChallenge(tb testing.TB, what string, a httpAnswer) {
	tb.Helper()
	if a.Status != http.StatusUnauthorized || !strings.Contains(a.Header.Get("WWW-Authenticate"), "resource_metadata=") {
		tb.Errorf("%s: %d %q, want 401 with a resource_metadata challenge", what, a.Status, a.Header.Get("WWW-Authenticate"))
	}
}

// testClient is an MCP client registered at a gateway (RFC 7591) together
// with the browser its user signs in with.
type testClient struct {
	ID          string
	Secret      string // empty for a public client
	RedirectURI string
	browser     *browser
}

// registerClient registers a client at base: public ("none") unless
// authMethod names a secret-based method.
func registerClient(ctx context.Context, tb testing.TB, base, authMethod string) *testClient {
	tb.Helper()
	if authMethod == "" {
		authMethod = "none"
	}
	const redirectURI = "http://127.0.0.1:53682/callback"
	body, _ := json.Marshal(map[string]any{
		"client_name":                "hardening test client",
		"redirect_uris":              []string{redirectURI},
		"token_endpoint_auth_method": authMethod,
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/register", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	a := do(tb, nil, req)
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if a.Status != http.StatusCreated || json.Unmarshal(a.Body, &reg) != nil || reg.ClientID == "" {
		tb.Fatalf("register at %s: %d %s", base, a.Status, a.Body)
	}
	return &testClient{ID: reg.ClientID, Secret: reg.ClientSecret, RedirectURI: redirectURI, browser: newBrowser(tb, redirectURI)}
}

// pkce returns a fresh code verifier and its S256 challenge (RFC 7636).
func pkce(tb testing.TB) (verifier, challenge string) {
	tb.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeURL is the authorization request of c at the gateway's public
// origin (where the browser must go: the callback and its cookies live there).
func (c *testClient) authorizeURL(publicURL, challenge, state string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {c.ID},
		"redirect_uri":          {c.RedirectURI},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
		"state":                 {state},
		"resource":              {publicURL + "/mcp"},
	}
	return publicURL + "/authorize?" + q.Encode()
}

// signIn runs the browser leg (consent when asked, the fake GitHub's
// sign-in) at publicURL and redeems the code at tokenBase.
func (c *testClient) signIn(ctx context.Context, tb testing.TB, publicURL, tokenBase string) tokenResponse {
	tb.Helper()
	verifier, challenge := pkce(tb)
	state := randomSecret(tb)[:16]
	res, err := c.browser.fetch(ctx, &auth.AuthorizationArgs{URL: c.authorizeURL(publicURL, challenge, state)})
	if err != nil {
		tb.Fatalf("sign-in: %v", err)
	}
	if res.State != state || res.Code == "" {
		tb.Fatalf("sign-in: state %q code present %v", res.State, res.Code != "")
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {res.Code},
		"redirect_uri":  {c.RedirectURI},
		"client_id":     {c.ID},
		"code_verifier": {verifier},
		"resource":      {publicURL + "/mcp"},
	}
	if c.Secret != "" {
		form.Set("client_secret", c.Secret)
	}
	a, tr := postFormCtx(ctx, tb, tokenBase+"/token", form)
	if a.Status != http.StatusOK || tr.AccessToken == "" || tr.RefreshToken == "" {
		tb.Fatalf("code exchange at %s: %d %s", tokenBase, a.Status, a.Body)
	}
	return tr
}

// refresh redeems rt at base with c's credentials.
func (c *testClient) refresh(ctx context.Context, tb testing.TB, base, rt string) (httpAnswer, tokenResponse) {
	tb.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {c.ID}}
	if c.Secret != "" {
		form.Set("client_secret", c.Secret)
	}
	return postFormCtx(ctx, tb, base+"/token", form)
}

// countLogMessages counts the JSON log records whose msg is exactly msg.
func countLogMessages(logs, msg string) int {
	needle, _ := json.Marshal(msg)
	return strings.Count(logs, `"msg":`+string(needle))
}
