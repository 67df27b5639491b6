package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream/allow"
	"github.com/mcpgate/mcpgate/upstream/github"
)

// errCheckFailed is `mcpgate check`'s error when a check failed; the
// problems themselves are already printed.
var errCheckFailed = errors.New("check failed")

// checkCommand runs `mcpgate check`: it loads and validates the
// configuration as serve would, then reaches every dependency within
// -timeout each: the store (PING), and every identity provider (an OpenID
// Connect issuer's discovery document with its issuer check, GitHub's API
// and its token endpoint, which tells whether the client ID and secret are
// right). It prints what would be served and returns an error, hence a
// non-zero exit status, on any problem.
func checkCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	configPath := fs.String("config", "", "YAML configuration `file`, as given to serve")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each network check")
	setUsage(fs, stderr, "mcpgate check [-config FILE] [-timeout 10s]")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("check takes no arguments, got %q", pos)}
	}
	if *timeout <= 0 {
		return usageError{"check: -timeout must be positive, such as 10s"}
	}
	if err := config.LoadDotEnv(".env"); err != nil {
		return err
	}
	cfg, err := config.Load(*configPath, os.Getenv)
	if err != nil {
		fmt.Fprintf(stdout, "FAIL  configuration: %v\n", err)
		return errCheckFailed
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stdout, "FAIL  configuration: %v\n", err)
		return errCheckFailed
	}
	c := &checker{cfg: cfg, out: stdout, timeout: *timeout, client: &http.Client{Timeout: *timeout}}
	return c.run(ctx)
}

// checker runs the checks of one configuration and prints their results.
type checker struct {
	cfg      *config.Config
	out      io.Writer
	timeout  time.Duration
	client   *http.Client
	problems int
}

func (c *checker) ok(format string, args ...any) {
	fmt.Fprintf(c.out, "ok    "+format+"\n", args...)
}

func (c *checker) warn(format string, args ...any) {
	fmt.Fprintf(c.out, "warn  "+format+"\n", args...)
}

func (c *checker) fail(format string, args ...any) {
	c.problems++
	fmt.Fprintf(c.out, "FAIL  "+format+"\n", args...)
}

func (c *checker) run(ctx context.Context) error {
	cfg := c.cfg
	c.ok("configuration is valid")
	fmt.Fprintf(c.out, "      listen address  %s\n", cfg.Addr)
	fmt.Fprintf(c.out, "      public URL      %s\n", cfg.PublicURL)
	fmt.Fprintf(c.out, "      MCP URL         %s (legacy SSE: %s/sse)\n", cfg.ResourceURL(), cfg.PublicURL)
	if w := portMismatch(cfg); w != "" {
		c.warn("%s", w)
	}
	c.checkTLS()
	c.checkStore(ctx)
	gitHubNames := c.checkProviders(ctx)
	c.describeTools(gitHubNames)
	if c.problems > 0 {
		fmt.Fprintf(c.out, "%d problem(s) found\n", c.problems)
		return errCheckFailed
	}
	fmt.Fprintln(c.out, "all checks passed")
	return nil
}

// certExpiryWarning is how close to its expiry a certificate gets a
// warning: renewals normally happen 30 days ahead.
const certExpiryWarning = 14 * 24 * time.Hour

