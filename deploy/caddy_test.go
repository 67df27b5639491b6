package deploy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// caddyProxy is one reverse_proxy handler of the adapted configuration,
// with the paths its enclosing routes match (none: every path).
type caddyProxy struct {
	paths   []string
	handler struct {
		Upstreams []struct {
			Dial string `json:"dial"`
		} `json:"upstreams"`
		FlushInterval int64 `json:"flush_interval"`
		HealthChecks  struct {
			Active struct {
				URI          string `json:"uri"`
				Interval     int64  `json:"interval"`
				ExpectStatus int    `json:"expect_status"`
			} `json:"active"`
		} `json:"health_checks"`
		LoadBalancing struct {
			SelectionPolicy struct {
				Policy string `json:"policy"`
			} `json:"selection_policy"`
		} `json:"load_balancing"`
	}
}

// adaptCaddyfile turns the Caddyfile into Caddy's JSON configuration with
// Caddy's own parser (`caddy adapt`, which needs no network and starts no
// server), as `caddy run` would, with MCPGATE_PUBLIC_URL set to publicURL.
func adaptCaddyfile(t *testing.T, publicURL string) map[string]any {
	t.Helper()
	caddy, err := exec.LookPath("caddy")
	if err != nil {
		t.Fatalf("caddy is not in PATH: the Caddyfile is checked by Caddy's own parser; install Debian's caddy package (scripts/test does): %v", err)
	}
	cmd := exec.Command(caddy, "adapt", "--config", "Caddyfile", "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "MCPGATE_PUBLIC_URL="+publicURL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("caddy adapt Caddyfile: %v\n%s", err, stderr.String())
	}
	if w := strings.TrimSpace(stderr.String()); strings.Contains(w, `"level":"warn"`) || strings.Contains(w, "WARN") {
		t.Errorf("caddy adapt warns about the Caddyfile:\n%s", w)
	}
	var cfg map[string]any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("caddy adapt: %v\n%s", err, out)
	}
	return cfg
}

// caddyProxies walks the adapted routes and returns every reverse_proxy
// handler, and the host names the site matches.
func caddyProxies(t *testing.T, cfg map[string]any) (hosts []string, proxies []caddyProxy) {
	t.Helper()
	var walkRoutes func(routes []any, paths []string)
	walkRoutes = func(routes []any, paths []string) {
		for _, r := range routes {
			route, _ := r.(map[string]any)
			routePaths := paths
			matches, _ := route["match"].([]any)
			for _, m := range matches {
				mm, _ := m.(map[string]any)
				hosts = append(hosts, asStrings(mm["host"])...)
				if p := asStrings(mm["path"]); len(p) > 0 {
					routePaths = p
				}
			}
			handlers, _ := route["handle"].([]any)
			for _, h := range handlers {
				hm, _ := h.(map[string]any)
				switch hm["handler"] {
				case "subroute":
					sub, _ := hm["routes"].([]any)
					walkRoutes(sub, routePaths)
				case "reverse_proxy":
					raw, _ := json.Marshal(hm)
					var p caddyProxy
					if err := json.Unmarshal(raw, &p.handler); err != nil {
						t.Fatal(err)
					}
					p.paths = routePaths
					proxies = append(proxies, p)
				}
			}
		}
	}
	apps, _ := cfg["apps"].(map[string]any)
	httpApp, _ := apps["http"].(map[string]any)
	servers, _ := httpApp["servers"].(map[string]any)
	for _, s := range servers {
		sm, _ := s.(map[string]any)
		routes, _ := sm["routes"].([]any)
		walkRoutes(routes, nil)
	}
	return hosts, proxies
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// checkCaddyfile: TLS for the public host, every replica behind every
// proxy with active /readyz checks and unbuffered streams, /sse pinned to
// the first healthy replica (its stream lives in one process), the rest
// balanced.
func checkCaddyfile(t *testing.T, publicURL string, upstreams []string) {
	t.Helper()
	hosts, proxies := caddyProxies(t, adaptCaddyfile(t, publicURL))
	if !slices.Equal(hosts, []string{strings.TrimPrefix(publicURL, "https://")}) {
		t.Errorf("Caddyfile serves hosts %q: want MCPGATE_PUBLIC_URL's only", hosts)
	}
	if len(proxies) == 0 {
		t.Fatalf("Caddyfile has no reverse_proxy")
	}
	policies := map[string]string{} // path → policy
	for _, p := range proxies {
		where := strings.Join(p.paths, ",")
		if where == "" {
			where = "*"
		}
		var dials []string
		for _, u := range p.handler.Upstreams {
			dials = append(dials, u.Dial)
		}
		if !slices.Equal(sorted(dials), upstreams) {
			t.Errorf("reverse_proxy for %s: upstreams %q, want every replica at the image's port %q", where, dials, upstreams)
		}
		hc := p.handler.HealthChecks.Active
		if hc.URI != "/readyz" || hc.ExpectStatus != 200 || hc.Interval <= 0 {
			t.Errorf("reverse_proxy for %s: active health check %+v, want GET /readyz expecting 200 at an interval", where, hc)
		}
		if p.handler.FlushInterval != -1 {
			t.Errorf("reverse_proxy for %s: flush_interval %d, want -1 (event streams pass through unbuffered)", where, p.handler.FlushInterval)
		}
		policies[where] = p.handler.LoadBalancing.SelectionPolicy.Policy
	}
	if policies["/sse"] != "first" {
		t.Errorf("/sse goes through lb_policy %q, want first: a legacy SSE stream lives in one replica, and its POSTs must reach it", policies["/sse"])
	}
	if policies["*"] != "round_robin" {
		t.Errorf("the default route uses lb_policy %q, want round_robin", policies["*"])
	}
	if len(policies) != 2 {
		t.Errorf("reverse_proxy routes %v: want /sse and the default", policies)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
