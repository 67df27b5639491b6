package loadclient

import (
	"net"
	"strings"
)

// IsLoopbackHost reports whether host (without port; an IPv6 address may
// keep its brackets) is "localhost" or a loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
