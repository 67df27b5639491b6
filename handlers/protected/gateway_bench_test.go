package protected

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkGatewayToolsCall compares an authenticated tools/call through
// the gateway with the same call made directly to the go-sdk backend (a
// stateless JSON backend; each iteration is one HTTP request), with one
// client making one request at a time, and at 16 and 64 concurrent
// clients. Besides ns/op it reports each request's latency
// at the median and the 99th percentile (p50-ms, p99-ms): the gateway's
// p99 minus the direct p99 of the same run is the latency mcpgate adds.
// The gateway logs at Info, as in production (the fixture's Debug log
// would write a line per request). Run:
//
//	go test ./handlers/protected -run '^$' -bench GatewayToolsCall -benchtime 3s -count 3
func BenchmarkGatewayToolsCall(b *testing.B) {
	quiet := func(g *Gateway) {
		g.Logger = slog.New(slog.DiscardHandler)
		g.Upstream.(*UpstreamTokens).Logger = g.Logger
	}
	for _, conns := range []int{1, 16, 64} {
		for _, via := range []string{"direct", "gateway"} {
			b.Run(fmt.Sprintf("%s/conns=%d", via, conns), func(b *testing.B) {
				backend := newGWBackend(b, gwBackendOptions{json: true})
				f := newGWFixture(b, backend.srv.URL+"/mcp", quiet)
				tok := f.signIn(b, "github:1", "up-alice", gwRead, gwWrite)
				url, bearer := f.srv.URL+"/mcp", tok
				if via == "direct" {
					url, bearer = backend.srv.URL+"/mcp", "up-alice"
				}
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
				const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo_auth","arguments":{}}}`
				call := func() time.Duration {
					start := time.Now()
					req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Accept", "application/json, text/event-stream")
					req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
					req.Header.Set("Authorization", "Bearer "+bearer)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return 0
					}
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
					}
					drain(resp)
					return time.Since(start)
				}
				var mu sync.Mutex
				var latencies []time.Duration
				b.ResetTimer()
				if conns == 1 {
					// One client, one request at a time: the latency the
					// gateway adds, without queueing.
					for range b.N {
						latencies = append(latencies, call())
					}
				} else {
					b.SetParallelism((conns + 1) / 2)
					b.RunParallel(func(pb *testing.PB) {
						var mine []time.Duration
						for pb.Next() {
							mine = append(mine, call())
						}
						mu.Lock()
						latencies = append(latencies, mine...)
						mu.Unlock()
					})
				}
				b.StopTimer()
				slices.Sort(latencies)
				if n := len(latencies); n > 0 {
					b.ReportMetric(float64(latencies[n/2])/1e6, "p50-ms")
					b.ReportMetric(float64(latencies[n*99/100])/1e6, "p99-ms")
				}
			})
		}
	}
}
