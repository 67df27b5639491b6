package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/internal/testlog"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// mode is how a test runs mcpgate.
type mode string

const (
	// modeDemo runs `mcpgate demo`: the in-memory store and the built-in
	// demo GitHub, configured by the command itself.
	modeDemo mode = "demo"
	// modeServe runs `mcpgate serve`, the production command, configured
	// through the environment as an operator would: a private
	// redis-server (MCPGATE_REDIS_URL), a random server secret, and a fake
	// GitHub Enterprise Server served by the test process that issues
	// GitHub App user tokens (they expire and their refresh tokens rotate).
	modeServe mode = "serve"
)

// modes are the ways every client test runs mcpgate, one subtest each.
var modes = []mode{modeDemo, modeServe}

// gateway is a running mcpgate under test.
type gateway struct {
	// URL is the public origin, e.g. "http://localhost:41234"; the MCP
	// endpoint is URL + "/mcp".
	URL string
	// Mode is how it runs.
	Mode mode
	// Fake is the fake GitHub Enterprise Server of a serve-mode gateway
	// (nil for the demo, whose GitHub is inside the binary).
	Fake *fakegithub.Fake

	out     string
	port    int
	secrets []string // values its log must never hold
	// credentials are fingerprints (see oauth-client.mjs) of the codes and
	// tokens clients received, which its log must never hold either.
	credentials map[string]bool
	command     func() *exec.Cmd // a fresh command for Restart (serve only)
	runs        []*child         // every process, the running one last
}

// errPortTaken reports that mcpgate could not bind the port it was given.
var errPortTaken = errors.New("port taken")

// startGateway starts mcpgate in mode m with the settings every client
// test uses.
func startGateway(t *testing.T, tc toolchain, out string, m mode) *gateway {
	t.Helper()
	switch m {
	case modeDemo:
		return startDemo(t, tc, out)
	case modeServe:
		return startServe(t, tc, out, nil)
	}
	t.Fatalf("unknown mode %q", m)
	return nil
}

// startDemo starts `mcpgate demo -addr 127.0.0.1:<free port>` and waits for
// its banner. Cleanup stops it with an interrupt; see gateway.watch for its
// log.
func startDemo(t *testing.T, tc toolchain, out string) *gateway {
	t.Helper()
	const attempts = 3
	for i := 1; ; i++ {
		gw, err := tryStartDemo(t, tc, out)
		if err == nil {
			return gw
		}
		if i == attempts || !errors.Is(err, errPortTaken) {
			t.Fatalf("mcpgate demo: %v", err)
		}
	}
}

func tryStartDemo(t *testing.T, tc toolchain, out string) (*gateway, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(tc.binary, "demo", "-addr", fmt.Sprintf("127.0.0.1:%d", port))
	cmd.Dir = out
	banner := &lineWatcher{prefix: "MCP server URL:", found: make(chan string, 1)}
	cmd.Stdout = banner
	c, err := startChild(cmd)
	if err != nil {
		return nil, err
	}
	select {
	case mcpURL := <-banner.found:
		origin, ok := strings.CutSuffix(mcpURL, "/mcp")
		if !ok || !strings.HasPrefix(origin, "http://") {
			c.stop()
			return nil, fmt.Errorf("unexpected MCP server URL in the banner: %q", mcpURL)
		}
		gw := &gateway{URL: origin, Mode: modeDemo, out: out, port: port, runs: []*child{c}}
		gw.watch(t)
		return gw, nil
	case <-c.done:
		return nil, exitError(c)
	case <-time.After(startTimeout):
		c.stop()
		return nil, fmt.Errorf("no banner within %v:\n%s", startTimeout, c.stderr.String())
	}
}

// serveOptions are the settings of one `mcpgate serve` beyond the common
// ones (see startServe).
type serveOptions struct {
	// Config is a YAML configuration file, written to <out>/mcpgate.yaml
	// and passed with -config. Empty: no file.
	Config string
	// Env holds NAME=value settings added after the common ones (a later
	// setting of the same name wins).
	Env []string
	// Secrets are values that must never appear in mcpgate's log, besides
	// the common ones (server secret, GitHub client secret).
	Secrets []string
}

