package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// clusterSize is the number of masters StartCluster runs: the fewest Redis
// Cluster accepts.
const clusterSize = 3

// clusterSlots is the number of hash slots of every Redis Cluster.
const clusterSlots = 16384

// clusterCreateTimeout bounds redis-cli --cluster create, and
// clusterReadyTimeout the wait for every node to report the cluster ok
// afterwards. Both are generous: the nodes gossip over loopback, but test
// machines can be loaded.
const (
	clusterCreateTimeout = 60 * time.Second
	clusterReadyTimeout  = 30 * time.Second
)

// Cluster is a running three-master Redis Cluster without replicas.
type Cluster struct {
	nodes []*clusterNode
}

// clusterNode is one redis-server of a Cluster. Its cluster bus listens on
// busPort, chosen like port, rather than on the default port+10000, which
// may be out of range or taken.
type clusterNode struct {
	bin     string
	dir     string
	index   int
	port    int
	busPort int
	addr    string

	proc *process // nil until start succeeds
}

// StartCluster starts three cluster-enabled redis-servers on free loopback
// ports, joins them into one cluster with redis-cli (every slot assigned,
// no replicas) and waits until every node reports cluster_state:ok. The
// nodes are stopped when t ends. StartCluster fails the test if
// redis-server or redis-cli is not on PATH or the cluster does not form.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redistest: redis-server not found on PATH (install the redis-server package): %v", err)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatalf("redistest: redis-cli not found on PATH (install the redis-tools package, which redis-server depends on): %v", err)
	}
	dir := t.TempDir()
	c := &Cluster{}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.kill()
		}
	})
	for i := range clusterSize {
		n, err := startClusterNode(server, dir, i+1)
		if err != nil {
			t.Fatalf("redistest: cluster node %d: %v", i+1, err)
		}
		c.nodes = append(c.nodes, n)
	}
	if err := c.create(cli); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	if err := c.waitReady(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return c
}

// Addrs returns host:port of every node, in start order.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.addr
	}
	return addrs
}

// Client returns a cluster client (a *goredis.ClusterClient) of the
// cluster, closed when t ends.
func (c *Cluster) Client(t testing.TB) goredis.UniversalClient {
	t.Helper()
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs()})
	t.Cleanup(func() {
		if err := cc.Close(); err != nil && !errors.Is(err, goredis.ErrClosed) {
			t.Errorf("redistest: closing cluster client: %v", err)
		}
	})
	return cc
}

// Output returns what every node has logged so far, each under a header
// naming it.
func (c *Cluster) Output() string {
	var b strings.Builder
	for _, n := range c.nodes {
		fmt.Fprintf(&b, "--- node %d (%s) ---\n%s", n.index, n.addr, n.proc.out.String())
	}
	return b.String()
}

// startClusterNode starts node index in dir on fresh ports, trying a few
// times since another process can take a port between our probe and the
// server's bind.
func startClusterNode(bin, dir string, index int) (*clusterNode, error) {
	var lastErr error
	for range 3 {
		ports, err := freePorts(2)
		if err != nil {
			return nil, fmt.Errorf("finding free ports: %w", err)
		}
		n := &clusterNode{
			bin: bin, dir: dir, index: index,
			port: ports[0], busPort: ports[1],
			addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		}
		if lastErr = n.start(); lastErr == nil {
			return n, nil
		}
	}
	return nil, lastErr
}

// freePorts returns n distinct free loopback ports, holding each open
// until all are found so that the kernel hands out different ones.
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

// configFile is the node's cluster state file, which redis-server writes
// and owns.
func (n *clusterNode) configFile() string {
	return filepath.Join(n.dir, "nodes-"+strconv.Itoa(n.index)+".conf")
}

// start launches the process and waits until it answers PING.
func (n *clusterNode) start() error {
	// A failed earlier attempt may have left its state file behind.
	if err := os.Remove(n.configFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing stale %s: %w", n.configFile(), err)
	}
	p, err := launch(n.bin, n.dir, n.port,
		"--cluster-enabled", "yes",
		"--cluster-config-file", n.configFile(),
		"--cluster-port", strconv.Itoa(n.busPort),
	)
	if err != nil {
		return err
	}
	n.proc = p
	return nil
}

// kill stops the process if it runs and waits for it to exit.
func (n *clusterNode) kill() {
	if n.proc != nil {
		n.proc.kill()
	}
}

// create joins the nodes into one cluster, the slots split evenly among
// them.
func (c *Cluster) create(cli string) error {
	ctx, cancel := context.WithTimeout(context.Background(), clusterCreateTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("redis-cli --cluster create failed: %v\n%s\n%s", err, out, c.Output())
	}
	return nil
}

// waitReady polls CLUSTER INFO on every node until each reports the
// cluster ok with every slot assigned and served, and knows every node.
func (c *Cluster) waitReady() error {
	deadline := time.Now().Add(clusterReadyTimeout)
	for _, n := range c.nodes {
		rc := goredis.NewClient(&goredis.Options{Addr: n.addr, MaxRetries: -1})
		err := func() error {
			defer rc.Close()
			for {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				info, err := rc.ClusterInfo(ctx).Result()
				cancel()
				if err == nil {
					if err = clusterInfoReady(info); err == nil {
						return nil
					}
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("cluster node %s not ready within %v: %v\n%s", n.addr, clusterReadyTimeout, err, c.Output())
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// clusterInfoReady checks a CLUSTER INFO reply: state ok, every slot
// assigned and ok, every node known.
func clusterInfoReady(info string) error {
	want := map[string]string{
		"cluster_state":          "ok",
		"cluster_slots_assigned": strconv.Itoa(clusterSlots),
		"cluster_slots_ok":       strconv.Itoa(clusterSlots),
		"cluster_known_nodes":    strconv.Itoa(clusterSize),
		"cluster_size":           strconv.Itoa(clusterSize),
	}
	got := map[string]string{}
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok {
			got[k] = v
		}
	}
	for k, v := range want {
		if got[k] != v {
			return fmt.Errorf("CLUSTER INFO has %s:%s, want %s", k, got[k], v)
		}
	}
	return nil
}