// checkTLS describes direct TLS (Validate has loaded the pair already).
func (c *checker) checkTLS() {
	t := c.cfg.TLS
	if !t.Enabled() {
		fmt.Fprintf(c.out, "      TLS             none here (terminated by a proxy in front)\n")
		return
	}
	pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		c.fail("TLS: %v", err)
		return
	}
	leaf := pair.Leaf
	left := time.Until(leaf.NotAfter)
	var names []string
	names = append(names, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	switch {
	case left <= 0:
		c.fail("TLS: the certificate %s expired at %s", t.CertFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	case left < certExpiryWarning:
		c.warn("TLS: the certificate for %s expires at %s: renew it (mcpgate picks up the new files by itself)", strings.Join(names, ", "), leaf.NotAfter.UTC().Format(time.RFC3339))
	default:
		c.ok("TLS: HTTPS on %s with the certificate for %s, valid until %s", c.cfg.Addr, strings.Join(names, ", "), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if err := leaf.VerifyHostname(c.publicHost()); err != nil {
		c.warn("TLS: the certificate does not name the public URL's host %s: %v", c.publicHost(), err)
	}
}

// publicHost is the host name of the public URL.
func (c *checker) publicHost() string {
	u, err := url.Parse(c.cfg.PublicURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// checkStore pings Redis; the in-memory store needs nothing.
func (c *checker) checkStore(ctx context.Context) {
	cfg := c.cfg
	if !cfg.UsesRedis() {
		c.warn("store: in-memory (registrations and tokens are lost on restart and not shared between replicas; set MCPGATE_REDIS_URL for production)")
		return
	}
	client, err := cfg.RedisClient()
	if err != nil {
		c.fail("store: %s: %v", cfg.StoreKind(), err)
		return
	}
	// The store seals and MACs its records under the server's keys, so it
	// opens only with them, as serve opens it.
	keys, err := newKeyring(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		c.fail("store: %s: %v", cfg.StoreKind(), err)
		return
	}
	store := tokensredis.New(client, tokensredis.Options{Keys: keys})
	defer store.Close()
	pctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := store.Ping(pctx); err != nil {
		c.fail("store: %s at %s does not answer PING: %v", cfg.StoreKind(), cfg.StoreTarget(), err)
		return
	}
	c.ok("store: %s at %s answers PING", cfg.StoreKind(), cfg.StoreTarget())
}

// checkProviders builds every identity provider as serve does (which reads
// an OpenID Connect issuer's discovery document and checks its issuer),
// probes GitHub providers, and prints each one's callback URL. It returns
// the names of the GitHub providers.
func (c *checker) checkProviders(ctx context.Context) []string {
	cfg := c.cfg
	policy, err := allow.New(cfg.Allow.Rules())
	if err != nil {
		c.fail("allowlist: %v", err)
		return nil
	}
	var gitHubNames []string
	opts := appOptions{HTTPClient: c.client}
	for _, pc := range cfg.IdentityProviders() {
		pctx, cancel := context.WithTimeout(ctx, c.timeout)
		p, err := buildProvider(pctx, cfg, pc, policy, opts, time.Now, nil)
		cancel()
		callback := cfg.CallbackURL(pc.Name)
		if err != nil {
			c.fail("provider %s: %v", pc.Name, err)
			fmt.Fprintf(c.out, "      callback URL to register: %s\n", callback)
			continue
		}
		gp, isGitHub := p.(*github.Provider)
		switch {
		case isGitHub:
			gitHubNames = append(gitHubNames, pc.Name)
			c.checkGitHub(ctx, pc, gp)
		default:
			c.ok("provider %s (%s): discovery document of %s read, issuer checked", pc.Name, p.DisplayName(), pc.IssuerURL)
		}
		fmt.Fprintf(c.out, "      callback URL to register: %s\n", callback)
	}
	return gitHubNames
}

// checkGitHub reaches GitHub's REST API (the root of api.github.com, or
// /meta on GitHub Enterprise Server, whose root may need a token) and
// its OAuth token endpoint with a code that cannot be valid: GitHub answers
// incorrect_client_credentials when the client ID or secret is wrong and
// bad_verification_code when they are right.
func (c *checker) checkGitHub(ctx context.Context, pc config.ProviderConfig, p *github.Provider) {
	web := strings.TrimSuffix(pc.BaseURL, "/")
	api := p.APIBaseURL()
	if web != "https://github.com" {
		api += "meta"
	}
	status, err := c.get(ctx, api)
	switch {
	case err != nil:
		c.fail("provider %s (%s): API %s: %v", pc.Name, p.DisplayName(), api, err)
		return
	case status != http.StatusOK:
		c.fail("provider %s (%s): API %s answered %d %s, want 200", pc.Name, p.DisplayName(), api, status, http.StatusText(status))
		return
	}
	code, err := c.probeToken(ctx, web+"/login/oauth/access_token", pc)
	switch {
	case err != nil:
		c.fail("provider %s (%s): token endpoint: %v", pc.Name, p.DisplayName(), err)
	case code == "incorrect_client_credentials":
		c.fail("provider %s (%s): GitHub refuses the client ID and secret (incorrect_client_credentials): copy them again from the OAuth App's page at %s/settings/developers", pc.Name, p.DisplayName(), web)
	case code == "bad_verification_code":
		c.ok("provider %s (%s): API %s answers; GitHub accepts the client ID and secret", pc.Name, p.DisplayName(), api)
	default:
		c.fail("provider %s (%s): the token endpoint answered %q to a test exchange, want bad_verification_code", pc.Name, p.DisplayName(), code)
	}
}

// get returns the status of a GET of u.
func (c *checker) get(ctx context.Context, u string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// probeToken exchanges a random code at GitHub's token endpoint and returns
// the error code of the answer.
func (c *checker) probeToken(ctx context.Context, tokenURL string, pc config.ProviderConfig) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	form := url.Values{
		"client_id":     {pc.ClientID},
		"client_secret": {pc.ClientSecret.Reveal()},
		"code":          {"mcpgate-check-" + rand.Text()},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return "", err // names the URL; the credentials are in the body, not in it
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", fmt.Errorf("POST %s: status %d, not GitHub's JSON answer", tokenURL, resp.StatusCode)
	}
	return body.Error, nil
}

// describeTools lists what is served: at /mcp the backend in gateway mode,
// else the built-in tools the tools configuration selects (tools.Selected,
// the list serve registers); then each named backend at /mcp/{name}.
func (c *checker) describeTools(gitHubNames []string) {
	if b, ok := c.cfg.GatewayBackend(); ok {
		c.ok("gateway: %s forwards to %s (the built-in tools are not served)", c.cfg.ResourceURL(), config.RedactURL(b.URL))
	} else if names := tools.Selected(c.cfg.Tools.Options()); len(gitHubNames) == 0 {
		c.warn("tools: no GitHub provider is configured, so sign-ins get only whoami (the %d GitHub tools need a GitHub sign-in)", len(names))
	} else {
		c.ok("tools: %d built-in at %s for sign-ins with %s: %s", len(names), c.cfg.ResourceURL(),
			strings.Join(gitHubNames, ", "), strings.Join(names, ", "))
		for _, g := range c.cfg.Tools.Groups {
			group := tools.Selected(g.Options(c.cfg.Tools.MaxResultChars))
			c.ok("tool group %s (%s): %d tools: %s", g.Name, g.Who(), len(group), strings.Join(group, ", "))
		}
	}
	for _, b := range c.cfg.NamedBackends() {
		c.ok("backend %s: %s/mcp/%s forwards to %s", b.Name, c.cfg.PublicURL, b.Name, config.RedactURL(b.URL))
	}
}

// portMismatch warns when a loopback deployment's listen port differs from
// its public URL's port: a person following the public URL on this machine
// reaches nothing (or another program). Behind a local reverse proxy the
// difference is intended, which is why this is a warning.
func portMismatch(cfg *config.Config) string {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || !isLoopback(u.Hostname()) {
		return ""
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || (host != "" && !isLoopback(host) && host != "0.0.0.0" && host != "::") {
		return ""
	}
	public := u.Port()
	if public == "" {
		public = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port == public || port == "0" {
		return ""
	}
	return fmt.Sprintf("MCPGATE_ADDR %s listens on port %s but MCPGATE_PUBLIC_URL %s is port %s: clients on this machine will not reach mcpgate unless a proxy forwards %s to %s (set MCPGATE_PUBLIC_URL=%s://%s otherwise)",
		cfg.Addr, port, cfg.PublicURL, public, public, port, u.Scheme, net.JoinHostPort(u.Hostname(), port))
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
