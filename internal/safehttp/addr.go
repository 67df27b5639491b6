package safehttp

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// ErrForbiddenAddress is wrapped by every refusal of an address: the host
// resolved to (or is) an address that is not on the public internet.
var ErrForbiddenAddress = errors.New("safehttp: address not allowed")

// blockedRange is a range of addresses that a fetch must never reach, with
// the reason given in the error.
type blockedRange struct {
	prefix netip.Prefix
	reason string
}

func mustPrefixes(reason string, prefixes ...string) []blockedRange {
	out := make([]blockedRange, 0, len(prefixes))
	for _, p := range prefixes {
		out = append(out, blockedRange{prefix: netip.MustParsePrefix(p), reason: reason})
	}
	return out
}

// metadataAddrs are the instance metadata services of cloud providers.
// Most also lie in a blocked range; they are listed first so the error
// names them, and 168.63.129.16 (Azure's platform endpoint) is a public
// address that only means something inside Azure.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata
	netip.MustParseAddr("168.63.129.16"),   // Azure WireServer
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
}

// blockedRanges are checked in order; the first match names the reason.
// Sources: the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC
// 6890 and later entries, iana_test.go lists every one), multicast, and
// the deprecated site-local range. Every entry is refused, including those
// the registry marks globally reachable (AS112, AMT, …): no client's
// metadata document is served from one.
//
// Three IPv6 ranges are not here because they carry an IPv4 address
// that is where the packets end up, and are judged by it (checkAddr):
// IPv4-mapped ::ffff:0:0/96, the NAT64 well-known prefix 64:ff9b::/96
// (RFC 6052: an IPv6-only host reaches the public internet through it)
// and 6to4 2002::/16 (RFC 3056). Every other translation range is refused
// whole: IPv4-compatible ::/96, SIIT ::ffff:0:0:0/96 (RFC 2765), local-use
// NAT64 64:ff9b:1::/48 (RFC 8215, a private network's translator) and
// Teredo 2001::/32 (inside 2001::/23).
var blockedRanges = concat(
	mustPrefixes("unspecified", "0.0.0.0/8", "::/128"),
	mustPrefixes("loopback", "127.0.0.0/8", "::1/128"),
	mustPrefixes("private (RFC 1918)", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
	mustPrefixes("shared CGNAT space (RFC 6598)", "100.64.0.0/10"),
	mustPrefixes("link-local", "169.254.0.0/16", "fe80::/10"),
	mustPrefixes("unique-local (RFC 4193)", "fc00::/7"),
	mustPrefixes("site-local (deprecated)", "fec0::/10"),
	mustPrefixes("broadcast", "255.255.255.255/32"),
	mustPrefixes("multicast", "224.0.0.0/4", "ff00::/8"),
	mustPrefixes("reserved", "240.0.0.0/4", "192.0.0.0/24", "192.88.99.0/24", "::/96", "100::/64", "2001::/23"),
	mustPrefixes("an IPv4-IPv6 translation range", "::ffff:0:0:0/96", "64:ff9b:1::/48"),
	mustPrefixes("special-purpose (AS112, AMT, dummy prefix, SRv6)",
		"192.31.196.0/24", "192.52.193.0/24", "192.175.48.0/24", "2620:4f:8000::/48", "100:0:0:1::/64", "5f00::/16"),
	mustPrefixes("documentation", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"),
	mustPrefixes("benchmarking", "198.18.0.0/15"),
)

func concat(lists ...[]blockedRange) []blockedRange {
	var out []blockedRange
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052
	sixToFour   = netip.MustParsePrefix("2002::/16")    // RFC 3056
)

// checkAddr returns nil when a is a public unicast address, and an error
// wrapping ErrForbiddenAddress otherwise. allowLoopback (tests only) lets
// 127.0.0.0/8 and ::1 through.
func checkAddr(a netip.Addr, allowLoopback bool) error {
	if !a.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrForbiddenAddress)
	}
	a = a.WithZone("")
	if a.Is4In6() {
		a = a.Unmap() // ::ffff:a.b.c.d is a.b.c.d on the wire
	}
	for _, m := range metadataAddrs {
		if a == m {
			return fmt.Errorf("%w: %s is a cloud metadata address", ErrForbiddenAddress, a)
		}
	}
	if allowLoopback && a.IsLoopback() {
		return nil
	}
	for _, r := range blockedRanges {
		if r.prefix.Contains(a) {
			return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, a, r.reason)
		}
	}
	// IPv6 addresses that carry an IPv4 address to a translator or relay:
	// the embedded address is where the packets end up.
	if embedded, ok := embeddedIPv4(a); ok {
		if err := checkAddr(embedded, allowLoopback); err != nil {
			return fmt.Errorf("%w (embedded in %s)", err, a)
		}
	}
	return nil
}

// embeddedIPv4 extracts the IPv4 address of a NAT64 (64:ff9b::/96) or 6to4
// (2002::/16) address.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64Prefix.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

// dialControl returns a net.Dialer Control function that refuses to
// connect to a forbidden address. It runs after name resolution, on the
// very address the socket is about to connect to.
func dialControl(allowLoopback bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		switch network {
		case "tcp4", "tcp6":
		default:
			return fmt.Errorf("%w: network %s", ErrForbiddenAddress, network)
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot parse %q", ErrForbiddenAddress, address)
		}
		return checkAddr(ap.Addr(), allowLoopback)
	}
}
