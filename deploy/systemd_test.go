package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// unitFile is a parsed systemd unit: section → directive → values, in
// order (a directive may repeat; an empty assignment resets the list, as
// systemd does).
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, path string) unitFile {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := unitFile{}
	section := ""
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasSuffix(line, `\`):
			t.Fatalf("%s:%d: continuation lines are not used here; keep one directive per line", path, i+1)
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		case section == "":
			t.Fatalf("%s:%d: directive before the first section", path, i+1)
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s:%d: %q is not Key=Value", path, i+1, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if v == "" {
			u[section][k] = []string{""}
			continue
		}
		u[section][k] = append(u[section][k], v)
	}
	return u
}

// yes reports whether a systemd boolean is true.
func yes(v []string) bool {
	return len(v) > 0 && slices.Contains([]string{"yes", "true", "on", "1"}, v[len(v)-1])
}

// serviceDirectives is every [Service] directive the unit may use: a
// misspelt option is only a warning to systemd, which then runs the
// service without it. A new one is added here deliberately.
var serviceDirectives = []string{
	"Type", "ExecStart", "EnvironmentFile", "WorkingDirectory", "Restart", "RestartSec", "KillSignal", "TimeoutStopSec",
	"DynamicUser", "UMask", "NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities", "RestrictSUIDSGID",
	"LockPersonality", "MemoryDenyWriteExecute", "RestrictRealtime", "RestrictNamespaces", "ProtectSystem",
	"ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
	"ProtectControlGroups", "ProtectClock", "ProtectHostname", "ProtectProc", "ProcSubset", "RemoveIPC",
	"RestrictAddressFamilies", "PrivateUsers", "SystemCallArchitectures", "SystemCallFilter", "SystemCallErrorNumber",
	"LogsDirectory",
}

func TestSystemdUnit(t *testing.T) {
	path := filepath.Join("systemd", "mcpgate.service")
	u := parseUnit(t, path)
	svc := u["Service"]
	if svc == nil {
		t.Fatalf("%s has no [Service] section", path)
	}
	for k := range svc {
		if !slices.Contains(serviceDirectives, k) {
			t.Errorf("[Service] %s: not a directive this test knows (a typo is silently ignored by systemd); add it to serviceDirectives if it is meant", k)
		}
	}
	exec := strings.Fields(firstOr(svc["ExecStart"], ""))
	if len(exec) != 2 || !filepath.IsAbs(exec[0]) || filepath.Base(exec[0]) != "mcpgate" || exec[1] != "serve" {
		t.Errorf("ExecStart %q: want /…/mcpgate serve", svc["ExecStart"])
	}
	if !slices.Equal(svc["EnvironmentFile"], []string{"/etc/mcpgate/env"}) {
		t.Errorf("EnvironmentFile %q: want /etc/mcpgate/env, required (no leading -: a missing file must fail the start)", svc["EnvironmentFile"])
	}
	if _, ok := svc["Environment"]; ok {
		t.Errorf("[Service] Environment=: settings belong in /etc/mcpgate/env (systemctl show prints Environment= to every user)")
	}
	if stop, err := time.ParseDuration(firstOr(svc["TimeoutStopSec"], "")); err != nil || stop <= 20*time.Second {
		t.Errorf("TimeoutStopSec %q: want more than serve's 20 s drain (%v)", svc["TimeoutStopSec"], err)
	}

	for _, k := range []string{
		"DynamicUser", "NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
		"ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
		"RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute", "RestrictRealtime", "RestrictNamespaces",
		"RemoveIPC", "PrivateUsers",
	} {
		if !yes(svc[k]) {
			t.Errorf("%s=%q: want yes", k, svc[k])
		}
	}
	for k, want := range map[string][]string{
		"ProtectSystem":           {"strict"},
		"CapabilityBoundingSet":   {""},
		"AmbientCapabilities":     {""},
		"RestrictAddressFamilies": {"AF_INET AF_INET6 AF_UNIX"},
		"SystemCallArchitectures": {"native"},
		"ProtectProc":             {"invisible"},
		"UMask":                   {"0077"},
	} {
		if !slices.Equal(svc[k], want) {
			t.Errorf("%s=%q: want %q", k, svc[k], want)
		}
	}
	if f := svc["SystemCallFilter"]; len(f) == 0 || f[0] != "@system-service" || slices.ContainsFunc(f, func(s string) bool { return s == "" }) {
		t.Errorf("SystemCallFilter %q: want @system-service first (an allow-list), never reset", f)
	}
	if !slices.Contains(u["Install"]["WantedBy"], "multi-user.target") {
		t.Errorf("[Install] WantedBy %q: want multi-user.target", u["Install"]["WantedBy"])
	}
	if !slices.Contains(u["Unit"]["After"], "network-online.target") && !strings.Contains(strings.Join(u["Unit"]["After"], " "), "network-online.target") {
		t.Errorf("[Unit] After %q: want network-online.target (the store and the identity providers are remote)", u["Unit"]["After"])
	}
}

func TestParseUnitResets(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x.service")
	if err := os.WriteFile(f, []byte("[Service]\nSystemCallFilter=@system-service\nSystemCallFilter=\nSystemCallFilter=~@privileged\nCapabilityBoundingSet=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	u := parseUnit(t, f)
	if got := u["Service"]["SystemCallFilter"]; !slices.Equal(got, []string{"", "~@privileged"}) {
		t.Errorf("SystemCallFilter = %q, want the reset kept visible", got)
	}
	if got := u["Service"]["CapabilityBoundingSet"]; !slices.Equal(got, []string{""}) {
		t.Errorf("CapabilityBoundingSet = %q, want [\"\"]", got)
	}
}
