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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line flags.
type options struct {
	clients          int
	duration         time.Duration
	refreshEvery     time.Duration
	targets          []string
	binary           string
	redisURL         string
	replicas         int
	maxCalls         int
	requestTimeout   time.Duration
	setupTimeout     time.Duration
	setupConcurrency int
	upstreamTTL      time.Duration
	workdir          string
	logLevel         string
	replicaConfig    string
}

// Bounds of the flags: a load run must stay a bounded, local experiment.
const (
	maxClients  = 5000
	maxDuration = time.Hour
	maxReplicas = 16
)

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("mcpgate-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.clients, "clients", 200, "number of concurrent MCP clients")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "length of the load phase")
	fs.DurationVar(&o.refreshEvery, "refresh-every", 10*time.Second, "how often each client refreshes its tokens")
	target := fs.String("target", "", "comma-separated `URLs` of running replicas (loopback only); the first is the public URL. Empty: start -replicas replicas of -mcpgate on -redis")
	fs.StringVar(&o.binary, "mcpgate", "", "the mcpgate `binary` to start (default: mcpgate next to this program, else on PATH)")
	fs.StringVar(&o.redisURL, "redis", "", "redis:// `URL` (loopback only) the started replicas share")
	fs.IntVar(&o.replicas, "replicas", 2, "number of replicas to start")
	fs.IntVar(&o.maxCalls, "max-calls", 100000, "upper bound on each client's tool calls")
	fs.DurationVar(&o.requestTimeout, "request-timeout", 15*time.Second, "bound on each request (a sign-in counts as one)")
	fs.DurationVar(&o.setupTimeout, "setup-timeout", 3*time.Minute, "bound on the set-up phase (registration and sign-in of every client)")
	fs.IntVar(&o.setupConcurrency, "setup-concurrency", 50, "clients signing in at the same time during set-up")
	fs.DurationVar(&o.upstreamTTL, "upstream-ttl", 0, "lifetime of the fake GitHub's access tokens (0: eight hours); short values make the replicas refresh them under load")
	fs.StringVar(&o.workdir, "workdir", "", "`directory` for the replicas' working directory and logs (default: a new temporary directory)")
	fs.StringVar(&o.logLevel, "replica-log-level", "warn", "MCPGATE_LOG_LEVEL of the started replicas")
	fs.StringVar(&o.replicaConfig, "replica-config", "", "YAML configuration `file` for the started replicas (mcpgate serve -config), e.g. to change limits; the environment still sets addresses, Redis, secrets and GitHub")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	o.checkLoad(bad)
	o.checkReplicas(*target, bad)
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return o, nil
}

// checkLoad reports through bad what is wrong with the load settings.
func (o *options) checkLoad(bad func(format string, a ...any)) {
	if o.clients < 1 || o.clients > maxClients {
		bad("-clients must be between 1 and %d", maxClients)
	}
	if o.duration <= 0 || o.duration > maxDuration {
		bad("-duration must be positive and at most %s", maxDuration)
	}
	if o.refreshEvery < time.Second {
		bad("-refresh-every must be at least 1s")
	}
	if o.maxCalls < 1 {
		bad("-max-calls must be positive")
	}
	if o.requestTimeout <= 0 || o.setupTimeout <= 0 {
		bad("-request-timeout and -setup-timeout must be positive")
	}
	if o.setupConcurrency < 1 {
		bad("-setup-concurrency must be positive")
	}
	if o.upstreamTTL < 0 || (o.upstreamTTL > 0 && o.upstreamTTL <= 30*time.Second) {
		bad("-upstream-ttl must be 0 or longer than 30s (mcpgate refreshes upstream tokens 30s before they expire)")
	}
}

// checkReplicas reports through bad what is wrong with the replicas to
// target (-target) or to start, and records the targets.
func (o *options) checkReplicas(target string, bad func(format string, a ...any)) {
	if target != "" {
		for _, t := range strings.Split(target, ",") {
			u, err := loopbackURL(strings.TrimSpace(t), "http", "https")
			if err != nil {
				bad("-target: %v", err)
				continue
			}
			o.targets = append(o.targets, origin(u))
		}
		if o.redisURL != "" || o.binary != "" || o.replicaConfig != "" {
			bad("-redis, -mcpgate and -replica-config start replicas; with -target the replicas are already running")
		}
	} else {
		if o.replicas < 1 || o.replicas > maxReplicas {
			bad("-replicas must be between 1 and %d", maxReplicas)
		}
		if o.redisURL == "" {
			bad("-redis is required to start replicas (or give -target)")
		} else if _, err := loopbackURL(o.redisURL, "redis"); err != nil {
			bad("-redis: %v", err)
		}
		if o.replicaConfig != "" {
			abs, err := filepath.Abs(o.replicaConfig)
			if err != nil {
				bad("-replica-config: %v", err)
			}
			o.replicaConfig = abs
		}
	}
}

// findBinary resolves the mcpgate binary to start.
func findBinary(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "mcpgate")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath("mcpgate")
	if err != nil {
		return "", errors.New("no mcpgate binary: build it (go build -o DIR/mcpgate ./cmd/mcpgate) and pass -mcpgate DIR/mcpgate")
	}
	return filepath.Abs(p)
}

