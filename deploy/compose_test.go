package deploy_test

import (
	"bufio"
	"bytes"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of the Compose specification that compose.yaml
// uses. Decoding is strict: a key the struct does not name (a typo, or a
// setting the test has not been taught) fails the test.
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Networks map[string]struct {
		Internal bool `yaml:"internal"`
	} `yaml:"networks"`
	Volumes    map[string]struct{} `yaml:"volumes"`
	Extensions map[string]any      `yaml:",inline"` // x-… anchors only
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command []string `yaml:"command"`
	Restart string   `yaml:"restart"`
	EnvFile []struct {
		Path     string `yaml:"path"`
		Required bool   `yaml:"required"`
	} `yaml:"env_file"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   yaml.Node         `yaml:"depends_on"`
	Networks    []string          `yaml:"networks"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Healthcheck *struct {
		Test     []string `yaml:"test"`
		Interval string   `yaml:"interval"`
		Timeout  string   `yaml:"timeout"`
		Retries  int      `yaml:"retries"`
	} `yaml:"healthcheck"`
	ReadOnly        bool     `yaml:"read_only"`
	User            string   `yaml:"user"`
	CapDrop         []string `yaml:"cap_drop"`
	SecurityOpt     []string `yaml:"security_opt"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
}

// dependsOn returns the services s waits for, with their condition
// ("service_started" for the short list form).
func (s composeService) dependsOn(t *testing.T) map[string]string {
	t.Helper()
	deps := map[string]string{}
	switch s.DependsOn.Kind {
	case 0:
	case yaml.SequenceNode:
		var names []string
		if err := s.DependsOn.Decode(&names); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			deps[n] = "service_started"
		}
	default:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := s.DependsOn.Decode(&m); err != nil {
			t.Fatal(err)
		}
		for n, d := range m {
			deps[n] = d.Condition
		}
	}
	return deps
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var f composeFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for k := range f.Extensions {
		if !strings.HasPrefix(k, "x-") {
			t.Errorf("compose.yaml: unknown top-level key %q", k)
		}
	}
	return f
}

// mcpgateVariables returns the names of every environment variable mcpgate
// reads: ../.env.example lists each one, set or commented out.
func mcpgateVariables(t *testing.T) map[string]bool {
	t.Helper()
	names := envFileNames(t, filepath.Join("..", ".env.example"), true)
	if len(names) < 10 {
		t.Fatalf("../.env.example names only %d variables; the test reads the list of mcpgate's variables from it", len(names))
	}
	return names
}

// envFileNames returns the names an env file sets (with commented, also
// those it mentions as `# NAME=`), with their values.
func envFileNames(t *testing.T, path string, commented bool) map[string]bool {
	t.Helper()
	vals := envFile(t, path, commented)
	names := map[string]bool{}
	for k := range vals {
		names[k] = true
	}
	return names
}

func envFile(t *testing.T, path string, commented bool) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "#"); ok {
			if !commented {
				continue
			}
			line = strings.TrimSpace(rest)
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.Trim(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			continue
		}
		vals[k] = v
	}
	return vals
}

// mcpgateReplicas returns the services built from ../Dockerfile.
func mcpgateReplicas(f composeFile) []string {
	var names []string
	for name, s := range f.Services {
		if s.Build != nil && filepath.Clean(s.Build.Context) == ".." && s.Build.Dockerfile == "Dockerfile" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func TestComposeRedis(t *testing.T) {
	f := readCompose(t)
	r, ok := f.Services["redis"]
	if !ok {
		t.Fatalf("compose.yaml has no redis service (services: %v)", mapKeys(f.Services))
	}
	if i := slices.Index(r.Command, "--appendonly"); i < 0 || i+1 >= len(r.Command) || r.Command[i+1] != "yes" {
		t.Errorf("redis command %q: want --appendonly yes (grants and registrations survive a restart)", r.Command)
	}
	var data string
	for _, v := range r.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == "/data" {
			data = parts[0]
		}
	}
	if _, named := f.Volumes[data]; !named {
		t.Errorf("redis volumes %q: want a named volume (declared under volumes:) at /data", r.Volumes)
	}
	if r.Healthcheck == nil || !slices.Equal(r.Healthcheck.Test, []string{"CMD", "redis-cli", "ping"}) {
		t.Errorf("redis healthcheck: want [CMD redis-cli ping], got %+v", r.Healthcheck)
	}
	if len(r.Ports) > 0 {
		t.Errorf("redis publishes ports %q: the store must be reachable only by mcpgate", r.Ports)
	}
	for _, n := range r.Networks {
		if !f.Networks[n].Internal {
			t.Errorf("redis is on network %q, which is not internal", n)
		}
	}
}

func TestComposeReplicas(t *testing.T) {
	f := readCompose(t)
	spec := dockerfileSpec(t)
	known := mcpgateVariables(t)
	replicas := mcpgateReplicas(f)
	if len(replicas) != 2 {
		t.Fatalf("services built from ../Dockerfile: %q, want two replicas", replicas)
	}
	first := f.Services[replicas[0]]
	for _, name := range replicas {
		s := f.Services[name]
		if len(s.EnvFile) != 1 || s.EnvFile[0].Path != ".env" || !s.EnvFile[0].Required {
			t.Errorf("%s env_file %+v: want the one required .env (both replicas share MCPGATE_SECRET through it)", name, s.EnvFile)
		}
		if !slices.Equal(envFileList(s), envFileList(first)) {
			t.Errorf("%s and %s read different env files: they would not share MCPGATE_SECRET", name, replicas[0])
		}
		for k := range s.Environment {
			if !known[k] {
				t.Errorf("%s sets %s, which mcpgate does not read (../.env.example)", name, k)
			}
		}
		for _, secret := range []string{"MCPGATE_SECRET", "GITHUB_CLIENT_SECRET", "GOOGLE_CLIENT_SECRET", "OIDC_CLIENT_SECRET"} {
			if _, inline := s.Environment[secret]; inline {
				t.Errorf("%s sets %s in compose.yaml; secrets belong in .env", name, secret)
			}
		}
		u, err := url.Parse(s.Environment["MCPGATE_REDIS_URL"])
		if err != nil || u.Scheme != "redis" || u.Hostname() != "redis" {
			t.Errorf("%s MCPGATE_REDIS_URL %q: want redis://redis:6379/…", name, s.Environment["MCPGATE_REDIS_URL"])
		}
		if cond := s.dependsOn(t)["redis"]; cond != "service_healthy" {
			t.Errorf("%s depends_on redis with %q, want service_healthy", name, cond)
		}
		if !s.ReadOnly || !slices.Equal(s.CapDrop, []string{"ALL"}) || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: read_only %v cap_drop %q security_opt %q; want a read-only root, no capabilities, no-new-privileges", name, s.ReadOnly, s.CapDrop, s.SecurityOpt)
		}
		if s.User != spec.user {
			t.Errorf("%s user %q: want the image's USER %q", name, s.User, spec.user)
		}
		if len(s.Ports) > 0 {
			t.Errorf("%s publishes ports %q: only Caddy faces clients", name, s.Ports)
		}
		if !slices.Contains(s.Networks, f.Services["redis"].Networks[0]) {
			t.Errorf("%s networks %q do not reach redis", name, s.Networks)
		}
	}
}

