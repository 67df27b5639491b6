package safehttp

import (
	"errors"
	"net/netip"
	"testing"
)

// ianaSpecialPurpose is every entry of the IANA IPv4 and IPv6
// Special-Purpose Address Registries (RFC 6890 and its updates, as of
// 2026), plus multicast and the deprecated site-local range. A fetch must
// reach none of them: the first and the last address of each is refused.
// The three translation ranges (IPv4-mapped, NAT64 well-known prefix,
// 6to4) are refused by the IPv4 address they carry, and the first and last
// of each carry 0.0.0.0 and 255.255.255.255.
var ianaSpecialPurpose = []struct{ prefix, name string }{
	{"0.0.0.0/8", "this network"},
	{"0.0.0.0/32", "this host"},
	{"10.0.0.0/8", "private"},
	{"100.64.0.0/10", "shared address space"},
	{"127.0.0.0/8", "loopback"},
	{"169.254.0.0/16", "link local"},
	{"172.16.0.0/12", "private"},
	{"192.0.0.0/24", "IETF protocol assignments"},
	{"192.0.0.0/29", "IPv4 service continuity prefix (DS-Lite)"},
	{"192.0.0.8/32", "IPv4 dummy address"},
	{"192.0.0.9/32", "port control protocol anycast"},
	{"192.0.0.10/32", "TURN anycast"},
	{"192.0.0.170/32", "NAT64/DNS64 discovery"},
	{"192.0.0.171/32", "NAT64/DNS64 discovery"},
	{"192.0.2.0/24", "documentation (TEST-NET-1)"},
	{"192.31.196.0/24", "AS112-v4"},
	{"192.52.193.0/24", "AMT"},
	{"192.88.99.0/24", "deprecated 6to4 relay anycast"},
	{"192.168.0.0/16", "private"},
	{"192.175.48.0/24", "direct delegation AS112 service"},
	{"198.18.0.0/15", "benchmarking"},
	{"198.51.100.0/24", "documentation (TEST-NET-2)"},
	{"203.0.113.0/24", "documentation (TEST-NET-3)"},
	{"224.0.0.0/4", "multicast"},
	{"240.0.0.0/4", "reserved"},
	{"255.255.255.255/32", "limited broadcast"},

	{"::1/128", "loopback"},
	{"::/128", "unspecified"},
	{"::/96", "IPv4-compatible (deprecated)"},
	{"::ffff:0:0/96", "IPv4-mapped"},
	{"::ffff:0:0:0/96", "IPv4-translated (SIIT)"},
	{"64:ff9b::/96", "IPv4-IPv6 translation (NAT64 well-known prefix)"},
	{"64:ff9b:1::/48", "IPv4-IPv6 translation (local-use NAT64)"},
	{"100::/64", "discard-only"},
	{"100:0:0:1::/64", "dummy IPv6 prefix"},
	{"2001::/23", "IETF protocol assignments"},
	{"2001::/32", "Teredo"},
	{"2001:1::1/128", "port control protocol anycast"},
	{"2001:1::2/128", "TURN anycast"},
	{"2001:1::3/128", "DNS-SD SRP anycast"},
	{"2001:2::/48", "benchmarking"},
	{"2001:3::/32", "AMT"},
	{"2001:4:112::/48", "AS112-v6"},
	{"2001:10::/28", "ORCHID (deprecated)"},
	{"2001:20::/28", "ORCHIDv2"},
	{"2001:30::/28", "drone remote ID (DET)"},
	{"2001:db8::/32", "documentation"},
	{"2002::/16", "6to4"},
	{"2620:4f:8000::/48", "direct delegation AS112 service"},
	{"3fff::/20", "documentation"},
	{"5f00::/16", "segment routing (SRv6) SIDs"},
	{"fc00::/7", "unique-local"},
	{"fe80::/10", "link-local unicast"},
	{"fec0::/10", "site-local (deprecated)"},
	{"ff00::/8", "multicast"},
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	if p.Addr().Is4() {
		b := p.Addr().As4()
		for i := p.Bits(); i < 32; i++ {
			b[i/8] |= 1 << (7 - i%8)
		}
		return netip.AddrFrom4(b)
	}
	b := p.Addr().As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	return netip.AddrFrom16(b)
}

func TestIANASpecialPurposeRangesRefused(t *testing.T) {
	for _, r := range ianaSpecialPurpose {
		t.Run(r.prefix+" "+r.name, func(t *testing.T) {
			p := netip.MustParsePrefix(r.prefix)
			for _, a := range []netip.Addr{p.Masked().Addr(), lastAddr(p)} {
				if err := checkAddr(a, false); !errors.Is(err, ErrForbiddenAddress) {
					t.Errorf("checkAddr(%s) = %v: %s (%s) is not refused", a, err, r.prefix, r.name)
				}
			}
		})
	}
}

// TestEmbeddedIPv4 pins the rule for the translation ranges: their
// packets end at the IPv4 address they carry, so they are judged by it
// (an IPv6-only network reaches the public internet through NAT64), and
// every other IPv6 range that embeds an IPv4 address is refused whole.
func TestEmbeddedIPv4(t *testing.T) {
	tests := []struct {
		addr    string
		allowed bool
	}{
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::8.8.8.8", true},
		{"2002:808:808::1", true},
		{"::ffff:192.0.0.170", false},
		{"64:ff9b::192.168.1.1", false},
		{"64:ff9b::100.64.0.1", false},
		{"64:ff9b::198.18.0.1", false},
		{"2002:c0a8:101::1", false},                     // 6to4 of 192.168.1.1
		{"2002:c000:2aa::1", false},                     // 6to4 of 192.0.2.170
		{"::ffff:0:8.8.8.8", false},                     // SIIT
		{"::8.8.8.8", false},                            // IPv4-compatible
		{"64:ff9b:1::8.8.8.8", false},                   // local-use NAT64
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false}, // Teredo
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := checkAddr(netip.MustParseAddr(tt.addr), false)
			if (err == nil) != tt.allowed {
				t.Fatalf("checkAddr(%s) = %v, want allowed=%v", tt.addr, err, tt.allowed)
			}
		})
	}
}
