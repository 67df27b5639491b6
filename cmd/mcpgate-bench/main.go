package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role, os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line flags.
type options struct {
	rounds      int
	duration    time.Duration
	conns       []int
	servers     []string
	mcpgate     string
	redisServer string
	node        string
	e2eDir      string
	logLevel    string
	limits      string
	storeCost   bool
	sessions    int
	costOps     int
	grantsN     int
	refreshesN  int
	workdir     string
}

// Bounds: a benchmark run stays a bounded, local experiment.
const (
	maxRounds   = 20
	maxDuration = 10 * time.Minute
	maxConns    = 512
	// maxSessions: the sessions are spread over the fake GitHub's 64
	// people, 16 each (mcpgate's cap per person).
	maxSessions = 1000
)

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("mcpgate-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds: each round measures every server's every path once")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of one measurement window (after a warm-up of a fifth of it, at most 1s)")
	conns := fs.String("conns", "16,64", "comma-separated numbers of concurrent connections")
	servers := fs.String("servers", strings.Join(allTargets, ","), "comma-separated servers to measure: "+strings.Join(allTargets, ", ")+"; empty with -store-cost")
	fs.StringVar(&o.mcpgate, "mcpgate", "", "the mcpgate `binary` (default: mcpgate next to this program)")
	fs.StringVar(&o.redisServer, "redis-server", "redis-server", "the redis-server `binary`")
	fs.StringVar(&o.node, "node", "node", "the Node.js `binary` for the TypeScript server")
	fs.StringVar(&o.e2eDir, "e2e", "", "the e2e `directory` holding bench-ts-server.mjs and node_modules (default: ./e2e)")
	fs.StringVar(&o.logLevel, "log-level", "info", "MCPGATE_LOG_LEVEL of the mcpgate servers (info is the default of a production server)")
	fs.StringVar(&o.limits, "limits", "off", "mcpgate's rate limits: off (as the TypeScript server's), or counted (counted in the store at limits no run reaches)")
	fs.BoolVar(&o.storeCost, "store-cost", false, "also measure mcpgate's Redis commands and round trips per operation and bytes per grant")
	fs.IntVar(&o.sessions, "sessions", 0, "also measure mcpgate's RSS with this many live stateful MCP sessions (0: not measured)")
	fs.IntVar(&o.costOps, "cost-ops", 200, "operations of each path in the counted runs of -store-cost")
	fs.IntVar(&o.grantsN, "grants", 1000, "fresh grants whose memory -store-cost measures")
	fs.IntVar(&o.refreshesN, "refreshes", 1000, "refreshes of one grant whose memory growth -store-cost measures")
	fs.StringVar(&o.workdir, "workdir", "", "`directory` for logs and the servers' files (default: a new temporary directory, removed unless the run fails)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if o.rounds < 1 || o.rounds > maxRounds {
		bad("-rounds must be between 1 and %d", maxRounds)
	}
	if o.duration <= 0 || o.duration > maxDuration {
		bad("-duration must be positive and at most %s", maxDuration)
	}
	for _, s := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > maxConns {
			bad("-conns: %q is not a number of connections between 1 and %d", s, maxConns)
			continue
		}
		o.conns = append(o.conns, n)
	}
	for _, s := range strings.Split(*servers, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(allTargets, s) {
			bad("-servers: unknown server %q (known: %s)", s, strings.Join(allTargets, ", "))
			continue
		}
		if !slices.Contains(o.servers, s) {
			o.servers = append(o.servers, s)
		}
	}
	if len(o.servers) == 0 && !o.ownMcpgate() {
		bad("-servers names no server, and neither -store-cost nor -sessions is on: nothing to do")
	}
	if o.sessions < 0 || o.sessions > maxSessions {
		bad("-sessions must be between 0 and %d", maxSessions)
	}
	if o.limits != "off" && o.limits != "counted" {
		bad("-limits must be off or counted")
	}
	if o.costOps < 1 || o.grantsN < 1 || o.refreshesN < 1 {
		bad("-cost-ops, -grants and -refreshes must be positive")
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return o, nil
}

