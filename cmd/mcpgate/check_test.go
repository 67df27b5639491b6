package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc/fakeoidctest"
)

// clearConfigEnv empties every variable the configuration reads (an empty
// variable counts as unset) and leaves a directory without .env, so that a
// test sees only the configuration it writes.
func clearConfigEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{
		"MCPGATE_ADDR", "MCPGATE_PUBLIC_URL", "MCPGATE_REDIS_URL", "MCPGATE_SECRET", "MCPGATE_PREVIOUS_SECRETS",
		"GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "GITHUB_BASE_URL", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET",
		"GOOGLE_HOSTED_DOMAIN", "OIDC_ISSUER_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_DISPLAY_NAME",
		"MCPGATE_ALLOWED_ORIGINS", "MCPGATE_LOG_LEVEL", "MCPGATE_LOG_FORMAT",
		"MCPGATE_TLS_CERT_FILE", "MCPGATE_TLS_KEY_FILE",
	} {
		t.Setenv(name, "")
	}
	t.Chdir(t.TempDir())
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const checkSecret = "c9b9cfa964f8c1069b39ac3f02f8838e179eee179aff5be5176f0b1db0cc9fd2"

// checkCase is a configuration for `mcpgate check` and what it must (and
// must not) print; ok is whether it passes.
type checkCase struct {
	name   string
	yaml   string
	ok     bool
	want   []string
	absent []string
}

