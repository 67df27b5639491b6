package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

// The benchmark's own child processes are this binary (or, in the tests,
// the test binary) run again with roleEnv set; their settings come in the
// environment too, so that a test binary's flags cannot get in the way.
const (
	roleEnv       = "MCPGATE_BENCH_ROLE"
	roleFloor     = "floor"
	roleFake      = "fakegithub"
	floorRedisEnv = "MCPGATE_BENCH_REDIS" // the floor's Redis address; "" for none
	fakeUsersEnv  = "MCPGATE_BENCH_USERS" // how many bench-NNNN users the fake knows
	fakeIDEnv     = "MCPGATE_BENCH_GH_ID" // the fake's OAuth client ID
	fakeSecretEnv = "MCPGATE_BENCH_GH_SECRET"
	listeningLine = "listening "
)

// runRole serves one child role until SIGTERM. It prints "listening URL"
// on stdout once it accepts connections.
func runRole(role string, stdout, stderr io.Writer) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, "mcpgate-bench:", err)
		return 1
	}
	base := "http://" + ln.Addr().String()
	var h http.Handler
	switch role {
	case roleFloor:
		f, err := newFloor(os.Getenv(floorRedisEnv))
		if err != nil {
			fmt.Fprintln(stderr, "mcpgate-bench floor:", err)
			return 1
		}
		h = f
	case roleFake:
		n, err := strconv.Atoi(os.Getenv(fakeUsersEnv))
		if err != nil || n < 1 {
			fmt.Fprintln(stderr, "mcpgate-bench fakegithub: bad", fakeUsersEnv)
			return 1
		}
		fake := fakegithub.New(fakegithub.Options{
			Enterprise:   true,
			ClientID:     os.Getenv(fakeIDEnv),
			ClientSecret: os.Getenv(fakeSecretEnv),
			AppName:      "mcpgate (benchmark)",
			AppTokens:    true,
		})
		for i := range n {
			fake.AddUser(fakegithub.User{Login: benchUser(i), Name: fmt.Sprintf("Bench user %d", i+1), Email: benchUser(i) + "@example.com"})
		}
		fake.SetURL(base)
		h = fake
	default:
		fmt.Fprintf(stderr, "mcpgate-bench: unknown %s %q\n", roleEnv, role)
		return 2
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintln(stdout, listeningLine+base)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "mcpgate-bench:", err)
		return 1
	}
	return 0
}

// benchUser is the fake GitHub login of connection i: one user per
// connection, because GitHub's (and the fake's) rate limit is per user.
func benchUser(i int) string { return fmt.Sprintf("bench-%04d", i+1) }