// startServe starts `mcpgate serve` the way an operator runs it, configured
// through the environment: MCPGATE_ADDR=127.0.0.1:<port>,
// MCPGATE_PUBLIC_URL=http://localhost:<port>, MCPGATE_REDIS_URL of a
// private redis-server, MCPGATE_SECRET (32 random bytes, hex), and
// GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and GITHUB_BASE_URL of a fake
// GitHub Enterprise Server (GitHub App tokens) served by this test process.
// No variable of the test's own environment that mcpgate reads is passed
// on, and it runs in out, where there is no .env.
//
// configure, when not nil, returns further settings for the port mcpgate
// will listen on (an identity provider needs the callback URL before
// mcpgate starts); it is called again if that port turns out to be taken.
// startServe waits until /readyz answers 200 (the store answers too).
// Cleanup stops the server with an interrupt, then Redis and the fake.
func startServe(t *testing.T, tc toolchain, out string, configure func(t *testing.T, port int) serveOptions) *gateway {
	t.Helper()
	redis := redistest.Start(t)
	clientID := "Iv1." + randomHex(t, 8)
	clientSecret := randomHex(t, 20)
	fake := fakegithubtest.NewServer(t, fakegithub.Options{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Enterprise:   true,
		AppTokens:    true,
		AppName:      "mcpgate e2e (serve)",
	})
	secret := randomHex(t, 32)
	const attempts = 3
	for i := 1; ; i++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		var opts serveOptions
		if configure != nil {
			opts = configure(t, port)
		}
		publicURL := fmt.Sprintf("http://localhost:%d", port)
		env := append(childEnv(),
			fmt.Sprintf("MCPGATE_ADDR=127.0.0.1:%d", port),
			"MCPGATE_PUBLIC_URL="+publicURL,
			"MCPGATE_REDIS_URL="+redis.URL,
			"MCPGATE_SECRET="+secret,
			"MCPGATE_LOG_LEVEL=debug",
			"GITHUB_CLIENT_ID="+clientID,
			"GITHUB_CLIENT_SECRET="+clientSecret,
			"GITHUB_BASE_URL="+fake.URL,
		)
		env = append(env, opts.Env...)
		args := []string{"serve"}
		if opts.Config != "" {
			path := filepath.Join(out, "mcpgate.yaml")
			if err := os.WriteFile(path, []byte(opts.Config), 0o600); err != nil {
				t.Fatal(err)
			}
			args = append(args, "-config", path)
		}
		gw := &gateway{
			URL:     publicURL,
			Mode:    modeServe,
			Fake:    fake,
			out:     out,
			port:    port,
			secrets: append([]string{secret, clientSecret}, opts.Secrets...),
			command: func() *exec.Cmd {
				cmd := exec.Command(tc.binary, args...)
				cmd.Dir = out
				cmd.Env = env
				return cmd
			},
		}
		c, err := gw.startServeProcess(t)
		if err == nil {
			gw.runs = append(gw.runs, c)
			gw.watch(t)
			return gw
		}
		if i == attempts || !errors.Is(err, errPortTaken) {
			t.Fatalf("mcpgate serve: %v", err)
		}
	}
}

