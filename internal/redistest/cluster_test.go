package redistest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

func TestStartCluster(t *testing.T) {
	var addrs []string
	t.Run("Running", func(t *testing.T) {
		c := StartCluster(t)
		addrs = c.Addrs()
		if len(addrs) != 3 {
			t.Fatalf("Addrs = %v, want three nodes", addrs)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(addrs)))) != 3 {
			t.Fatalf("Addrs = %v, want three distinct nodes", addrs)
		}
		ctx := t.Context()
		for _, addr := range addrs {
			node := goredis.NewClient(&goredis.Options{Addr: addr})
			info, err := node.ClusterInfo(ctx).Result()
			node.Close()
			if err != nil {
				t.Fatalf("CLUSTER INFO on %s: %v", addr, err)
			}
			if err := clusterInfoReady(info); err != nil {
				t.Errorf("node %s: %v", addr, err)
			}
		}

		rdb := c.Client(t)
		cc, ok := rdb.(*goredis.ClusterClient)
		if !ok {
			t.Fatalf("Client returned %T, want *goredis.ClusterClient", rdb)
		}
		// CLUSTER SHARDS needs Redis 7; CLUSTER SLOTS answers on every
		// version the tests may start.
		//lint:ignore SA1019 deliberately the command every Redis version has
		shards, err := cc.ClusterSlots(ctx).Result()
		if err != nil {
			t.Fatalf("CLUSTER SLOTS: %v", err)
		}
		covered := 0
		masters := map[string]bool{}
		for _, s := range shards {
			covered += s.End - s.Start + 1
			if len(s.Nodes) != 1 {
				t.Errorf("slots %d-%d served by %d nodes, want one master and no replica", s.Start, s.End, len(s.Nodes))
			}
			for _, n := range s.Nodes {
				masters[n.Addr] = true
			}
		}
		if covered != clusterSlots {
			t.Errorf("CLUSTER SLOTS covers %d slots, want %d", covered, clusterSlots)
		}
		if len(masters) != 3 {
			t.Errorf("slots served by %v, want three masters", masters)
		}

		// Keys in different slots are written through the cluster
		// client and land on more than one master.
		for i := range 30 {
			if err := cc.Set(ctx, fmt.Sprintf("key-%d", i), i, 0).Err(); err != nil {
				t.Fatalf("SET key-%d: %v", i, err)
			}
		}
		holding := 0
		for _, addr := range addrs {
			node := goredis.NewClient(&goredis.Options{Addr: addr})
			n, err := node.DBSize(ctx).Result()
			node.Close()
			if err != nil {
				t.Fatalf("DBSIZE on %s: %v", addr, err)
			}
			if n > 0 {
				holding++
			}
		}
		if holding < 2 {
			t.Errorf("30 keys landed on %d node(s), want them spread over the cluster", holding)
		}
		if got := cc.Get(ctx, "key-7").Val(); got != "7" {
			t.Errorf("GET key-7 = %q, want 7", got)
		}
	})
	// Cleanup of the subtest stopped every node.
	for _, addr := range addrs {
		d := net.Dialer{Timeout: time.Second}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		conn, err := d.DialContext(ctx, "tcp", addr)
		cancel()
		if err == nil {
			conn.Close()
			t.Errorf("node %s still accepts connections after the test ended", addr)
		}
	}
}

func TestClusterInfoReady(t *testing.T) {
	ok := "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\ncluster_known_nodes:3\r\ncluster_size:3\r\n"
	tests := []struct {
		name   string
		info   string
		wantOK bool
	}{
		{"ready", ok, true},
		{"state fail", "cluster_state:fail\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_known_nodes:3\r\ncluster_size:3\r\n", false},
		{"slots missing", "cluster_state:ok\r\ncluster_slots_assigned:10923\r\ncluster_slots_ok:10923\r\ncluster_known_nodes:3\r\ncluster_size:3\r\n", false},
		{"node unknown", "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_known_nodes:2\r\ncluster_size:2\r\n", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := clusterInfoReady(tc.info)
			if (err == nil) != tc.wantOK {
				t.Fatalf("clusterInfoReady = %v, want ok %v", err, tc.wantOK)
			}
		})
	}
}
