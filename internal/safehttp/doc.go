// Package safehttp fetches URLs that an attacker chooses, without letting
// the fetch reach anything but the public internet.
//
// mcpgate fetches client ID metadata documents: a client names itself with
// an https URL and the authorization server reads the JSON behind it
// (draft-ietf-oauth-client-id-metadata-document §4; MCP 2025-11-25
// "Client ID Metadata Documents"). Whoever sends an authorization request
// picks that URL, so a naive fetch is server-side request forgery: it could
// read a cloud metadata service, probe the private network or tie a request
// up for minutes (draft §6.5; MCP security best practices, "SSRF Against
// Authorization Servers"; OWASP SSRF Prevention Cheat Sheet).
//
// The client returned by NewClient therefore:
//
//   - speaks https only (RFC 9110 §4.2.2), and refuses URLs or requests that
//     carry credentials (user info, Authorization, Cookie); it has no cookie
//     jar and ignores proxy settings from the environment;
//   - checks every address it connects to at dial time, after DNS
//     resolution (net.Dialer.Control sees the resolved IP), so a name that
//     resolves to a public address when checked and a private one when
//     used (DNS rebinding) gains nothing. Refused: loopback, private (RFC
//     1918), shared CGNAT space (RFC 6598), link-local (including the cloud
//     metadata services at 169.254.169.254 and fd00:ec2::254), unique-local
//     (RFC 4193), unspecified, multicast, broadcast, and every other entry
//     of the IANA IPv4 and IPv6 Special-Purpose Address Registries
//     (documentation, benchmarking, AS112, AMT, ORCHID, Teredo, SIIT,
//     local-use NAT64, SRv6, …; iana_test.go lists them). IPv4-mapped,
//     NAT64 (64:ff9b::/96) and 6to4 addresses are judged by the IPv4
//     address they carry, where their packets end up (so NAT64 on an
//     IPv6-only network still reaches public hosts);
//   - follows no redirect (a redirect is an error);
//   - gives up after a total timeout (default 5 s) that covers connecting,
//     TLS, headers and body.
//
// Client.Get adds what a document fetch needs: a 200 answer, Content-Type
// application/json, and a size cap (default 64 KiB) enforced while the body
// is read, so an endless or compressed-to-explode body costs at most the
// cap.
//
// Options.AllowLoopback exists for tests only, so that a test can serve
// documents from a local httptest TLS server; production code never sets
// it.
package safehttp