// startServeProcess starts a serve process from gw.command and waits until
// GET /readyz answers 200.
func (gw *gateway) startServeProcess(t *testing.T) (*child, error) {
	t.Helper()
	c, err := startChild(gw.command())
	if err != nil {
		return nil, err
	}
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", gw.port)
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	for {
		if err := probe(ctx, ready); err == nil {
			return c, nil
		}
		select {
		case <-c.done:
			return nil, exitError(c)
		case <-ctx.Done():
			c.stop()
			return nil, fmt.Errorf("GET /readyz did not answer 200 within %v:\n%s", startTimeout, c.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Restart stops a serve-mode mcpgate gracefully and starts it again with
// the same configuration, port, Redis and server secret, as an operator's
// deployment does; it returns when the new process is ready. Everything a
// client holds must still work afterwards: it lives in Redis.
func (gw *gateway) Restart(t *testing.T) {
	t.Helper()
	if gw.command == nil {
		t.Fatalf("Restart: only a serve-mode mcpgate can be restarted (this one runs %s)", gw.Mode)
	}
	gw.runs[len(gw.runs)-1].stop()
	c, err := gw.startServeProcess(t)
	if err != nil {
		t.Fatalf("mcpgate serve, restarted: %v", err)
	}
	gw.runs = append(gw.runs, c)
}

// probe reports whether GET url answers 200.
func probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return nil
}

// exitError explains why mcpgate exited before it was ready.
func exitError(c *child) error {
	if strings.Contains(c.stderr.String(), "address already in use") {
		return errPortTaken
	}
	return fmt.Errorf("exited before it was ready (%v):\n%s", c.waitErr, c.stderr.String())
}

// watch stops mcpgate when t ends, saves the stderr of all its processes
// (one per start) to <out>/mcpgate.stderr.log and checks it: under the race
// detector a reported data race fails the test, and so does any of
// gw.secrets appearing in the log. When the test failed, the end of the
// log goes to the test log.
func (gw *gateway) watch(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		gw.runs[len(gw.runs)-1].stop()
		var all []string
		for i, c := range gw.runs {
			all = append(all, fmt.Sprintf("=== mcpgate process %d of %d\n%s", i+1, len(gw.runs), c.stderr.String()))
		}
		logs := strings.Join(all, "")
		path := filepath.Join(gw.out, "mcpgate.stderr.log")
		if err := os.WriteFile(path, []byte(logs), 0o644); err != nil {
			t.Errorf("saving mcpgate's log: %v", err)
		}
		if raceEnabled && strings.Contains(logs, "WARNING: DATA RACE") {
			t.Errorf("mcpgate reported a data race (see %s)", path)
		}
		for i, s := range gw.secrets {
			if s != "" && strings.Contains(logs, s) {
				t.Errorf("mcpgate's log contains secret #%d of its configuration (see %s)", i+1, path)
			}
		}
		if n := gw.loggedCredentials(logs); n > 0 {
			t.Errorf("mcpgate's log contains %d of the authorization codes and tokens its clients received (see %s)", n, path)
		}
		if t.Failed() {
			t.Logf("mcpgate stderr:\n%s", tail([]byte(logs), 8000))
		}
	})
}

// child is a started server process of a test.
type child struct {
	cmd    *exec.Cmd
	stderr *testlog.Buffer
	done   chan struct{} // closed when the process has exited
	// waitErr is cmd.Wait's result, set before done is closed.
	waitErr error
}

// startChild starts cmd with its stderr captured.
func startChild(cmd *exec.Cmd) (*child, error) {
	c := &child{cmd: cmd, stderr: &testlog.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// stop interrupts the process (it shuts down gracefully) and kills it if it
// has not exited after ten seconds.
func (c *child) stop() {
	if err := c.cmd.Process.Signal(os.Interrupt); err == nil {
		select {
		case <-c.done:
			return
		case <-time.After(10 * time.Second):
		}
	}
	c.cmd.Process.Kill()
	<-c.done
}

// childEnv is this process's environment without the variables that
// configure mcpgate, so that a developer's own settings cannot leak into a
// test's server.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "MCPGATE_"), strings.HasPrefix(name, "GITHUB_"),
			strings.HasPrefix(name, "GOOGLE_"), strings.HasPrefix(name, "OIDC_"):
			continue
		}
		env = append(env, kv)
	}
	return env
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// lineWatcher is an io.Writer for a child's stdout that sends the rest of
// the first line starting with prefix (after trimming spaces) to found.
type lineWatcher struct {
	prefix  string
	found   chan string
	mu      sync.Mutex
	partial []byte
	sent    bool
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
		if rest, ok := strings.CutPrefix(line, w.prefix); ok && !w.sent {
			w.sent = true
			w.found <- strings.TrimSpace(rest)
		}
	}
	return len(p), nil
}

// portOfURL returns the port of an origin such as http://localhost:8080.
func portOfURL(t *testing.T, origin string) int {
	t.Helper()
	u, err := url.Parse(origin)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("no port in %q", origin)
	}
	return port
}

// tokenRun matches the runs of characters a token or code is made of
// (base64url, plus the dots of a JWT).
var tokenRun = regexp.MustCompile(`[A-Za-z0-9_.~-]{16,}`)

// addCredentials records the credential fingerprints a client script
// reported (its "credentialFingerprints" field), for the log check.
func (gw *gateway) addCredentials(t *testing.T, res scriptResult) {
	t.Helper()
	var got struct {
		Fingerprints []string `json:"credentialFingerprints"`
	}
	res.decode(t, &got)
	if gw.credentials == nil {
		gw.credentials = map[string]bool{}
	}
	for _, f := range got.Fingerprints {
		gw.credentials[f] = true
	}
}

// loggedCredentials counts the runs of token characters in logs whose
// fingerprint is one of gw.credentials.
func (gw *gateway) loggedCredentials(logs string) int {
	if len(gw.credentials) == 0 {
		return 0
	}
	n := 0
	for _, run := range tokenRun.FindAllString(logs, -1) {
		sum := sha256.Sum256([]byte(run))
		if gw.credentials[hex.EncodeToString(sum[:])[:12]] {
			n++
		}
	}
	return n
}
