package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
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
		stateful, timeout := tt.mcp.HandlerSessions()
		if stateful != tt.wantStateful || timeout != tt.wantTimeout {
			t.Errorf("%+v.HandlerSessions() = %v, %s; want %v, %s", tt.mcp, stateful, timeout, tt.wantStateful, tt.wantTimeout)
		}
	}
}