func TestCheckCommand(t *testing.T) {
	redisSrv := redistest.Start(t)
	gh := fakegithubtest.NewServer(t, fakegithub.Options{Enterprise: true, ClientID: "gh-client", ClientSecret: "gh-secret"})
	idp := fakeoidctest.NewServer(t, fakeoidc.Options{ClientID: "corp", ClientSecret: "corp-secret"})
	wrongIssuer := fakeoidctest.NewServer(t, fakeoidc.Options{ClientID: "corp", ClientSecret: "corp-secret", Issuer: "https://elsewhere.example"})
	down := "http://" + closedAddr(t)

	type setup struct{ redisURL, ghURL, ghSecret, oidcURL string }
	good := setup{redisURL: redisSrv.URL, ghURL: gh.URL, ghSecret: "gh-secret", oidcURL: idp.Issuer()}
	yamlOf := func(s setup) string {
		y := "public_url: http://localhost:8080\n" +
			"secret: " + checkSecret + "\n" +
			"github: {client_id: gh-client, client_secret: " + s.ghSecret + ", base_url: " + s.ghURL + "}\n" +
			"oidc: {issuer_url: " + s.oidcURL + ", client_id: corp, client_secret: corp-secret}\n"
		if s.redisURL != "" {
			y += "redis: {url: \"" + s.redisURL + "\"}\n"
		}
		return y
	}
	with := func(f func(*setup)) string {
		s := good
		f(&s)
		return yamlOf(s)
	}

	tests := []checkCase{
		{
			name: "everything reachable",
			yaml: yamlOf(good),
			ok:   true,
			want: []string{
				"ok    configuration is valid",
				"public URL      http://localhost:8080",
				"MCP URL         http://localhost:8080/mcp",
				"ok    store: redis at " + redisSrv.URL + " answers PING",
				"ok    provider github (GitHub Enterprise (" + strings.TrimPrefix(gh.URL, "http://") + ")): API " + gh.URL + "/api/v3/meta answers; GitHub accepts the client ID and secret",
				"callback URL to register: http://localhost:8080/oauth/callback/github",
				"ok    provider oidc (",
				"discovery document of " + idp.Issuer() + " read",
				"callback URL to register: http://localhost:8080/oauth/callback/oidc",
				"ok    tools: ",
				"get_me",
				"all checks passed",
			},
			absent: []string{"FAIL", checkSecret, "gh-secret", "corp-secret"},
		},
		{
			name: "in-memory store and flags after nothing",
			yaml: with(func(s *setup) { s.redisURL = "" }),
			ok:   true,
			want: []string{"warn  store: in-memory", "all checks passed"},
		},
		{
			name:   "wrong GitHub secret",
			yaml:   with(func(s *setup) { s.ghSecret = "not-the-secret" }),
			want:   []string{"FAIL  provider github", "incorrect_client_credentials", "1 problem(s) found"},
			absent: []string{"not-the-secret"},
		},
		{
			name: "unreachable store",
			yaml: with(func(s *setup) { s.redisURL = "redis://" + closedAddr(t) + "/0?dial_timeout=1s&max_retries=-1" }),
			want: []string{"FAIL  store: redis at redis://127.0.0.1:", "does not answer PING", "1 problem(s) found"},
		},
		{
			name: "unreachable GitHub",
			yaml: with(func(s *setup) { s.ghURL = down }),
			want: []string{"FAIL  provider github", down + "/api/v3/meta", "callback URL to register: http://localhost:8080/oauth/callback/github"},
		},
		{
			name: "OIDC issuer mismatch",
			yaml: with(func(s *setup) { s.oidcURL = wrongIssuer.Issuer() }),
			want: []string{"FAIL  provider oidc", "callback URL to register: http://localhost:8080/oauth/callback/oidc"},
		},
		{
			name: "unknown key",
			yaml: yamlOf(good) + "listen: 1\n",
			want: []string{"FAIL  configuration:", `unknown key "listen"`},
		},
		{
			name: "invalid configuration",
			yaml: "public_url: ftp://example.com\ngithub: {client_id: x}\n",
			want: []string{"FAIL  configuration: invalid configuration:", "MCPGATE_PUBLIC_URL", "GITHUB_CLIENT_SECRET is empty"},
		},
		{
			name:   "tools as configured",
			yaml:   yamlOf(good) + "tools: {toolsets: [issues], read_only: true}\n",
			ok:     true,
			want:   []string{"ok    tools: ", "issue_read", "all checks passed"},
			absent: []string{"issue_write", "get_file_contents"},
		},
		{
			name: "tool groups",
			yaml: yamlOf(good) + "tools: {toolsets: [issues], read_only: true, groups: [{name: staff, members: {github_orgs: [my-org]}, toolsets: [issues]}]}\n",
			ok:   true,
			want: []string{"ok    tools: ", "ok    tool group staff (", "issue_write", "all checks passed"},
		},
		{
			name: "gateway and named backends",
			yaml: yamlOf(good) + "backend_url: http://127.0.0.1:8082/\n" +
				"backends: [{name: corp, url: http://127.0.0.1:9000/mcp, credential: identity}]\n",
			ok: true,
			want: []string{
				"ok    gateway: http://localhost:8080/mcp forwards to http://127.0.0.1:8082/",
				"ok    backend corp: http://localhost:8080/mcp/corp forwards to http://127.0.0.1:9000/mcp",
			},
			absent: []string{"ok    tools: "},
		},
		{
			name: "port mismatch warns",
			yaml: yamlOf(good) + "addr: 127.0.0.1:9090\n",
			ok:   true,
			want: []string{"warn  MCPGATE_ADDR 127.0.0.1:9090 listens on port 9090 but MCPGATE_PUBLIC_URL http://localhost:8080 is port 8080", "MCPGATE_PUBLIC_URL=http://localhost:9090", "all checks passed"},
		},
	}
	tlsDir := t.TempDir()
	certFile, keyFile := filepath.Join(tlsDir, "cert.pem"), filepath.Join(tlsDir, "key.pem")
	selfSignedUntil(t, "localhost", certFile, keyFile, time.Now(), time.Now().Add(90*24*time.Hour))
	soonFile, soonKey := filepath.Join(tlsDir, "soon.pem"), filepath.Join(tlsDir, "soon-key.pem")
	selfSigned(t, "localhost", soonFile, soonKey, time.Now())
	tests = append(tests, checkCase{
		name: "direct TLS",
		yaml: strings.Replace(yamlOf(good), "http://localhost:8080", "https://127.0.0.1:8080", 1) +
			"addr: 127.0.0.1:8080\ntls: {cert_file: " + certFile + ", key_file: " + keyFile + "}\n",
		ok:   true,
		want: []string{"ok    TLS: HTTPS on 127.0.0.1:8080 with the certificate for 127.0.0.1, valid until", "callback URL to register: https://127.0.0.1:8080/oauth/callback/github"},
	}, checkCase{
		name: "TLS certificate about to expire",
		yaml: strings.Replace(yamlOf(good), "http://localhost:8080", "https://localhost:8080", 1) +
			"addr: 127.0.0.1:8080\ntls: {cert_file: " + soonFile + ", key_file: " + soonKey + "}\n",
		ok:   true,
		want: []string{"warn  TLS: the certificate for 127.0.0.1 expires at", "warn  TLS: the certificate does not name the public URL's host localhost"},
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearConfigEnv(t)
			path := writeFile(t, "config.yaml", tt.yaml)
			var out, errOut bytes.Buffer
			// The flag after the command name's position is the point:
			// check parses flags anywhere.
			err := run(context.Background(), []string{"check", "-timeout", "5s", "-config", path}, &out, &errOut)
			if tt.ok && err != nil {
				t.Fatalf("check failed: %v\n%s%s", err, out.String(), errOut.String())
			}
			if !tt.ok {
				if !errors.Is(err, errCheckFailed) {
					t.Fatalf("check: %v, want errCheckFailed\n%s", err, out.String())
				}
				if exitCode(err) == 0 {
					t.Errorf("exit status 0 for a failed check")
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(out.String()+errOut.String(), a) {
					t.Errorf("output contains %q:\n%s", a, out.String())
				}
			}
		})
	}
}

func TestPortMismatch(t *testing.T) {
	tests := []struct {
		addr, public string
		warn         bool
	}{
		{"127.0.0.1:8080", "http://localhost:8080", false},
		{"127.0.0.1:9090", "http://localhost:8080", true},
		{"0.0.0.0:9090", "http://127.0.0.1:8080", true},
		{"[::1]:8443", "https://localhost", true},
		{"127.0.0.1:443", "https://localhost", false},
		{"127.0.0.1:0", "http://localhost:8080", false},    // a random port: nothing to compare
		{"0.0.0.0:8080", "https://mcp.example.com", false}, // not a loopback deployment
		{"10.0.0.5:9090", "http://localhost:8080", false},  // listens elsewhere: a proxy's business
	}
	for _, tt := range tests {
		cfg := validConfig()
		cfg.Addr, cfg.PublicURL = tt.addr, tt.public
		if got := portMismatch(cfg); (got != "") != tt.warn {
			t.Errorf("portMismatch(%s, %s) = %q, want warning %v", tt.addr, tt.public, got, tt.warn)
		}
	}
}
