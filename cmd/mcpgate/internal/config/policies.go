package config

import (
	"fmt"
	"net/url"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// PolicyConfig is one entry of tokens.policies (issue 14): which clients
// it matches and how long their access tokens live. Every match field
// given must hold; the first rule that matches a client wins, and the
// built-in rule "claude" comes after the configured ones unless an entry
// named claude replaces it (in its own place) or disables it.
//
//	tokens:
//	  policies:
//	    - name: internal-agent
//	      client_name: Build Bot
//	      access_ttl: 15m
//	    - name: claude            # replaces the built-in rule ...
//	      idle_timeout: 12h       # ... keeping its redirect URIs
//	    # - name: claude
//	    #   disabled: true        # or turns it off
type PolicyConfig struct {
	Name string `yaml:"name"`
	// RedirectURI: an https URL; matches clients whose every redirect URI
	// is https on this host with a path starting with this one's.
	RedirectURI string `yaml:"redirect_uri"`
	// MetadataURL: an https URL; matches clients whose client ID is a
	// metadata document URL on this host with a path starting with this
	// one's.
	MetadataURL string `yaml:"metadata_url"`
	// ClientName: matches clients registered with exactly this
	// client_name (anyone can register any name: use it for lifetimes,
	// never for trust).
	ClientName string `yaml:"client_name"`
	// AccessTTL: a fixed access token lifetime (not with IdleTimeout).
	AccessTTL time.Duration `yaml:"access_ttl"`
	// IdleTimeout: sliding access tokens, valid while used at least once
	// every IdleTimeout.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxLifetime: a sliding token's absolute cap from its issue; default
	// tokens.refresh_ttl (never more).
	MaxLifetime time.Duration `yaml:"max_lifetime"`
	// Disabled turns the rule off (for the built-in claude rule).
	Disabled bool `yaml:"disabled"`
}

// validatePolicies lists every problem of tokens.policies and
// tokens.sliding_bucket.
func (c *Config) validatePolicies(p *problems) {
	t := c.Tokens
	if t.SlidingBucket < 0 {
		p.add("tokens.sliding_bucket must not be negative (0 means 1h): got %s", t.SlidingBucket)
	}
	names := map[string]bool{}
	for i, r := range t.Policies {
		key := fmt.Sprintf("tokens.policies[%d]", i)
		if r.Name != "" {
			key += " (" + r.Name + ")"
		}
		switch {
		case r.Name == "":
			p.add("%s: name is required", key)
		case names[r.Name]:
			p.add("%s: the name is used twice", key)
		}
		names[r.Name] = true
		matches := r.RedirectURI != "" || r.MetadataURL != "" || r.ClientName != ""
		if r.Disabled {
			if matches || r.AccessTTL != 0 || r.IdleTimeout != 0 || r.MaxLifetime != 0 {
				p.add("%s: a disabled rule takes no other setting", key)
			}
			continue
		}
		if !matches && r.Name != tokens.ClaudeRule {
			p.add("%s: the rule matches no client; give redirect_uri, metadata_url or client_name", key)
		}
		for _, u := range []struct{ name, v string }{{"redirect_uri", r.RedirectURI}, {"metadata_url", r.MetadataURL}} {
			if u.v != "" && !httpsPrefix(u.v) {
				p.add("%s: %s must be an https URL (host and path prefix) without user info, query or fragment: got %q", key, u.name, u.v)
			}
		}
		c.validatePolicyDurations(p, key, r)
	}
}

func (c *Config) validatePolicyDurations(p *problems, key string, r PolicyConfig) {
	t := c.Tokens
	if r.AccessTTL < 0 || r.IdleTimeout < 0 || r.MaxLifetime < 0 {
		p.add("%s: access_ttl, idle_timeout and max_lifetime must not be negative", key)
	}
	if r.IdleTimeout == 0 && r.MaxLifetime != 0 {
		p.add("%s: max_lifetime applies to sliding tokens only; set idle_timeout too", key)
	}
	if r.IdleTimeout > 0 && r.AccessTTL != 0 {
		p.add("%s: access_ttl (a fixed lifetime) and idle_timeout (sliding) exclude each other", key)
	}
	if r.AccessTTL > t.RefreshTTL {
		p.add("%s: access_ttl (%s) must not exceed tokens.refresh_ttl (%s)", key, r.AccessTTL, t.RefreshTTL)
	}
	if r.MaxLifetime > t.RefreshTTL {
		p.add("%s: max_lifetime (%s) must not exceed tokens.refresh_ttl (%s)", key, r.MaxLifetime, t.RefreshTTL)
	}
	absolute := r.MaxLifetime
	if absolute == 0 {
		absolute = t.RefreshTTL
	}
	if r.IdleTimeout > absolute {
		p.add("%s: idle_timeout (%s) must not exceed the absolute lifetime (%s)", key, r.IdleTimeout, absolute)
	}
	if bucket := t.Bucket(); r.IdleTimeout > 0 && r.IdleTimeout <= bucket {
		p.add("%s: idle_timeout (%s) must be longer than tokens.sliding_bucket (%s), or tokens could never be extended", key, r.IdleTimeout, bucket)
	}
}

// httpsPrefix reports whether s is an https URL with a host and nothing
// but a path after it.
func httpsPrefix(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.RawQuery == "" && !u.ForceQuery && u.Fragment == ""
}

// Bucket is SlidingBucket with its default.
func (t TokenConfig) Bucket() time.Duration {
	if t.SlidingBucket <= 0 {
		return tokens.DefaultSlidingBucket
	}
	return t.SlidingBucket
}

// TokenRules are the access token policy rules for handlers.Config: the
// configured ones in order, with the built-in claude rule after them
// unless an entry named claude replaced (in its place) or disabled it.
// Never nil: an empty list means no rule.
func (t TokenConfig) TokenRules() []tokens.Rule {
	rules := []tokens.Rule{}
	claudeSeen := false
	for _, r := range t.Policies {
		if r.Name == tokens.ClaudeRule {
			claudeSeen = true
		}
		if r.Disabled {
			continue
		}
		rule := tokens.Rule{
			Policy:      tokens.Policy{Name: r.Name, AccessTTL: r.AccessTTL, IdleTimeout: r.IdleTimeout, MaxLifetime: r.MaxLifetime},
			MetadataURL: r.MetadataURL,
			ClientName:  r.ClientName,
		}
		if r.RedirectURI != "" {
			rule.RedirectURIs = []string{r.RedirectURI}
		}
		if r.Name == tokens.ClaudeRule && r.RedirectURI == "" && r.MetadataURL == "" && r.ClientName == "" {
			rule.RedirectURIs = tokens.ClaudeRuleDefault().RedirectURIs
		}
		rules = append(rules, rule)
	}
	if !claudeSeen {
		rules = append(rules, tokens.ClaudeRuleDefault())
	}
	return rules
}

// policyNames are the names of the token policies in force, in order (the
// built-in claude rule included unless replaced or disabled), for the
// start-up log.
func (t TokenConfig) policyNames() []string {
	var names []string
	for _, r := range t.TokenRules() {
		names = append(names, r.Policy.Name)
	}
	return names
}
