package main

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

func TestLoadMCPYAML(t *testing.T) {
	tests := []struct {
		name, file string
		want       MCPConfig
	}{
		{"default", "", MCPConfig{Stateless: true, SessionTimeout: 30 * time.Minute}},
		{"stateful", "mcp:\n  stateless: false\n", MCPConfig{Stateless: false, SessionTimeout: 30 * time.Minute}},
		{"stateful with timeout", "mcp: {stateless: false, session_timeout: 5m}\n", MCPConfig{Stateless: false, SessionTimeout: 5 * time.Minute}},
		{"timeout from the environment", "mcp:\n  stateless: false\n  session_timeout: ${MCP_IDLE}\n", MCPConfig{Stateless: false, SessionTimeout: 90 * time.Second}},
		{"key without value keeps the default", "mcp:\n  stateless:\n", MCPConfig{Stateless: true, SessionTimeout: 30 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, "config.yaml", tt.file)
			}
			cfg, err := Load(path, envMap(map[string]string{"MCP_IDLE": "90s"}))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MCP != tt.want {
				t.Errorf("mcp = %+v, want %+v", cfg.MCP, tt.want)
			}
		})
	}
	_, err := Load(writeFile(t, "config.yaml", "mcp:\n  sessions: true\n"), envMap(nil))
	if err == nil || !strings.Contains(err.Error(), `unknown key "sessions" in mcp (valid keys: session_timeout, stateless)`) {
		t.Errorf("unknown key in mcp: %v", err)
	}
}

func TestValidateMCP(t *testing.T) {
	tests := []struct {
		name string
		mcp  MCPConfig
		want string // "" means valid
	}{
		{"stateless default", defaultMCP(), ""},
		{"stateless ignores the timeout", MCPConfig{Stateless: true, SessionTimeout: 0}, ""},
		{"stateful", MCPConfig{SessionTimeout: time.Hour}, ""},
		{"stateful without timeout", MCPConfig{SessionTimeout: 0},
			"mcp.session_timeout must be at least 1s when mcp.stateless is false, such as 30m: got 0s"},
		{"stateful negative timeout", MCPConfig{SessionTimeout: -time.Minute},
			"mcp.session_timeout must be at least 1s when mcp.stateless is false, such as 30m: got -1m0s"},
		{"stateful sub-second timeout", MCPConfig{SessionTimeout: time.Millisecond},
			"mcp.session_timeout must be at least 1s when mcp.stateless is false, such as 30m: got 1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.MCP = tt.mcp
			err := cfg.Validate()
			var verr *ValidationError
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want == "":
			case !errors.As(err, &verr) || !reflect.DeepEqual(verr.Problems, []string{tt.want}):
				t.Fatalf("Validate = %v, want exactly %q", err, tt.want)
			}
		})
	}
}

func TestMCPHandlerSessions(t *testing.T) {
	tests := []struct {
		mcp          MCPConfig
		wantStateful bool
		wantTimeout  time.Duration
	}{
		{MCPConfig{Stateless: true, SessionTimeout: time.Hour}, false, 0},
		{MCPConfig{Stateless: false, SessionTimeout: time.Hour}, true, time.Hour},
	}
	for _, tt := range tests {
		stateful, timeout := tt.mcp.handlerSessions()
		if stateful != tt.wantStateful || timeout != tt.wantTimeout {
			t.Errorf("%+v.handlerSessions() = %v, %s; want %v, %s", tt.mcp, stateful, timeout, tt.wantStateful, tt.wantTimeout)
		}
	}
}

// TestMCPTransportWiring checks that mcp.stateless reaches /mcp: a stateful
// gateway gives the go-sdk client a session at protocol 2025-11-25, the
// default gives none and negotiates 2026-07-28; a GitHub tool works either
// way.
func TestMCPTransportWiring(t *testing.T) {
	tests := []struct {
		name        string
		stateless   bool
		wantSession bool
		wantVersion string
	}{
		{"stateless", true, false, "2026-07-28"},
		{"stateful", false, true, "2025-11-25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			fake := fakegithubtest.NewServer(t, fakegithub.Options{ClientID: "gh-client", ClientSecret: "gh-client-secret", AutoApprove: true, Enterprise: true})
			gw := startGateway(t, gatewayOptions{fake: fake, configure: func(cfg *Config) { cfg.MCP.Stateless = tt.stateless }})
			c := registerClient(ctx, t, gw.URL, "")
			tok := c.signIn(ctx, t, gw.PublicURL, gw.URL)
			cs, err := connectWithToken(ctx, t, gw.URL+"/mcp", tok.AccessToken)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer cs.Close()
			if got := cs.ID() != ""; got != tt.wantSession {
				t.Errorf("session ID %q, want a session: %v", cs.ID(), tt.wantSession)
			}
			if v := cs.InitializeResult().ProtocolVersion; v != tt.wantVersion {
				t.Errorf("protocol version %q, want %s", v, tt.wantVersion)
			}
			// get_me reads the caller from the request's token and calls
			// the fake GitHub with that grant's upstream token.
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_me"})
			if err != nil || res.IsError || !strings.Contains(callText(t, res), "mona") {
				t.Errorf("get_me: %v %q, want the fake GitHub's user mona", err, callText(t, res))
			}
		})
	}
}
