package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// startServerEverything starts @modelcontextprotocol/server-everything (the
// MCP project's reference server, pinned in package.json) in streamable
// HTTP mode on a free port and returns its endpoint,
// http://127.0.0.1:PORT/mcp. It gets only PATH and PORT: its get-env tool
// returns its whole environment. Cleanup stops it and saves its output to
// <out>/server-everything.log.
func startServerEverything(t *testing.T, tc toolchain, out string) string {
	t.Helper()
	entry := filepath.Join(tc.dir, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	if _, err := os.Stat(entry); err != nil {
		t.Fatalf("server-everything is not installed (npm ci in e2e): %v", err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tc.node, entry, "streamableHttp")
	cmd.Dir = out
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), fmt.Sprintf("PORT=%d", port)}
	c, err := startChild(cmd)
	if err != nil {
		t.Fatalf("server-everything: %v", err)
	}
	t.Cleanup(func() {
		c.stop()
		if err := os.WriteFile(filepath.Join(out, "server-everything.log"), []byte(c.stderr.String()), 0o644); err != nil {
			t.Errorf("saving server-everything's log: %v", err)
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return "http://" + addr + "/mcp"
		}
		select {
		case <-c.done:
			t.Fatalf("server-everything exited before it listened (%v):\n%s", c.waitErr, c.stderr.String())
		case <-ctx.Done():
			t.Fatalf("server-everything did not listen on %s within %v:\n%s", addr, startTimeout, c.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestGatewayServerEverything puts a real third-party MCP server behind
// `mcpgate serve` in gateway mode (MCPGATE_BACKEND_URL):
// @modelcontextprotocol/server-everything over streamable HTTP, driven by
// the TypeScript SDK client through the whole sign-in at mcpgate
// (ts-sdk-gateway.mjs). "full" has the default scopes: the backend's tools
// instead of the built-in ones, echo, get-sum and progress notifications
// streamed through. "read-only" starts clients with mcp:read (as
// TestStepUp): only the tools server-everything annotates readOnlyHint:
// true are listed, and a call of another gets 403 insufficient_scope.
// server-everything ignores Authorization; what is proven is mcpgate's side:
// sign-in, forwarding, streaming and the scope policy.
func TestGatewayServerEverything(t *testing.T) {
	tc := needToolchain(t)
	tests := []struct {
		name     string
		config   string
		readOnly bool
	}{
		{name: "full"},
		{name: "read-only", config: stepUpConfig, readOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := outputDir(t, tc)
			backend := startServerEverything(t, tc, out)
			gw := startServe(t, tc, out, func(*testing.T, int) serveOptions {
				return serveOptions{Config: tt.config, Env: []string{"MCPGATE_BACKEND_URL=" + backend}}
			})
			var extra []string
			if tt.readOnly {
				extra = append(extra, "--read-only")
			}
			res := runScript(t, tc, gw, out, "ts-sdk-gateway.mjs", extra...)
			mustSucceed(t, res, out)
			var got struct {
				Steps struct {
					Connect struct {
						ServerInfo struct {
							Name string `json:"name"`
						} `json:"serverInfo"`
						Scope []string `json:"scope"`
					} `json:"connect"`
					Tools    []string `json:"tools"`
					Progress []int    `json:"progress"`
					Refused  struct {
						Status int    `json:"status"`
						Error  string `json:"error"`
					} `json:"refused"`
				} `json:"steps"`
				Requests []string `json:"requests"`
			}
			res.decode(t, &got)
			if name := got.Steps.Connect.ServerInfo.Name; !strings.Contains(name, "everything") {
				t.Errorf("serverInfo.name = %q, want server-everything's", name)
			}
			if slices.Contains(got.Steps.Tools, "get_me") || !slices.Contains(got.Steps.Tools, "echo") {
				t.Errorf("tools = %v, want server-everything's (echo) and no built-in tool", got.Steps.Tools)
			}
			if len(got.Steps.Progress) != 3 {
				t.Errorf("progress notifications = %v, want 3", got.Steps.Progress)
			}
			wantScope := []string{"mcp:read", "mcp:write"}
			if tt.readOnly {
				wantScope = []string{"mcp:read"}
				if got.Steps.Refused.Status != 403 || got.Steps.Refused.Error != "insufficient_scope" {
					t.Errorf("refused call = %+v, want 403 insufficient_scope", got.Steps.Refused)
				}
				if slices.Contains(got.Steps.Tools, "toggle-simulated-logging") {
					t.Errorf("a read-only grant lists toggle-simulated-logging (readOnlyHint: false): %v", got.Steps.Tools)
				}
			}
			if !slices.Equal(got.Steps.Connect.Scope, wantScope) {
				t.Errorf("granted scope = %v, want %v", got.Steps.Connect.Scope, wantScope)
			}
			for _, want := range []string{"POST /mcp 401", "POST /register 201", "POST /token(authorization_code) 200"} {
				if !slices.Contains(got.Requests, want) {
					t.Errorf("no %q among the client's requests:\n%s", want, strings.Join(got.Requests, "\n"))
				}
			}
		})
	}
}

// TestGatewayServerEverythingMCPRemote is the same gateway with mcp-remote,
// the stdio proxy of Claude Desktop and other stdio-only hosts
// (mcp-remote.mjs --backend everything): its own OAuth through $BROWSER,
// then initialize (answered by server-everything), tools/list (its tools)
// and tools/call echo over its stdio.
func TestGatewayServerEverythingMCPRemote(t *testing.T) {
	tc := needToolchain(t)
	out := outputDir(t, tc)
	backend := startServerEverything(t, tc, out)
	gw := startServe(t, tc, out, func(*testing.T, int) serveOptions {
		return serveOptions{Env: []string{"MCPGATE_BACKEND_URL=" + backend}}
	})
	res := runScript(t, tc, gw, out, "mcp-remote.mjs", "--backend", "everything")
	mustSucceed(t, res, out)
	var got struct {
		Tools      []string `json:"tools"`
		Echo       string   `json:"echo"`
		ServerInfo struct {
			Name string `json:"name"`
		} `json:"serverInfo"`
		BrowserHops int `json:"browserHops"`
	}
	res.decode(t, &got)
	if !strings.Contains(got.ServerInfo.Name, "everything") {
		t.Errorf("serverInfo.name = %q, want server-everything's", got.ServerInfo.Name)
	}
	if !slices.Contains(got.Tools, "echo") || slices.Contains(got.Tools, "get_me") {
		t.Errorf("tools = %v, want server-everything's (echo) and no built-in tool", got.Tools)
	}
	if got.Echo != "Echo: through mcp-remote and mcpgate" {
		t.Errorf("echo = %q", got.Echo)
	}
	if got.BrowserHops < 4 {
		t.Errorf("the browser took %d hops; consent, sign-in and callback take at least 4", got.BrowserHops)
	}
}
