package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMain lets the test binary play the benchmark's child roles (the
// floor and the fake GitHub), as the real binary does.
func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestSmokeRun runs the whole benchmark with tiny windows on the Go
// servers (the floor, the Redis floor, mcpgate on memory and on Redis)
// and the store-cost mode, and checks that every table row and ratio is
// there and that the store counts are plausible. It asserts nothing about
// speed. The TypeScript server is left to scripts/bench (it needs
// e2e/node_modules, which the e2e suite installs).
func TestSmokeRun(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "mcpgate")
	build := exec.Command("go", "build", "-o", bin, "github.com/mcpgate/mcpgate/cmd/mcpgate")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building mcpgate: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{
		"-mcpgate", bin, "-servers", "floor,floor-redis,mcpgate-memory,mcpgate-redis",
		"-rounds", "1", "-duration", "300ms", "-conns", "2",
		"-store-cost", "-cost-ops", "5", "-grants", "10", "-refreshes", "10",
		"-sessions", "20",
		"-workdir", filepath.Join(dir, "work"),
	}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	for _, row := range []string{
		"| go-sdk floor (no auth) | ping | 2 |",
		"| go-sdk floor (no auth) | tools/list | 2 |",
		"| go-sdk floor (no auth) | call echo | 2 |",
		"| go-sdk floor + 1 Redis GET | call echo | 2 |",
		"| go-sdk floor + 1 Redis GET | refresh public | 2 |",
		"| mcpgate (memory) | call whoami | 2 |",
		"| mcpgate (memory) | call get_me | 2 |",
		"| mcpgate (Redis) | ping | 2 |",
		"| mcpgate (Redis) | tools/list | 2 |",
		"| mcpgate (Redis) | call whoami | 2 |",
		"| mcpgate (Redis) | call get_me | 2 |",
		"| mcpgate (Redis) | refresh public | 2 |",
		"| mcpgate (Redis) | refresh confidential | 2 |",
		"| mcpgate (Redis) | tools/call whoami ÷ floor echo | 2 |",
		"| mcpgate (Redis) | ping ÷ floor ping | 2 |",
		"| mcpgate (Redis) | refresh ÷ two-round-trip Redis floor | 2 |",
		"| mcpgate (Redis) | confidential ÷ public refresh | 2 |",
		"| bytes per fresh grant (over 10 grants of one client) |",
		"| bytes of that grant after 10 refreshes, right after, within the grace window |",
		"| bytes of that grant after 10 refreshes, once the grace window has passed |",
		"| mcpgate RSS with 20 more live sessions (MB) |",
		"result: PASS",
	} {
		if !strings.Contains(out, row) {
			t.Errorf("no %q in the report:\n%s", row, out)
		}
	}
	if strings.Contains(out, "TypeScript echo") {
		t.Errorf("a ratio against the TypeScript server, which did not run:\n%s", out)
	}
	// Every MCP request reads the store at least once, and a refresh
	// writes; counts, not times, so they cannot flake.
	for _, p := range []string{pathPing, pathList, pathWhoami, pathGetMe, pathRefreshPub, pathRefreshConf} {
		m := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(p) + ` \| ([0-9.]+) \| ([0-9.]+) \|`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("no store-cost row for %s:\n%s", p, out)
			continue
		}
		trips, _ := strconv.ParseFloat(m[1], 64)
		cmds, _ := strconv.ParseFloat(m[2], 64)
		if trips < 1 || cmds < trips {
			t.Errorf("%s: %v round trips and %v commands per operation; want at least one, and no fewer commands than round trips", p, trips, cmds)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // a fragment of the error; "" for none
	}{
		{"defaults", nil, ""},
		{"smoke", []string{"-rounds", "1", "-duration", "2s"}, ""},
		{"store cost alone", []string{"-servers", "", "-store-cost"}, ""},
		{"sessions alone", []string{"-servers", "", "-sessions", "1000"}, ""},
		{"nothing to do", []string{"-servers", ""}, "nothing to do"},
		{"too many sessions", []string{"-servers", "", "-sessions", "1001"}, "-sessions"},
		{"unknown server", []string{"-servers", "floor,nginx"}, `unknown server "nginx"`},
		{"zero rounds", []string{"-rounds", "0"}, "-rounds"},
		{"bad conns", []string{"-conns", "16,x"}, `"x"`},
		{"too many conns", []string{"-conns", "100000"}, "-conns"},
		{"bad limits", []string{"-limits", "on"}, "-limits"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{1, 2, 9}, 2},
		{[]float64{1, 2, 4, 9}, 3},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
