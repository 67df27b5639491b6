package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// BenchmarkMCPRequest measures one MCP request through the whole server
// over loopback HTTP, on each store, so that one run reports the costs as
// ratios. The requests are raw JSON-RPC posts (a stateless server needs no
// session), so the client's own work stays out of the numbers:
//
//   - ping: the bearer check (one store read, one unwrap of the data key)
//     and the MCP machinery; the baseline;
//   - tools_list: the same with the largest response (every tool's schemas);
//   - whoami: a tool call that needs nothing but the caller (the go-sdk's
//     tool-call path, schema validation, structured output);
//   - get_me: a tool call: the baseline plus opening the grant's upstream
//     token from the grant the bearer check read, and one call to the fake GitHub.
//
// Run with: go test -run '^$' -bench BenchmarkMCPRequest ./cmd/mcpgate
func BenchmarkMCPRequest(b *testing.B) {
	stores := []struct {
		name  string
		redis bool
	}{
		{"memory", false},
		{"redis", true},
	}
	ops := []struct {
		name string
		body string
	}{
		{"ping", `{"jsonrpc":"2.0","id":1,"method":"ping"}`},
		{"tools_list", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`},
		{"whoami", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`},
		{"get_me", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_me","arguments":{}}}`},
	}
	for _, st := range stores {
		b.Run("store="+st.name, func(b *testing.B) {
			ctx := context.Background()
			fake := fakegithubtest.NewServer(b, fakegithub.Options{
				ClientID: "gh-client", ClientSecret: "gh-client-secret",
				AppTokens: true, AutoApprove: true, Enterprise: true,
			})
			o := gatewayOptions{fake: fake, logLevel: "error"}
			if st.redis {
				o.redisURL = redistest.Start(b).URL
			}
			gw := startGateway(b, o)
			c := registerClient(ctx, b, gw.URL, "")
			tok := c.signIn(ctx, b, gw.PublicURL, gw.URL)
			client := &http.Client{}
			for _, op := range ops {
				b.Run("op="+op.name, func(b *testing.B) {
					for b.Loop() {
						benchPost(b, client, gw.URL+"/mcp", tok.AccessToken, op.body)
					}
				})
			}
		})
	}
}

// benchPost posts one JSON-RPC message and checks that it got a result.
func benchPost(b *testing.B, client *http.Client, endpoint, token, body string) {
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader([]byte(body)))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"result":`)) || bytes.Contains(out, []byte(`"isError":true`)) {
		b.Fatalf("%s: %d %v %s", body, resp.StatusCode, err, out)
	}
}

// BenchmarkRefresh measures the refresh grant with rotation through the
// whole server over loopback HTTP, on each store: each iteration uses the
// refresh token the previous one returned, as a client does.
//
// Run with: go test -run '^$' -bench BenchmarkRefresh ./cmd/mcpgate
func BenchmarkRefresh(b *testing.B) {
	for _, redis := range []bool{false, true} {
		name := "store=memory"
		if redis {
			name = "store=redis"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			fake := fakegithubtest.NewServer(b, fakegithub.Options{
				ClientID: "gh-client", ClientSecret: "gh-client-secret",
				AppTokens: true, AutoApprove: true, Enterprise: true,
			})
			o := gatewayOptions{fake: fake, logLevel: "error", configure: func(cfg *config.Config) {
				// Off, as the TypeScript server's are in scripts/bench.
				cfg.Limits.TokenPerClient = config.RateConfig{}
				cfg.Limits.TokenPerIP = config.RateConfig{}
			}}
			if redis {
				o.redisURL = redistest.Start(b).URL
			}
			gw := startGateway(b, o)
			c := registerClient(ctx, b, gw.URL, "")
			rt := c.signIn(ctx, b, gw.PublicURL, gw.URL).RefreshToken
			for b.Loop() {
				answer, tok := c.refresh(ctx, b, gw.URL, rt)
				if answer.Status != http.StatusOK || tok.RefreshToken == "" {
					b.Fatalf("refresh: %d %s", answer.Status, answer.Body)
				}
				rt = tok.RefreshToken
			}
		})
	}
}