// run is the whole load test in its order: flags, replicas (started or
// targeted), set-up, load, report. Its branches are the error exits of
// each step, which share the deferred clean-up of the replicas and logs.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "mcpgate-load:", err)
		}
		return 2
	}
	// The hard deadline: set-up, load, and room to stop.
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	ctx, cancel := context.WithTimeout(ctx, o.setupTimeout+o.duration+2*time.Minute)
	defer cancel()

	stats := newRecorder()
	transport := newTransport(stats, o.clients+16)
	hc := loadclient.NewClient(transport, 0) // API calls never follow redirects

	replicas, public := o.targets, ""
	var users []string
	var f *fleet
	keepLogs := false
	if len(o.targets) > 0 {
		public = o.targets[0]
	} else {
		binary, err := findBinary(o.binary)
		if err != nil {
			fmt.Fprintln(stderr, "mcpgate-load:", err)
			return 2
		}
		dir := o.workdir
		if dir == "" {
			if dir, err = os.MkdirTemp("", "mcpgate-load-"); err != nil {
				fmt.Fprintln(stderr, "mcpgate-load:", err)
				return 1
			}
			defer func() {
				if !keepLogs {
					os.RemoveAll(dir)
				}
			}()
		}
		for i := range o.clients {
			users = append(users, fmt.Sprintf("load-%04d", i+1))
		}
		fmt.Fprintf(stderr, "mcpgate-load: starting a fake GitHub and %d replicas of %s on %s\n", o.replicas, binary, o.redisURL)
		f, err = startFleet(ctx, fleetOptions{
			binary: binary, redisURL: o.redisURL, replicas: o.replicas, users: users,
			dir: dir, logLevel: o.logLevel, upstreamTTL: o.upstreamTTL, config: o.replicaConfig,
		})
		if err != nil {
			fmt.Fprintln(stderr, "mcpgate-load:", err)
			keepLogs = true
			return 1
		}
		defer f.stop()
		replicas, public = f.Origins, f.Public
	}

	md, err := discover(ctx, hc, public)
	if err != nil {
		fmt.Fprintln(stderr, "mcpgate-load:", err)
		return 1
	}
	settings := &runSettings{
		md: md, resource: public + "/mcp", replicas: replicas, hc: hc, transport: transport,
		stats: stats, reqTimeout: o.requestTimeout, refreshEvery: o.refreshEvery, maxCalls: o.maxCalls,
	}

	// Set-up: every client registers and signs in, a bounded number at once.
	fmt.Fprintf(stderr, "mcpgate-load: signing in %d clients\n", o.clients)
	setupStart := time.Now()
	clients, ready := setUpClients(ctx, o, settings, users, stats)
	sum := summary{Clients: o.clients, Replicas: replicas, SetupTime: time.Since(setupStart)}
	for _, ok := range ready {
		if ok {
			sum.SignedIn++
		}
	}

	// Load: every signed-in client loops until the deadline.
	fmt.Fprintf(stderr, "mcpgate-load: %d clients signed in; load for %s\n", sum.SignedIn, o.duration)
	loadStart := time.Now()
	var loadWG sync.WaitGroup
	deadline := loadStart.Add(o.duration)
	for i, c := range clients {
		if !ready[i] {
			continue
		}
		c.hard = ctx
		loadWG.Go(func() { c.run(deadline) })
	}
	loadWG.Wait()
	sum.LoadTime = time.Since(loadStart)
	sum.Interrupted = ctx.Err() != nil

	stats.write(stdout, sum)
	if f != nil {
		fmt.Fprintln(stdout, f.upstreamReport())
	}
	problems := stats.problems(sum)
	if f != nil {
		if n := f.panics(); n > 0 {
			problems = append(problems, fmt.Sprintf("%d handler panics in the replicas' logs", n))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "result: FAIL (%s)\n", strings.Join(problems, "; "))
		if f != nil {
			keepLogs = true
			fmt.Fprintf(stdout, "replica logs: %s\n", strings.Join(f.logPaths(), " "))
		}
		return 1
	}
	fmt.Fprintln(stdout, "result: PASS")
	return 0
}

// setUpClients registers and signs in every client, o.setupConcurrency at a
// time, within o.setupTimeout; ready[i] reports whether client i made it.
func setUpClients(ctx context.Context, o *options, settings *runSettings, users []string, stats *recorder) (clients []*loadClient, ready []bool) {
	setupCtx, setupCancel := context.WithTimeout(ctx, o.setupTimeout)
	clients = make([]*loadClient, o.clients)
	ready = make([]bool, o.clients)
	sem := make(chan struct{}, o.setupConcurrency)
	var wg sync.WaitGroup
	for i := range clients {
		c := &loadClient{s: settings, index: i, hard: setupCtx}
		if users != nil {
			c.login = users[i]
		}
		clients[i] = c
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-setupCtx.Done():
				stats.setupFailed()
				return
			}
			defer func() { <-sem }()
			if err := c.setUp(); err != nil {
				stats.setupFailed()
				return
			}
			ready[i] = true
		})
	}
	wg.Wait()
	setupCancel()
	return clients, ready
}
