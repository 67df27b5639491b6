package redistest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/internal/testlog"
)

// process is one redis-server child process and what it printed.
type process struct {
	cmd  *exec.Cmd
	out  *testlog.Buffer
	done chan struct{} // closed when cmd has exited
}

// launch starts the redis-server bin on the loopback port, without
// persistence, with dir as its working directory and extra flags (cluster
// mode), and waits until it answers PING. A process that exits first or
// does not answer within startTimeout is killed and reported with its
// output.
func launch(bin, dir string, port int, extra ...string) (*process, error) {
	args := append([]string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
		"--daemonize", "no",
	}, extra...)
	p := &process{cmd: exec.Command(bin, args...), out: &testlog.Buffer{}, done: make(chan struct{})}
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting redis-server: %w", err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c := goredis.NewClient(&goredis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("redis-server on port %d exited before answering PING: %s", port, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("redis-server on port %d did not answer PING within %v (last error %v): %s", port, startTimeout, err, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill stops the process if it still runs and waits for it to exit. It
// may be called again.
func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.done
}
