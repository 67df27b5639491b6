package redistest

import (
	"errors"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// startTimeout bounds how long Start waits for the server to answer PING.
const startTimeout = 5 * time.Second

// Server is a running redis-server.
type Server struct {
	// Addr is host:port of the server.
	Addr string
	// URL is redis://Addr/0, for configuration that takes a URL.
	URL string

	bin  string
	port int
	dir  string

	mu   sync.Mutex
	proc *process // the running (or last) process; nil before the first start
}

// Start starts a redis-server on a free loopback port and waits until it
// answers PING. It is stopped when t ends. Start fails the test if
// redis-server is not on PATH or does not come up.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redistest: redis-server not found on PATH (install the redis-server package): %v", err)
	}
	s := &Server{bin: bin, dir: t.TempDir()}
	t.Cleanup(func() { s.kill() })

	// Another process can take the port between our probe and the
	// server's bind; try a few ports before giving up.
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("redistest: finding a free port: %v", err)
		}
		s.setPort(port)
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", lastErr)
	return nil
}

func (s *Server) setPort(port int) {
	s.port = port
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.URL = "redis://" + s.Addr + "/0"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start launches the process on s.port and waits for PING.
func (s *Server) start() error {
	p, err := launch(s.bin, s.dir, s.port)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return nil
}

// Client returns a client of the server, closed when t ends.
func (s *Server) Client(t testing.TB) goredis.UniversalClient {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr})
	t.Cleanup(func() {
		if err := c.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) {
			t.Errorf("redistest: closing client: %v", err)
		}
	})
	return c
}

// Stop kills the server (for tests of what happens when Redis goes away).
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.kill()
}

// Restart starts the server again on the same port, empty.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.kill()
	if err := s.start(); err != nil {
		t.Fatalf("redistest: restart: %v", err)
	}
}

// Output returns what the server has logged so far.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ""
	}
	return s.proc.out.String()
}

// kill stops the process if it runs and waits for it to exit.
func (s *Server) kill() {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p != nil {
		p.kill()
	}
}
