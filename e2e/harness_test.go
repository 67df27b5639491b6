package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// scriptTimeout bounds one client script; the scripts' own waits are
	// shorter, so that they report what they were waiting for.
	scriptTimeout = 90 * time.Second
	// demoStartTimeout bounds the wait for the demo's banner.
	demoStartTimeout = 30 * time.Second
	// chromiumPath is where Debian's chromium package puts the browser.
	chromiumPath = "/usr/bin/chromium"
)

// toolchain is what every test needs: prepared once per test binary by
// needToolchain, removed by TestMain.
type toolchain struct {
	dir    string // absolute path of the e2e folder
	node   string // the machine's node
	tmp    string // scratch folder of this test binary
	binary string // the mcpgate binary built for these tests
}

var (
	toolchainOnce sync.Once
	toolchainVal  toolchain
	toolchainErr  error

	chromiumOnce sync.Once
	chromiumErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if toolchainVal.tmp != "" {
		os.RemoveAll(toolchainVal.tmp)
	}
	os.Exit(code)
}

// needToolchain builds mcpgate and installs the npm packages once, and
// fails t when that is impossible (a missing node or npm is a failure, not
// a reason to skip).
func needToolchain(t *testing.T) toolchain {
	t.Helper()
	toolchainOnce.Do(func() { toolchainVal, toolchainErr = prepareToolchain() })
	if toolchainErr != nil {
		t.Fatalf("e2e setup: %v", toolchainErr)
	}
	return toolchainVal
}

func prepareToolchain() (toolchain, error) {
	var tc toolchain
	dir, err := os.Getwd()
	if err != nil {
		return tc, err
	}
	tc.dir = dir
	if tc.node, err = exec.LookPath("node"); err != nil {
		return tc, fmt.Errorf("node is not in PATH: the end-to-end tests need Node.js >= 20 (Debian package nodejs): %w", err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return tc, fmt.Errorf("npm is not in PATH: the end-to-end tests install their clients with npm ci: %w", err)
	}
	if err := npmInstall(dir, npm); err != nil {
		return tc, err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return tc, fmt.Errorf("go is not in PATH: %w", err)
	}
	if tc.tmp, err = os.MkdirTemp("", "mcpgate-e2e-"); err != nil {
		return tc, err
	}
	tc.binary = filepath.Join(tc.tmp, "mcpgate")
	args := []string{"build", "-o", tc.binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, "../cmd/mcpgate")...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return tc, fmt.Errorf("go build ../cmd/mcpgate: %v\n%s", err, out)
	}
	return tc, nil
}

// npmInstall runs `npm ci` in dir when CI=true, or when node_modules is
// missing or older than package-lock.json. The lockfile pins every package
// and records no download address, so npm fetches from its configured
// registry only; install scripts are not run (none of the pinned packages
// needs one).
func npmInstall(dir, npm string) error {
	needed := os.Getenv("CI") == "true"
	if !needed {
		lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
		if err != nil {
			return fmt.Errorf("e2e/package-lock.json: %w", err)
		}
		marker, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
		needed = err != nil || marker.ModTime().Before(lock.ModTime())
	}
	if !needed {
		return nil
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %v\n%s", dir, err, tail(out, 4000))
	}
	return nil
}

// needChromium makes sure Debian's Chromium is installed, installing it
// with apt-get when it is missing and the tests run as root (as in CI).
func needChromium(t *testing.T) string {
	t.Helper()
	chromiumOnce.Do(func() { chromiumErr = installChromium() })
	if chromiumErr != nil {
		t.Fatalf("chromium: %v", chromiumErr)
	}
	return chromiumPath
}

func installChromium() error {
	if _, err := os.Stat(chromiumPath); err == nil {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s is missing and the tests do not run as root: install Debian's chromium package (apt-get install chromium)", chromiumPath)
	}
	for _, args := range [][]string{
		{"update", "-qq"},
		{"install", "-y", "-qq", "--no-install-recommends", "chromium"},
	} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), err, tail(out, 4000))
		}
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		return fmt.Errorf("apt-get installed chromium but %s is still missing: %w", chromiumPath, err)
	}
	return nil
}