// ownMcpgate reports whether the run starts an mcpgate of its own, beside
// the servers measured (-store-cost, -sessions), on Redis and the fake
// GitHub.
func (o *options) ownMcpgate() bool { return o.storeCost || o.sessions > 0 }

// resolve finds the binaries and directories the chosen servers need.
func (o *options) resolve() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if slices.Contains(o.servers, keyRedis) || slices.Contains(o.servers, keyMemory) || o.ownMcpgate() {
		if o.mcpgate == "" {
			o.mcpgate = filepath.Join(filepath.Dir(self), "mcpgate")
		}
		if o.mcpgate, err = filepath.Abs(o.mcpgate); err != nil {
			return err
		}
		if st, err := os.Stat(o.mcpgate); err != nil || st.IsDir() {
			return fmt.Errorf("no mcpgate binary at %s: build it (go build -o DIR/mcpgate ./cmd/mcpgate) and pass -mcpgate DIR/mcpgate", o.mcpgate)
		}
	}
	if needsRedis(o.servers) || o.ownMcpgate() {
		if o.redisServer, err = exec.LookPath(o.redisServer); err != nil {
			return fmt.Errorf("redis-server not found (apt-get install redis-server): %w", err)
		}
	}
	if slices.Contains(o.servers, keyTS) {
		if o.node, err = exec.LookPath(o.node); err != nil {
			return fmt.Errorf("node not found: %w", err)
		}
		if o.e2eDir == "" {
			o.e2eDir = "e2e"
		}
		if o.e2eDir, err = filepath.Abs(o.e2eDir); err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(o.e2eDir, "node_modules", "@modelcontextprotocol", "sdk")); err != nil {
			return fmt.Errorf("no @modelcontextprotocol/sdk in %s/node_modules: run npm ci there", o.e2eDir)
		}
	}
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "mcpgate-bench:", err)
		}
		return 2
	}
	if err := o.resolve(); err != nil {
		fmt.Fprintln(stderr, "mcpgate-bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir, keep := o.workdir, o.workdir != ""
	if dir == "" {
		dir, err = os.MkdirTemp("", "mcpgate-bench-")
	} else if dir, err = filepath.Abs(dir); err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mcpgate-bench:", err)
		return 1
	}
	failed := false
	defer func() {
		if failed || keep {
			fmt.Fprintln(stderr, "mcpgate-bench: logs are in", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	self, _ := os.Executable()
	maxC := slices.Max(o.conns)
	w := &world{o: o, dir: dir, self: self, hc: newClient(maxC + 16)}
	defer w.stop()

	fmt.Fprintf(stderr, "mcpgate-bench: starting %s\n", strings.Join(o.servers, ", "))
	targets, err := w.setUp(ctx, o.servers, maxC)
	if err != nil {
		fmt.Fprintln(stderr, "mcpgate-bench:", err)
		failed = true
		return 1
	}
	rep := newReport(o)
	if len(targets) > 0 {
		runRounds(ctx, o, targets, rep, stderr)
		rep.noteRSS(targets)
		rep.write(stdout)
	}
	var problems []string
	problems = append(problems, rep.problems()...)
	if o.storeCost {
		sc, err := w.storeCost(ctx)
		if err != nil {
			problems = append(problems, "store cost: "+err.Error())
		} else {
			sc.write(stdout)
		}
	}
	if o.sessions > 0 {
		sc, err := w.sessionsRSS(ctx, o.sessions)
		if err != nil {
			problems = append(problems, "sessions: "+err.Error())
		} else {
			sc.write(stdout)
		}
	}
	for _, c := range w.children {
		if n := panics(c.logPath); n > 0 {
			problems = append(problems, fmt.Sprintf("%d handler panics in %s", n, c.logPath))
		}
	}
	if ctx.Err() != nil {
		problems = append(problems, "interrupted")
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "\nresult: FAIL (%s)\n", strings.Join(problems, "; "))
		failed = true
		return 1
	}
	fmt.Fprintf(stdout, "\nresult: PASS (%d CPUs, GOMAXPROCS %d)\n", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	return 0
}

// panicLog is what mcpgate logs when a handler panics.
const panicLog = "panic while serving a request"

func panics(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), panicLog)
}
