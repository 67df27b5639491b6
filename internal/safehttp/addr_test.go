package safehttp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr          string
		allowLoopback bool
		reason        string // "" means allowed
	}{
		// Public unicast: allowed.
		{"93.184.215.14", false, ""},
		{"160.79.104.10", false, ""},
		{"8.8.8.8", false, ""},
		{"2606:4700::6810:84e5", false, ""},
		{"2a00:1450:4001:82b::200e", false, ""},
		{"::ffff:93.184.215.14", false, ""},
		{"64:ff9b::808:808", false, ""}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", false, ""},  // 6to4 of 8.8.8.8

		// IPv4 special ranges.
		{"0.0.0.0", false, "unspecified"},
		{"0.1.2.3", false, "unspecified"},
		{"127.0.0.1", false, "loopback"},
		{"127.255.255.254", false, "loopback"},
		{"10.0.0.1", false, "private"},
		{"172.16.0.1", false, "private"},
		{"172.31.255.255", false, "private"},
		{"192.168.1.1", false, "private"},
		{"100.64.0.1", false, "CGNAT"},
		{"100.127.255.255", false, "CGNAT"},
		{"169.254.0.1", false, "link-local"},
		{"169.254.169.254", false, "cloud metadata"},
		{"169.254.170.2", false, "cloud metadata"},
		{"168.63.129.16", false, "cloud metadata"},
		{"100.100.100.200", false, "cloud metadata"},
		{"224.0.0.1", false, "multicast"},
		{"239.255.255.250", false, "multicast"},
		{"255.255.255.255", false, "broadcast"},
		{"240.0.0.1", false, "reserved"},
		{"192.0.0.8", false, "reserved"},
		{"192.0.2.1", false, "documentation"},
		{"198.18.0.1", false, "benchmarking"},

		// IPv6 special ranges.
		{"::", false, "unspecified"},
		{"::1", false, "loopback"},
		{"fe80::1", false, "link-local"},
		{"fe80::1%eth0", false, "link-local"},
		{"fc00::1", false, "unique-local"},
		{"fd12:3456:789a::1", false, "unique-local"},
		{"fd00:ec2::254", false, "cloud metadata"},
		{"fec0::1", false, "site-local"},
		{"ff02::1", false, "multicast"},
		{"2001:db8::1", false, "documentation"},
		{"::127.0.0.1", false, "reserved"}, // IPv4-compatible (deprecated)
		{"2001:0:4136:e378::1", false, "reserved"},

		// IPv4-mapped IPv6 of forbidden addresses.
		{"::ffff:127.0.0.1", false, "loopback"},
		{"::ffff:10.1.2.3", false, "private"},
		{"::ffff:169.254.169.254", false, "cloud metadata"},
		{"::ffff:100.64.1.1", false, "CGNAT"},
		{"::ffff:0.0.0.0", false, "unspecified"},

		// Translators and relays that end at a forbidden IPv4 address.
		{"64:ff9b::7f00:1", false, "loopback"},
		{"64:ff9b::a9fe:a9fe", false, "cloud metadata"},
		{"2002:a00:1::1", false, "private"},
		{"64:ff9b:1::1", false, "translation"},

		// AllowLoopback (tests only) opens loopback and nothing else.
		{"127.0.0.1", true, ""},
		{"::1", true, ""},
		{"::ffff:127.0.0.1", true, ""},
		{"10.0.0.1", true, "private"},
		{"169.254.169.254", true, "cloud metadata"},
		{"0.0.0.0", true, "unspecified"},
	}
	for _, tt := range tests {
		name := tt.addr
		if tt.allowLoopback {
			name += " allowLoopback"
		}
		t.Run(name, func(t *testing.T) {
			a, err := netip.ParseAddr(tt.addr)
			if err != nil {
				t.Fatalf("ParseAddr: %v", err)
			}
			err = checkAddr(a, tt.allowLoopback)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("checkAddr(%s) = %v, want allowed", tt.addr, err)
				}
				return
			}
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("checkAddr(%s) = %v, want ErrForbiddenAddress", tt.addr, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("checkAddr(%s) = %q, want the reason %q", tt.addr, err, tt.reason)
			}
		})
	}
}

func TestCheckAddrInvalid(t *testing.T) {
	if err := checkAddr(netip.Addr{}, true); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("the zero Addr: %v", err)
	}
}

func TestDialControl(t *testing.T) {
	tests := []struct {
		network, address string
		allowLoopback    bool
		ok               bool
	}{
		{"tcp4", "93.184.215.14:443", false, true},
		{"tcp6", "[2606:4700::6810:84e5]:443", false, true},
		{"tcp4", "127.0.0.1:443", false, false},
		{"tcp4", "127.0.0.1:8443", true, true},
		{"tcp6", "[::ffff:169.254.169.254]:80", true, false},
		{"tcp6", "[fd00:ec2::254]:80", false, false},
		{"udp4", "93.184.215.14:443", false, false},
		{"tcp4", "not-an-address", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.address, func(t *testing.T) {
			err := dialControl(tt.allowLoopback)(tt.network, tt.address, nil)
			if (err == nil) != tt.ok {
				t.Fatalf("dialControl(%s, %s) = %v, want ok=%v", tt.network, tt.address, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrForbiddenAddress) {
				t.Errorf("error %v does not wrap ErrForbiddenAddress", err)
			}
		})
	}
}