// outputDir returns e2e/output/<test name>/, emptied, for the logs and
// screenshots of t (output/ is ignored by git).
func outputDir(t *testing.T, tc toolchain) string {
	t.Helper()
	name := regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(t.Name(), "_")
	dir := filepath.Join(tc.dir, "output", name)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// syncBuffer is a bytes.Buffer safe for the writes of a child process's
// output goroutines and the test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// demo is a running `mcpgate demo`.
type demo struct {
	// URL is the public origin, e.g. "http://localhost:41234"; the MCP
	// endpoint is URL + "/mcp".
	URL    string
	stderr *syncBuffer
}

// errPortTaken reports that the demo could not bind the port it was given.
var errPortTaken = errors.New("port taken")

// startDemo starts `mcpgate demo -addr 127.0.0.1:<free port>` and waits for
// its banner. Cleanup stops it with an interrupt; its stderr goes to
// <out>/mcpgate.stderr.log and, when the test failed, to the test log. Under
// the race detector a reported data race fails the test.
func startDemo(t *testing.T, tc toolchain, out string) *demo {
	t.Helper()
	const attempts = 3
	for i := 1; ; i++ {
		d, err := tryStartDemo(t, tc, out)
		if err == nil {
			return d
		}
		if i == attempts || !errors.Is(err, errPortTaken) {
			t.Fatalf("mcpgate demo: %v", err)
		}
	}
}

func tryStartDemo(t *testing.T, tc toolchain, out string) (*demo, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(tc.binary, "demo", "-addr", fmt.Sprintf("127.0.0.1:%d", port))
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	banner := &lineWatcher{prefix: "MCP server URL:", found: make(chan string, 1)}
	cmd.Stdout = banner
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	select {
	case mcpURL := <-banner.found:
		origin, ok := strings.CutSuffix(mcpURL, "/mcp")
		if !ok || !strings.HasPrefix(origin, "http://") {
			stopDemo(cmd, exited)
			return nil, fmt.Errorf("unexpected MCP server URL in the banner: %q", mcpURL)
		}
		d := &demo{URL: origin, stderr: stderr}
		t.Cleanup(func() {
			stopDemo(cmd, exited)
			logs := stderr.String()
			if err := os.WriteFile(filepath.Join(out, "mcpgate.stderr.log"), []byte(logs), 0o644); err != nil {
				t.Errorf("saving the demo's log: %v", err)
			}
			if raceEnabled && strings.Contains(logs, "WARNING: DATA RACE") {
				t.Errorf("mcpgate reported a data race (see %s)", filepath.Join(out, "mcpgate.stderr.log"))
			}
			if t.Failed() {
				t.Logf("mcpgate demo stderr:\n%s", tail([]byte(logs), 8000))
			}
		})
		return d, nil
	case err := <-exited:
		if strings.Contains(stderr.String(), "address already in use") {
			return nil, errPortTaken
		}
		return nil, fmt.Errorf("exited before it was ready (%v):\n%s", err, stderr.String())
	case <-time.After(demoStartTimeout):
		stopDemo(cmd, exited)
		return nil, fmt.Errorf("no banner within %v:\n%s", demoStartTimeout, stderr.String())
	}
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

// stopDemo interrupts the demo (it shuts down gracefully) and kills it if it
// has not exited after ten seconds.
func stopDemo(cmd *exec.Cmd, exited <-chan error) {
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return // already gone
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// scriptResult is the one JSON line every client script prints last.
type scriptResult struct {
	OK     bool   `json:"ok"`
	Client string `json:"client"`
	Error  string `json:"error"`
	// raw is the whole line, for decoding the script's own fields.
	raw []byte
}

// decode unmarshals the script's result line into v.
func (r scriptResult) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.raw, v); err != nil {
		t.Fatalf("%s result: %v\n%s", r.Client, err, r.raw)
	}
}

// runScript runs `node <script> --server <d.URL> --out <out> <extra...>` in
// the e2e folder with scriptTimeout, saves its stdout and stderr in out
// (<script>.stdout.log, <script>.stderr.log), and
// returns its result line. A script that prints no result line, disagrees
// with its own exit status or runs out of time fails t at once.
func runScript(t *testing.T, tc toolchain, d *demo, out, script string, extra ...string) scriptResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tc.node, append([]string{script, "--server", d.URL, "--out", out}, extra...)...)
	cmd.Dir = tc.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	for name, b := range map[string][]byte{script + ".stdout.log": stdout.Bytes(), script + ".stderr.log": stderr.Bytes()} {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			t.Errorf("saving %s: %v", name, err)
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v; logs in %s\nstderr:\n%s", script, scriptTimeout, out, tail(stderr.Bytes(), 4000))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	var res scriptResult
	if last == "" || json.Unmarshal([]byte(last), &res) != nil {
		t.Fatalf("%s printed no JSON result line (exit: %v); logs in %s\nstdout:\n%s\nstderr:\n%s",
			script, runErr, out, tail(stdout.Bytes(), 2000), tail(stderr.Bytes(), 4000))
	}
	res.raw = []byte(last)
	if (runErr == nil) != res.OK {
		t.Fatalf("%s: exit status (%v) disagrees with its result ok=%v: %s", script, runErr, res.OK, last)
	}
	return res
}

// mustSucceed fails t with the script's own explanation unless it succeeded.
func mustSucceed(t *testing.T, res scriptResult, out string) {
	t.Helper()
	if !res.OK {
		t.Fatalf("%s failed: %s\n(logs and screenshots in %s)", res.Client, res.Error, out)
	}
}

// tail returns the last n bytes of b, marked when cut.
func tail(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return "…" + string(b[len(b)-n:])
}
