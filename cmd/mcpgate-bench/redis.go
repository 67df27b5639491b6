package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// redisServer is the private redis-server of a run: loopback, no
// persistence, in the run's directory.
type redisServer struct {
	*child
	Addr string
	rdb  *goredis.Client
}

func startRedis(ctx context.Context, dir, bin string) (*redisServer, error) {
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		c, err := startChild("redis-server", dir, bin, []string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--daemonize", "no", "--maxclients", "10000",
		}, baseEnv(dir))
		if err != nil {
			return nil, err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		rdb := goredis.NewClient(&goredis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
		deadline := time.Now().Add(5 * time.Second)
		for {
			pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			lastErr = rdb.Ping(pctx).Err()
			cancel()
			if lastErr == nil {
				return &redisServer{child: c, Addr: addr, rdb: rdb}, nil
			}
			if c.exited() != nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		rdb.Close()
		c.stop()
		lastErr = fmt.Errorf("redis-server on port %d did not answer PING (%v): %s", port, lastErr, tail(c.logPath))
	}
	return nil, lastErr
}

// info reads one INFO section as key → value.
func (r *redisServer) info(ctx context.Context, section string) (map[string]string, error) {
	s, err := r.rdb.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out, nil
}

// commandCalls reads INFO commandstats as command → calls.
func (r *redisServer) commandCalls(ctx context.Context) (map[string]int64, error) {
	m, err := r.info(ctx, "commandstats")
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for k, v := range m {
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(v, ",") {
			if n, ok := strings.CutPrefix(kv, "calls="); ok {
				out[name], _ = strconv.ParseInt(n, 10, 64)
			}
		}
	}
	return out, nil
}

// dataMemory is INFO memory's used_memory without mem_clients_normal:
// what the data takes, not the buffers of the connections that happen to
// be open (each holds a query buffer of up to tens of KB, which would
// otherwise count as grants whenever mcpgate's pool grows).
func (r *redisServer) dataMemory(ctx context.Context) (int64, error) {
	m, err := r.info(ctx, "memory")
	if err != nil {
		return 0, err
	}
	used, err1 := strconv.ParseInt(m["used_memory"], 10, 64)
	clients, err2 := strconv.ParseInt(m["mem_clients_normal"], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("INFO memory without used_memory or mem_clients_normal")
	}
	return used - clients, nil
}

// lapseMargin is how long after a grace window a key that lapses with it
// is sure to have lapsed, with room for a TTL rounded up to the second.
const lapseMargin = time.Second

// lapse waits until keys set to lapse within grace of now have lapsed,
// then makes Redis drop them: a full SCAN deletes every expired key it
// visits (Redis otherwise frees one lazily, when it is next read, or when
// its expiry cycle happens to sample it), so that what used_memory says
// next does not depend on that cycle.
func (r *redisServer) lapse(ctx context.Context, grace time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(grace + lapseMargin):
	}
	var cursor uint64
	for {
		_, next, err := r.rdb.Scan(ctx, cursor, "", 1000).Result()
		if err != nil {
			return err
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// settledMemory is dataMemory once it stands still after the last
// requests: lazy frees and expiries pass, and Redis catches up with each
// client's share of mem_clients_normal, which it updates on its own
// rounds (seen to lag by tens of KB for more than a second after a quiet
// spell). It reads every settleStep until two readings in a row agree,
// at most maxSettleReads times (then it takes the last).
func (r *redisServer) settledMemory(ctx context.Context) (int64, error) {
	var last int64
	for i := range maxSettleReads {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(settleStep):
		}
		m, err := r.dataMemory(ctx)
		if err != nil {
			return 0, err
		}
		if i > 0 && m == last {
			return m, nil
		}
		last = m
	}
	return last, nil
}

const (
	settleStep     = time.Second
	maxSettleReads = 10
)

// countingProxy forwards TCP connections to a Redis and counts round
// trips: every time a client writes after Redis has answered it (or
// writes first), that is one more round trip. A pipeline or a MULTI/EXEC
// block sent in one write is one round trip, as it is on the wire.
type countingProxy struct {
	ln         net.Listener
	target     string
	roundTrips atomic.Int64
	wg         sync.WaitGroup
}

func startCountingProxy(target string) (*countingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{ln: ln, target: target}
	go p.accept()
	return p, nil
}

func (p *countingProxy) Addr() string { return p.ln.Addr().String() }

func (p *countingProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

// serve relays one connection. turn is whose move it is: a client read
// that finds turn == server (Redis answered since the last client
// write) starts a new round trip.
func (p *countingProxy) serve(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	var answered atomic.Bool
	answered.Store(true)
	go func() {
		io.Copy(c, &flagReader{r: bufio.NewReader(s), set: &answered})
		c.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if answered.Swap(false) {
				p.roundTrips.Add(1)
			}
			if _, werr := s.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *countingProxy) close() { p.ln.Close() }

// flagReader sets a flag on every read that returns data.
type flagReader struct {
	r   io.Reader
	set *atomic.Bool
}

func (f *flagReader) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if n > 0 {
		f.set.Store(true)
	}
	return n, err
}
