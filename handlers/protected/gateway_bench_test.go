package protected

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkGatewayToolsCall compares an authenticated tools/call through
// the gateway with the same call made directly to the go-sdk backend (a
// stateless JSON backend; each iteration is one HTTP request), at 16 and
// 64 concurrent clients. Run:
//
//	go test ./handlers/protected -run '^$' -bench GatewayToolsCall -benchtime 3s
func BenchmarkGatewayToolsCall(b *testing.B) {
	for _, conns := range []int{16, 64} {
		for _, via := range []string{"direct", "gateway"} {
			b.Run(fmt.Sprintf("%s/conns=%d", via, conns), func(b *testing.B) {
				backend := newGWBackend(b, gwBackendOptions{json: true})
				f := newGWFixture(b, backend.srv.URL+"/mcp")
				tok := f.signIn(b, "github:1", "up-alice", gwRead, gwWrite)
				url, bearer := f.srv.URL+"/mcp", tok
				if via == "direct" {
					url, bearer = backend.srv.URL+"/mcp", "up-alice"
				}
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
				const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo_auth","arguments":{}}}`
				b.SetParallelism((conns + 1) / 2)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Accept", "application/json, text/event-stream")
						req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
						req.Header.Set("Authorization", "Bearer "+bearer)
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						if resp.StatusCode != http.StatusOK {
							b.Errorf("status %d", resp.StatusCode)
						}
						drain(resp)
					}
				})
			})
		}
	}
}
