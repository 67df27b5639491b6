package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

const (
	// readyTimeout bounds the wait for a started replica's /readyz.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds a replica's graceful shutdown (it drains for up
	// to 20 s) before it is killed.
	stopTimeout = 25 * time.Second
	// githubClientID is the OAuth client the replicas use at the fake GitHub.
	githubClientID = "mcpgate-load"
	// panicLog is the message mcpgate logs when a handler panics.
	panicLog = "panic while serving a request"
)

// fleetOptions configures the replicas the load generator starts itself.
type fleetOptions struct {
	binary   string // the mcpgate binary
	redisURL string
	replicas int
	users    []string // GitHub logins to create at the fake
	dir      string   // working directory and logs
	logLevel string
	// upstreamTTL is the fake GitHub's access token lifetime; 0 is its
	// default (eight hours).
	upstreamTTL time.Duration
	// config is a YAML file for `mcpgate serve -config`; "" for none.
	config string
}

// fleet is a fake GitHub in this process and mcpgate replicas as child
// processes, on loopback, sharing one Redis, secret and public URL.
type fleet struct {
	fake    *fakegithub.Fake
	fakeSrv *http.Server
	procs   []*replica
	// Public is the public URL every replica is configured with (the
	// first replica's own address, standing in for a load balancer).
	Public  string
	Origins []string
}

type replica struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // the exit status, once done is closed
}

// startFleet starts the fake GitHub and the replicas, and waits until every
// replica is ready.
func startFleet(ctx context.Context, o fleetOptions) (*fleet, error) {
	secret := make([]byte, 32)
	rand.Read(secret) // never returns an error
	ghSecret := make([]byte, 20)
	rand.Read(ghSecret)
	f := &fleet{}
	fakeURL, err := f.startFake(o, hex.EncodeToString(ghSecret))
	if err != nil {
		return nil, fmt.Errorf("starting the fake GitHub: %w", err)
	}
	ports, err := freePorts(o.replicas)
	if err != nil {
		f.stop()
		return nil, fmt.Errorf("finding free ports: %w", err)
	}
	for _, p := range ports {
		f.Origins = append(f.Origins, "http://127.0.0.1:"+strconv.Itoa(p))
	}
	f.Public = f.Origins[0]
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + o.dir,
		"MCPGATE_PUBLIC_URL=" + f.Public,
		"MCPGATE_REDIS_URL=" + o.redisURL,
		"MCPGATE_SECRET=" + hex.EncodeToString(secret),
		"GITHUB_CLIENT_ID=" + githubClientID,
		"GITHUB_CLIENT_SECRET=" + hex.EncodeToString(ghSecret),
		"GITHUB_BASE_URL=" + fakeURL,
		"MCPGATE_LOG_LEVEL=" + o.logLevel,
		"MCPGATE_LOG_FORMAT=json",
	}
	for i, p := range ports {
		r, err := startReplica(o.binary, o.dir, o.config, i, append(env, "MCPGATE_ADDR=127.0.0.1:"+strconv.Itoa(p)))
		if err != nil {
			f.stop()
			return nil, err
		}
		f.procs = append(f.procs, r)
	}
	for i, origin := range f.Origins {
		if err := waitReady(ctx, origin, f.procs[i]); err != nil {
			f.stop()
			return nil, err
		}
	}
	return f, nil
}

// startFake serves a fake GitHub Enterprise Server on a loopback port, with
// one user per client (GitHub's rate limit is per user) and the seeded demo
// repositories. It issues expiring GitHub App user tokens, so the replicas
// refresh them when upstreamTTL is short. The sign-in page is shown (no
// AutoApprove) so that each client's browser signs in as its own user.
func (f *fleet) startFake(o fleetOptions, clientSecret string) (string, error) {
	fake := fakegithub.New(fakegithub.Options{
		Enterprise:   true,
		ClientID:     githubClientID,
		ClientSecret: clientSecret,
		AppName:      "mcpgate (load test)",
		AppTokens:    true,
		TokenTTL:     o.upstreamTTL,
	})
	for i, login := range o.users {
		fake.AddUser(fakegithub.User{Login: login, Name: fmt.Sprintf("Load user %d", i+1), Email: login + "@example.com"})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	u := "http://" + ln.Addr().String()
	fake.SetURL(u)
	f.fake = fake
	f.fakeSrv = &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	go f.fakeSrv.Serve(ln) // ends with Shutdown in stop
	return u, nil
}

// freePorts returns n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startReplica runs `mcpgate serve [-config config]` in dir (so that no
// .env of the caller's working directory is read) with exactly env, logging
// to a file.
func startReplica(binary, dir, config string, i int, env []string) (*replica, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("replica-%d.log", i+1))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := []string{"serve"}
	if config != "" {
		args = append(args, "-config", config)
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	r := &replica{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		logFile.Close()
		close(r.done)
	}()
	return r, nil
}

// waitReady polls /readyz until it answers 200.
func waitReady(ctx context.Context, origin string, r *replica) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-r.done:
			return fmt.Errorf("replica at %s exited before it was ready (%v); log:\n%s", origin, r.err, tail(r.logPath))
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, origin+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replica at %s not ready within %s; log:\n%s", origin, readyTimeout, tail(r.logPath))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop stops the replicas (gracefully, then by force) and the fake.
func (f *fleet) stop() {
	for _, r := range f.procs {
		r.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, r := range f.procs {
		select {
		case <-r.done:
		case <-time.After(stopTimeout):
			r.cmd.Process.Kill()
			<-r.done
		}
	}
	if f.fakeSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.fakeSrv.Shutdown(ctx)
	}
}

// upstreamReport describes what the fake GitHub saw.
func (f *fleet) upstreamReport() string {
	c := f.fake.Counts()
	return fmt.Sprintf("fake GitHub: %d API calls, %d sign-ins, %d token refreshes by the replicas (%d refused)",
		c.APICalls, c.Exchanges, c.Refreshes, c.FailedRefreshes)
}

// panics counts handler panics in the replicas' logs.
func (f *fleet) panics() int {
	n := 0
	for _, r := range f.procs {
		b, err := os.ReadFile(r.logPath)
		if err == nil {
			n += strings.Count(string(b), panicLog)
		}
	}
	return n
}

// logPaths lists the replicas' log files.
func (f *fleet) logPaths() []string {
	var out []string
	for _, r := range f.procs {
		out = append(out, r.logPath)
	}
	return out
}

// tail returns the end of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 4 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
