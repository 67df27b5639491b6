package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/handlers"
)

// LimitsConfig holds the abuse limits of the OAuth endpoints (YAML key
// limits; no environment variables). Every counter lives in the store, so
// with Redis the limits hold across replicas. A limit of 0 disables that
// rule. See handlers.Limits for how each one is keyed: nothing is keyed on
// the source address alone except loose ceilings, because Claude's users
// all arrive from a few Anthropic addresses.
type LimitsConfig struct {
	// RegisterPerIP bounds /register per client address (IPv6 /64).
	RegisterPerIP RateConfig `yaml:"register_per_ip"`
	// RegisterPerNetwork bounds /register per IPv4 /24 and IPv6 /48.
	RegisterPerNetwork RateConfig `yaml:"register_per_network"`
	// RegisterGlobal bounds /register from everywhere together (off by
	// default: a flood from a few networks would lock everyone out).
	RegisterGlobal RateConfig `yaml:"register_global"`
	// AuthorizePerClientIP bounds /authorize per client_id and browser
	// address.
	AuthorizePerClientIP RateConfig `yaml:"authorize_per_client_ip"`
	// AuthorizePerIP is a loose ceiling on /authorize per browser address.
	AuthorizePerIP RateConfig `yaml:"authorize_per_ip"`
	// TokenPerClient bounds /token (and, counted apart, /revoke) per
	// confidential client, and per grant for a public client (whose
	// client_id anyone may know).
	TokenPerClient RateConfig `yaml:"token_per_client"`
	// TokenPerIP is a loose ceiling on /token (and, apart, /revoke) per
	// client address.
	TokenPerIP RateConfig `yaml:"token_per_ip"`
	// MaxClients caps the number of registered clients (0: no cap). At the
	// cap, registration first deletes the clients that never completed an
	// authorization and are older than UnusedClientAge.
	MaxClients int `yaml:"max_clients"`
	// UnusedClientAge is how old a never-used client must be before the
	// cap (or `mcpgate clients prune`) may delete it.
	UnusedClientAge time.Duration `yaml:"unused_client_age"`
	// PruneUnusedClientsAfter: registrations that no live grant names and
	// that were not used for this long are deleted in the background,
	// whether or not they ever got tokens (0: off). Claude leaves one
	// behind at each re-registration.
	PruneUnusedClientsAfter time.Duration `yaml:"prune_unused_clients_after"`
	// TrustedProxies are the reverse proxies (CIDR prefixes or single
	// addresses) whose X-Forwarded-For is believed when finding the client
	// address. Empty: the client address is the TCP peer's.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// RateConfig is at most Limit requests in any sliding Window.
type RateConfig struct {
	Limit  int           `yaml:"limit"`
	Window time.Duration `yaml:"window"`
}

// defaultLimits are the built-in limits, handlers.DefaultLimits in YAML
// form.
func defaultLimits() LimitsConfig {
	d := handlers.DefaultLimits()
	rate := func(r handlers.Rate) RateConfig { return RateConfig{Limit: r.Limit, Window: r.Window} }
	return LimitsConfig{
		RegisterPerIP:        rate(d.RegisterPerIP),
		RegisterPerNetwork:   rate(d.RegisterPerNetwork),
		RegisterGlobal:       rate(d.RegisterGlobal),
		AuthorizePerClientIP: rate(d.AuthorizePerClientIP),
		AuthorizePerIP:       rate(d.AuthorizePerIP),
		TokenPerClient:       rate(d.TokenPerClient),
		TokenPerIP:           rate(d.TokenPerIP),
		MaxClients:           d.MaxClients,
		UnusedClientAge:      d.UnusedClientAge,

		PruneUnusedClientsAfter: d.IdleClientAge,
	}
}

// namedRate is a rate with its YAML key, for messages.
type namedRate struct {
	key  string
	rate RateConfig
}

func (l LimitsConfig) rates() []namedRate {
	return []namedRate{
		{"limits.register_per_ip", l.RegisterPerIP},
		{"limits.register_per_network", l.RegisterPerNetwork},
		{"limits.register_global", l.RegisterGlobal},
		{"limits.authorize_per_client_ip", l.AuthorizePerClientIP},
		{"limits.authorize_per_ip", l.AuthorizePerIP},
		{"limits.token_per_client", l.TokenPerClient},
		{"limits.token_per_ip", l.TokenPerIP},
	}
}

func (c *Config) validateLimits(p *problems) {
	l := c.Limits
	for _, r := range l.rates() {
		switch {
		case r.rate.Limit < 0:
			p.add("%s.limit must not be negative (0 disables the limit): got %d", r.key, r.rate.Limit)
		case r.rate.Limit > 0 && r.rate.Window < time.Second:
			p.add("%s.window must be at least 1s, such as 1m or 1h: got %s", r.key, r.rate.Window)
		}
	}
	if l.MaxClients < 0 {
		p.add("limits.max_clients must not be negative (0 means no cap): got %d", l.MaxClients)
	}
	if l.PruneUnusedClientsAfter < 0 || (l.PruneUnusedClientsAfter > 0 && l.PruneUnusedClientsAfter < 24*time.Hour) {
		p.add("limits.prune_unused_clients_after must be 0 (off) or at least 24h: got %s", l.PruneUnusedClientsAfter)
	}
	if l.UnusedClientAge < 0 {
		p.add("limits.unused_client_age must not be negative, such as 24h: got %s", l.UnusedClientAge)
	} else if l.MaxClients > 0 && l.UnusedClientAge > 0 && l.UnusedClientAge < time.Hour {
		p.add("limits.unused_client_age must be at least 1h, so that no client is deleted while its user signs in: got %s", l.UnusedClientAge)
	}
	for i, s := range l.TrustedProxies {
		if _, err := parseTrustedProxy(s); err != nil {
			p.add("limits.trusted_proxies entry %d %v: got %q", i+1, err, s)
		}
	}
}

// parseTrustedProxy reads a CIDR prefix ("10.0.0.0/8", "fd00::/8") or a
// single address ("10.1.2.3"), which stands for itself alone.
func parseTrustedProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("must be a CIDR prefix such as 10.0.0.0/8 or an address")
		}
		if pfx.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("must not have an IPv6 zone")
		}
		if pfx.Addr().Is4In6() {
			return netip.Prefix{}, fmt.Errorf("must be written as IPv4, not IPv4-mapped IPv6")
		}
		return pfx.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("must be a CIDR prefix such as 10.0.0.0/8 or an address")
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// HandlerLimits converts the validated limits for handlers.Config.
func (l LimitsConfig) HandlerLimits() handlers.Limits {
	rate := func(r RateConfig) handlers.Rate { return handlers.Rate{Limit: r.Limit, Window: r.Window} }
	out := handlers.Limits{
		RegisterPerIP:        rate(l.RegisterPerIP),
		RegisterPerNetwork:   rate(l.RegisterPerNetwork),
		RegisterGlobal:       rate(l.RegisterGlobal),
		AuthorizePerClientIP: rate(l.AuthorizePerClientIP),
		AuthorizePerIP:       rate(l.AuthorizePerIP),
		TokenPerClient:       rate(l.TokenPerClient),
		TokenPerIP:           rate(l.TokenPerIP),
		MaxClients:           l.MaxClients,
		UnusedClientAge:      l.UnusedClientAge,
		IdleClientAge:        l.PruneUnusedClientsAfter,
	}
	for _, s := range l.TrustedProxies {
		if pfx, err := parseTrustedProxy(s); err == nil {
			out.TrustedProxies = append(out.TrustedProxies, pfx)
		}
	}
	return out
}
