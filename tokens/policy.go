package tokens

import (
	"net/url"
	"strings"
	"time"
)

// Policy is how long the access tokens of one kind of client live (issue
// 14). A fixed policy (IdleTimeout zero) gives every access token
// AccessTTL from its issue, as mcpgate always did. A sliding policy
// (IdleTimeout positive) gives it a window that every use extends: the
// token stays valid while it is used at least once every IdleTimeout, and
// never past MaxLifetime from its issue nor past its grant's expiry.
//
// An mcpgate access token is opaque and looked up in the store on every
// request, so a long-lived one is exactly as revocable as a refresh token:
// revoking the grant ends it on its next use.
type Policy struct {
	// Name names the rule that chose the policy ("" for the default), for
	// logs.
	Name string
	// AccessTTL is the lifetime of a fixed access token; zero means the
	// server's default (PairSpec.AccessTTL).
	AccessTTL time.Duration
	// IdleTimeout, when positive, makes access tokens sliding: each dies
	// IdleTimeout after its last use.
	IdleTimeout time.Duration
	// MaxLifetime caps a sliding token's life from its issue; zero means
	// the refresh token lifetime (the grant's). Unused for fixed tokens.
	MaxLifetime time.Duration
}

// Sliding reports whether the policy gives sliding access tokens.
func (p Policy) Sliding() bool { return p.IdleTimeout > 0 }

// accessLifetime is the ExpiresAt and IdleTimeout of an access token
// issued at now under p, whose grant lapses at grantEnd: a fixed token
// lives AccessTTL (defaultTTL when zero); a sliding one until MaxLifetime
// after now. Neither outlives the grant.
func (p Policy) accessLifetime(now, grantEnd time.Time, defaultTTL time.Duration) (time.Time, time.Duration) {
	if !p.Sliding() {
		ttl := p.AccessTTL
		if ttl <= 0 {
			ttl = defaultTTL
		}
		return minTime(now.Add(ttl), grantEnd), 0
	}
	end := grantEnd
	if p.MaxLifetime > 0 {
		end = minTime(now.Add(p.MaxLifetime), grantEnd)
	}
	return end, p.IdleTimeout
}

// Seen is what a store records about an access token apart from its
// MACed record: the last use of a sliding token (Last; zero if none was
// recorded, which makes a sliding token dead, since its first record is
// written with it), and the end that the rotation of the refresh token
// issued with it set (Retired; zero while that refresh token is active).
// A retired token is never extended again.
type Seen struct {
	Last    time.Time
	Retired time.Time
}

// LiveAt reports whether access token a is valid at now, given what the
// store recorded of it. Its absolute end, ExpiresAt, always holds, and so
// does a retirement; a sliding token also dies IdleTimeout after its last
// use. This is the one definition of an access token's liveness that
// every store applies.
func (a AccessToken) LiveAt(seen Seen, now time.Time) bool {
	if !now.Before(a.ExpiresAt) || (!seen.Retired.IsZero() && !now.Before(seen.Retired)) {
		return false
	}
	if a.IdleTimeout <= 0 {
		return true
	}
	return !seen.Last.IsZero() && now.Before(seen.Last.Add(a.IdleTimeout))
}

// Window is how long access token a stays valid from now if it is not used
// again: the time to ExpiresAt, and for a sliding token at most its idle
// timeout. The token response's expires_in says this (RFC 6749 §5.1).
func (a AccessToken) Window(now time.Time) time.Duration {
	d := a.ExpiresAt.Sub(now)
	if a.IdleTimeout > 0 {
		d = min(d, a.IdleTimeout)
	}
	return max(d, 0)
}

// DefaultSlidingBucket is how often, at most, a store records the use of a
// sliding access token (one write per token per bucket): a token used
// continuously is extended about once an hour, and its real idle window is
// between IdleTimeout minus the bucket and IdleTimeout.
const DefaultSlidingBucket = time.Hour

// Built-in policy rule names.
const (
	// ClaudeRule is the name of the built-in rule for Claude's connectors.
	ClaudeRule = "claude"
	// ClaudeIdleTimeout is the built-in rule's idle timeout: the token of
	// a connector used at least once a day never expires before its grant.
	ClaudeIdleTimeout = 24 * time.Hour
)

// ClaudeRedirectURIs are the redirect URIs Claude's connectors (claude.ai,
// Claude Desktop and mobile, through claude.ai's proxy) register.
var ClaudeRedirectURIs = []string{
	"https://claude.ai/api/mcp/auth_callback",
	"https://claude.com/api/mcp/auth_callback",
}

// Rule picks a Policy for the clients it matches. A rule matches a client
// when every non-empty match field holds; a rule without any match field
// matches nothing (configurations reject it).
type Rule struct {
	Policy Policy
	// RedirectURIs: each an https URL; the client matches when every one of
	// its registered redirect URIs is https, on the same host (and port)
	// as one of these, with a path that starts with that one's path.
	RedirectURIs []string
	// MetadataURL: an https URL; the client matches when its client ID is
	// a metadata document URL (CIMD) on the same host whose path starts
	// with this one's.
	MetadataURL string
	// ClientName: the client matches when its registered client_name is
	// exactly this.
	ClientName string
}

// ClaudeRuleDefault is the built-in rule: Claude's connectors get sliding
// access tokens that live while used at least once a day and never longer
// than the grant's refresh lifetime (MaxLifetime zero).
func ClaudeRuleDefault() Rule {
	return Rule{
		Policy:       Policy{Name: ClaudeRule, IdleTimeout: ClaudeIdleTimeout},
		RedirectURIs: append([]string(nil), ClaudeRedirectURIs...),
	}
}

// Matches reports whether r matches client c.
func (r Rule) Matches(c Client) bool {
	if len(r.RedirectURIs) == 0 && r.MetadataURL == "" && r.ClientName == "" {
		return false
	}
	if r.ClientName != "" && c.Name != r.ClientName {
		return false
	}
	if r.MetadataURL != "" && !URLPrefixMatch(r.MetadataURL, c.ID) {
		return false
	}
	if len(r.RedirectURIs) > 0 {
		if len(c.RedirectURIs) == 0 {
			return false
		}
		for _, u := range c.RedirectURIs {
			if !anyPrefixMatch(r.RedirectURIs, u) {
				return false
			}
		}
	}
	return true
}

func anyPrefixMatch(patterns []string, u string) bool {
	for _, p := range patterns {
		if URLPrefixMatch(p, u) {
			return true
		}
	}
	return false
}

// URLPrefixMatch reports whether u is an https URL on pattern's host (and
// port, compared case-insensitively) whose path starts with pattern's path.
// pattern must be https too; query and fragment of u are ignored, and a u
// with user info never matches.
func URLPrefixMatch(pattern, u string) bool {
	p, err := url.Parse(pattern)
	if err != nil || p.Scheme != "https" || p.Host == "" {
		return false
	}
	v, err := url.Parse(u)
	if err != nil || v.Scheme != "https" || v.User != nil || !strings.EqualFold(v.Host, p.Host) {
		return false
	}
	return strings.HasPrefix(v.EscapedPath(), p.EscapedPath())
}

// Policies chooses the policy of each client: the first rule that matches
// it, else Default.
type Policies struct {
	Rules   []Rule
	Default Policy
}

// For returns the policy of client c.
func (ps *Policies) For(c Client) Policy {
	if ps == nil {
		return Policy{}
	}
	for _, r := range ps.Rules {
		if r.Matches(c) {
			return r.Policy
		}
	}
	return ps.Default
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
