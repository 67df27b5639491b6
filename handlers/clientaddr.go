package handlers

import (
	"net/http"
	"net/netip"
	"strings"
)

// The client address that rate limits are keyed on (ratelimit.go): the TCP
// peer, or the first untrusted hop of X-Forwarded-For behind trusted
// proxies, grouped per address (IPv6 /64) or per network (IPv4 /24, IPv6
// /48).

// proxyResolver finds the address of the client behind trusted reverse
// proxies.
type proxyResolver struct {
	trusted []netip.Prefix
}

func (p proxyResolver) isTrusted(a netip.Addr) bool {
	for _, pr := range p.trusted {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the client's address: the TCP peer, unless the peer is a
// trusted proxy, in which case X-Forwarded-For is read from the right (the
// hops the proxies appended) and the first address that is not a trusted
// proxy is the client. Entries further left were written by the client
// itself and are never believed. If every hop is trusted the leftmost one
// is the client; an entry that is not an address stops the walk at the
// last trusted hop. The zero Addr means the peer is not an IP address.
func (p proxyResolver) clientAddr(r *http.Request) netip.Addr {
	peer := parseHop(r.RemoteAddr)
	if !peer.IsValid() || !p.isTrusted(peer) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHop(hops[i])
		if !a.IsValid() {
			break
		}
		client = a
		if !p.isTrusted(a) {
			break
		}
	}
	return client
}

// clientKey is the client's address as a limiter key: an IPv4 address as
// it is, an IPv6 address as its /64 (one subscriber usually holds a whole
// /64, and would otherwise get a fresh budget from every address in it).
func (p proxyResolver) clientKey(r *http.Request) string {
	a := p.clientAddr(r)
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is4():
		return a.String()
	}
	pfx, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return pfx.String()
}

// networkKey is the client's network as a limiter key: the IPv4 /24 or
// the IPv6 /48 of its address (the usual smallest allocation to one site).
func (p proxyResolver) networkKey(r *http.Request) string {
	a := p.clientAddr(r)
	bits := 48
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is4():
		bits = 24
	}
	pfx, err := a.Prefix(bits)
	if err != nil {
		return a.String()
	}
	return pfx.String()
}

// parseHop parses one address as found in RemoteAddr or X-Forwarded-For:
// "192.0.2.1", "192.0.2.1:1234", "2001:db8::1", "[2001:db8::1]:1234". An
// IPv4-mapped IPv6 address becomes the IPv4 address; an IPv6 zone is
// dropped.
func parseHop(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}
