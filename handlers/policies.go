package handlers

import (
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// tokenPolicies builds the access token policies of cfg (issue 14): its
// rules (nil: the built-in ones, tokens.ClaudeRuleDefault) in order, and
// for every other client a fixed AccessTTL, as before policies existed.
func tokenPolicies(cfg *Config) *tokens.Policies {
	rules := cfg.TokenPolicies
	if rules == nil {
		rules = []tokens.Rule{tokens.ClaudeRuleDefault()}
	}
	return &tokens.Policies{Rules: rules, Default: tokens.Policy{AccessTTL: cfg.AccessTTL}}
}

// checkTokenPolicies reports the rules of cfg.TokenPolicies that cannot
// work. The YAML configuration checks the same with the settings' names;
// these checks guard other callers of New.
func (cfg *Config) checkTokenPolicies(bad func(string, ...any)) {
	for i, r := range cfg.TokenPolicies {
		p := r.Policy
		name := p.Name
		if name == "" {
			bad("TokenPolicies[%d]: a rule needs a name", i)
		}
		if len(r.RedirectURIs) == 0 && r.MetadataURL == "" && r.ClientName == "" {
			bad("TokenPolicies[%d] (%s): the rule matches no client (give a redirect URI, a metadata URL or a client name)", i, name)
		}
		for _, d := range []time.Duration{p.AccessTTL, p.IdleTimeout, p.MaxLifetime} {
			if d < 0 {
				bad("TokenPolicies[%d] (%s): durations must not be negative", i, name)
			}
		}
		if p.IdleTimeout > 0 && p.AccessTTL > 0 {
			bad("TokenPolicies[%d] (%s): AccessTTL is for fixed tokens; a sliding rule (IdleTimeout) lives until MaxLifetime", i, name)
		}
		if p.AccessTTL > cfg.RefreshTTL || p.MaxLifetime > cfg.RefreshTTL {
			bad("TokenPolicies[%d] (%s): an access token may not outlive RefreshTTL", i, name)
		}
		if p.MaxLifetime > 0 && p.IdleTimeout > p.MaxLifetime {
			bad("TokenPolicies[%d] (%s): IdleTimeout exceeds MaxLifetime", i, name)
		}
	}
}