func envFileList(s composeService) []string {
	var paths []string
	for _, e := range s.EnvFile {
		paths = append(paths, e.Path)
	}
	return paths
}

// TestComposeEnvExample: the template of deploy/.env names only mcpgate's
// variables and carries no secret, and .env itself is ignored by git.
func TestComposeEnvExample(t *testing.T) {
	known := mcpgateVariables(t)
	vals := envFile(t, "env.example", true)
	for k, v := range vals {
		if !known[k] {
			t.Errorf("env.example: %s is not one of mcpgate's variables (../.env.example)", k)
		}
		if strings.Contains(k, "SECRET") && v != "" {
			t.Errorf("env.example: %s has a value; the template must hold none", k)
		}
	}
	if u, err := url.Parse(vals["MCPGATE_PUBLIC_URL"]); err != nil || u.Scheme != "https" {
		t.Errorf("env.example: MCPGATE_PUBLIC_URL %q: want an https:// origin (Caddy serves TLS for it)", vals["MCPGATE_PUBLIC_URL"])
	}
	if _, ok := vals["MCPGATE_SECRET"]; !ok {
		t.Errorf("env.example does not name MCPGATE_SECRET, which Redis requires")
	}
	ignore, err := os.ReadFile(".gitignore")
	if err != nil || !slices.Contains(strings.Fields(string(ignore)), ".env") {
		t.Errorf("deploy/.gitignore must ignore .env (%v)", err)
	}
}

func TestComposeCaddy(t *testing.T) {
	f := readCompose(t)
	spec := dockerfileSpec(t)
	c, ok := f.Services["caddy"]
	if !ok {
		t.Fatalf("compose.yaml has no caddy service")
	}
	if !slices.Contains(c.Ports, "443:443") {
		t.Errorf("caddy ports %q: want 443:443", c.Ports)
	}
	if !slices.Contains(c.Volumes, "./Caddyfile:/etc/caddy/Caddyfile:ro") {
		t.Errorf("caddy volumes %q: want ./Caddyfile mounted read-only at /etc/caddy/Caddyfile", c.Volumes)
	}
	if _, ok := c.Environment["MCPGATE_PUBLIC_URL"]; !ok {
		t.Errorf("caddy environment lacks MCPGATE_PUBLIC_URL, the Caddyfile's site address")
	}
	for k := range c.Environment {
		if strings.Contains(k, "SECRET") {
			t.Errorf("caddy is given %s; it needs no secret", k)
		}
	}

	port := strings.TrimSuffix(firstOr(spec.exposed, ""), "/tcp")
	var want []string
	for _, r := range mcpgateReplicas(f) {
		want = append(want, net.JoinHostPort(r, port))
		if _, waits := c.dependsOn(t)[r]; !waits {
			t.Errorf("caddy does not depend on %s", r)
		}
		if !slices.ContainsFunc(f.Services[r].Networks, func(n string) bool { return slices.Contains(c.Networks, n) }) {
			t.Errorf("caddy and %s share no network", r)
		}
	}
	checkCaddyfile(t, "https://mcp.example.com", want)
}
