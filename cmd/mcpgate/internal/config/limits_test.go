package config

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers"
)

// TestDefaultLimitsPruneBeforeTheCap: with the default limits, the
// registrations one network can make are old enough to prune before they
// fill max_clients. (TestConfigExample checks that config.example.yaml
// shows these defaults.)
func TestDefaultLimitsPruneBeforeTheCap(t *testing.T) {
	l := defaultLimits()
	if l.RegisterGlobal.Limit > 0 && l.RegisterGlobal.Limit*int(l.UnusedClientAge/l.RegisterGlobal.Window) >= l.MaxClients {
		t.Errorf("register_global %+v over unused_client_age %s can fill max_clients %d", l.RegisterGlobal, l.UnusedClientAge, l.MaxClients)
	}
	if l.RegisterPerNetwork.Limit < 1 || l.RegisterPerNetwork.Limit*int(l.UnusedClientAge/l.RegisterPerNetwork.Window) >= l.MaxClients/2 {
		t.Errorf("register_per_network %+v over unused_client_age %s can fill half of max_clients %d", l.RegisterPerNetwork, l.UnusedClientAge, l.MaxClients)
	}
	if l.TrustedProxies != nil {
		t.Errorf("proxies are trusted by default: %v", l.TrustedProxies)
	}
}

func TestLoadLimitsYAML(t *testing.T) {
	const file = `
limits:
  token_per_client: {limit: 50}
  register_global: {limit: 0}
  max_clients: 10
  trusted_proxies: [10.0.0.0/8, 192.0.2.7, "fd00::/8", "::ffff:10.1.2.3"]
`
	cfg, err := Load(writeFile(t, "config.yaml", file), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil && strings.Contains(err.Error(), "limits") {
		t.Fatalf("Validate: %v", err)
	}
	want := defaultLimits()
	want.TokenPerClient.Limit = 50 // the window keeps its default
	want.RegisterGlobal.Limit = 0
	want.MaxClients = 10
	want.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.7", "fd00::/8", "::ffff:10.1.2.3"}
	if !reflect.DeepEqual(cfg.Limits, want) {
		t.Fatalf("limits\n %+v\nwant\n %+v", cfg.Limits, want)
	}
	hl := cfg.Limits.HandlerLimits()
	wantPrefixes := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("10.1.2.3/32"),
	}
	if !slices.Equal(hl.TrustedProxies, wantPrefixes) {
		t.Errorf("trusted proxies %v, want %v", hl.TrustedProxies, wantPrefixes)
	}
	if hl.TokenPerClient != (handlers.Rate{Limit: 50, Window: time.Minute}) || hl.RegisterGlobal.Limit != 0 || hl.MaxClients != 10 {
		t.Errorf("handler limits %+v", hl)
	}
}

func TestValidateLimits(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*LimitsConfig)
		want   string
	}{
		{"negative limit", func(l *LimitsConfig) { l.TokenPerIP.Limit = -1 }, "limits.token_per_ip.limit must not be negative"},
		{"window too short", func(l *LimitsConfig) { l.RegisterPerIP.Window = 0 }, "limits.register_per_ip.window must be at least 1s"},
		{"negative cap", func(l *LimitsConfig) { l.MaxClients = -5 }, "limits.max_clients must not be negative"},
		{"age too short", func(l *LimitsConfig) { l.UnusedClientAge = time.Minute }, "limits.unused_client_age must be at least 1h"},
		{"negative age", func(l *LimitsConfig) { l.UnusedClientAge = -time.Hour }, "limits.unused_client_age must not be negative"},
		{"bad proxy", func(l *LimitsConfig) { l.TrustedProxies = []string{"10.0.0.0/33"} }, `limits.trusted_proxies entry 1 must be a CIDR prefix`},
		{"proxy host name", func(l *LimitsConfig) { l.TrustedProxies = []string{"lb.internal"} }, `limits.trusted_proxies entry 1 must be a CIDR prefix`},
		{"mapped prefix", func(l *LimitsConfig) { l.TrustedProxies = []string{"::ffff:10.0.0.0/104"} }, "not IPv4-mapped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.mutate(&cfg.Limits)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want a problem containing %q", err, tt.want)
			}
		})
	}
	cfg := validConfig()
	cfg.Limits = LimitsConfig{} // everything off is valid
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate with no limits: %v", err)
	}
}
