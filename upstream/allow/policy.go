package allow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mcpgate/mcpgate/upstream"
)

// Account is what a Policy looks at: who signed in, as the provider
// described them at login.
type Account struct {
	// Provider is the configured provider name ("github", "google", …),
	// the PROVIDER of users entries.
	Provider string
	// ProviderDisplay is the provider's name for people ("GitHub",
	// "Google"), used in the reasons of a refusal.
	ProviderDisplay string
	// Subject is the provider's stable user identifier.
	Subject string
	// Login is the GitHub login, or the OpenID Connect preferred_username
	// (upstream.Identity.Login).
	Login string
	// Email and EmailVerified are the account's address and whether the
	// provider verified it. Only a verified address matches a rule.
	Email         string
	EmailVerified bool
	// HostedDomain is Google's "hd" claim, empty for other providers and
	// for consumer Google accounts.
	HostedDomain string
}

// Membership answers organisation and team questions about one GitHub
// account, with that account's own token. GitHubMembership implements it
// on the GitHub API.
type Membership interface {
	// OrgMember reports whether the account is an active member of org.
	OrgMember(ctx context.Context, org string) (bool, error)
	// TeamMember reports whether the account is an active member of the
	// team slug of org.
	TeamMember(ctx context.Context, org, slug string) (bool, error)
}

// GitHubLookup returns the Membership of the account being checked. Check
// calls it only when a GitHub rule has to be evaluated, so that callers
// can defer the work of opening (and perhaps refreshing) the upstream
// token. A nil GitHubLookup means the account is not a GitHub account.
type GitHubLookup func(ctx context.Context) (Membership, error)

// ErrNoAccess means GitHub would not reveal a membership (HTTP 403): the
// organisation restricts third-party application access and has not
// approved this application, or the token lacks the read:org scope. The
// account is not admitted by that rule.
var ErrNoAccess = errors.New("allow: GitHub would not reveal the membership")

// Refusal is the answer for an account that no rule admits. It wraps
// upstream.ErrDenied. Reasons are sentences for the person who was
// refused, one per kind of rule.
type Refusal struct {
	Reasons []string
}

// Error joins the reasons.
func (r *Refusal) Error() string {
	return "access refused: " + strings.Join(r.Reasons, "; ")
}

// Unwrap makes errors.Is(err, upstream.ErrDenied) true for a refusal.
func (r *Refusal) Unwrap() error { return upstream.ErrDenied }

// Policy is a validated, normalised set of Rules. A nil *Policy has no
// rule. It is immutable and safe for concurrent use.
type Policy struct {
	users         []UserRule
	emailDomains  []string // lower case
	hostedDomains []string // lower case
	orgs          []string
	teams         []Team
}

// New validates r and builds its Policy. It reports every problem at once.
func New(r Rules) (*Policy, error) {
	if errs := r.Problems(); len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", errInvalid, errors.Join(errs...))
	}
	p := &Policy{}
	for _, u := range r.Users {
		ur, _ := ParseUser(u) // validated above
		p.users = append(p.users, ur)
	}
	for _, d := range r.EmailDomains {
		p.emailDomains = appendUnique(p.emailDomains, strings.ToLower(d))
	}
	for _, d := range r.GoogleHostedDomains {
		p.hostedDomains = appendUnique(p.hostedDomains, strings.ToLower(d))
	}
	for _, o := range r.GitHubOrgs {
		if !slices.ContainsFunc(p.orgs, func(have string) bool { return strings.EqualFold(have, o) }) {
			p.orgs = append(p.orgs, o)
		}
	}
	for _, t := range r.GitHubTeams {
		team, _ := ParseTeam(t) // validated above
		if !slices.ContainsFunc(p.teams, func(have Team) bool { return strings.EqualFold(have.Org, team.Org) && have.Slug == team.Slug }) {
			p.teams = append(p.teams, team)
		}
	}
	return p, nil
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// Empty reports whether the policy has no rule (it admits everyone).
func (p *Policy) Empty() bool {
	return p == nil || len(p.users)+len(p.emailDomains)+len(p.hostedDomains)+len(p.orgs)+len(p.teams) == 0
}

// NeedsGitHubOrgs reports whether the policy has organisation or team
// rules, which GitHub answers only to tokens with the read:org scope.
func (p *Policy) NeedsGitHubOrgs() bool {
	return p != nil && len(p.orgs)+len(p.teams) > 0
}

// Users returns the parsed users entries (for checks of the configuration
// such as "is this provider configured").
func (p *Policy) Users() []UserRule {
	if p == nil {
		return nil
	}
	return slices.Clone(p.users)
}

// Check decides whether a may sign in or keep its grant. It returns nil
// when the policy is empty or any rule admits a; a *Refusal (wrapping
// upstream.ErrDenied) when none does; and any other error when a GitHub
// rule could not be evaluated (GitHub unreachable or rate limited, or,
// wrapping upstream.ErrRevoked, a dead upstream token), in which case
// nothing is known about a. github is nil for accounts that are not
// GitHub accounts.
func (p *Policy) Check(ctx context.Context, a Account, github GitHubLookup) error {
	if p.Empty() {
		return nil
	}
	display := a.ProviderDisplay
	if display == "" {
		display = a.Provider
	}
	var reasons []string
	if len(p.users) > 0 {
		if p.userAdmits(a) {
			return nil
		}
		reasons = append(reasons, fmt.Sprintf("your %s account is not on the list of people allowed to sign in", display))
	}
	if len(p.emailDomains) > 0 {
		reason, ok := p.emailAdmits(a, display)
		if ok {
			return nil
		}
		reasons = append(reasons, reason)
	}
	if len(p.hostedDomains) > 0 {
		if a.HostedDomain != "" && slices.Contains(p.hostedDomains, strings.ToLower(a.HostedDomain)) {
			return nil
		}
		reasons = append(reasons, fmt.Sprintf("only Google Workspace accounts of %s may sign in", orList(p.hostedDomains)))
	}
	if len(p.orgs)+len(p.teams) > 0 {
		admitted, reason, err := p.githubAdmits(ctx, github)
		if err != nil || admitted {
			return err
		}
		reasons = append(reasons, reason...)
	}
	return &Refusal{Reasons: reasons}
}

// userAdmits reports whether a users entry names a.
func (p *Policy) userAdmits(a Account) bool {
	for _, u := range p.users {
		if u.Provider != a.Provider {
			continue
		}
		switch u.Kind {
		case KindSubject:
			if a.Subject != "" && u.Value == a.Subject {
				return true
			}
		case KindLogin:
			if a.Login != "" && strings.EqualFold(u.Value, a.Login) {
				return true
			}
		case KindEmail:
			if a.EmailVerified && a.Email != "" && strings.EqualFold(u.Value, a.Email) {
				return true
			}
		}
	}
	return false
}

// emailAdmits checks the e-mail domain rules, returning the reason when
// they do not admit a.
func (p *Policy) emailAdmits(a Account, display string) (string, bool) {
	domains := orList(p.emailDomains)
	_, domain, _ := strings.Cut(a.Email, "@")
	switch {
	case a.Email == "":
		return fmt.Sprintf("only verified e-mail addresses at %s may sign in, and %s gave no e-mail address for your account", domains, display), false
	case !slices.Contains(p.emailDomains, strings.ToLower(domain)):
		return fmt.Sprintf("only verified e-mail addresses at %s may sign in; yours is at %s", domains, domain), false
	case !a.EmailVerified:
		return fmt.Sprintf("only verified e-mail addresses at %s may sign in, and %s has not verified yours", domains, display), false
	}
	return "", true
}

// githubAdmits checks the organisation and team rules.
func (p *Policy) githubAdmits(ctx context.Context, github GitHubLookup) (bool, []string, error) {
	if github == nil {
		var what []string
		if len(p.orgs) > 0 {
			what = append(what, "the "+orList(p.orgs)+" GitHub organisation")
		}
		if len(p.teams) > 0 {
			what = append(what, "the "+orList(teamNames(p.teams))+" GitHub team")
		}
		return false, []string{"members of " + strings.Join(what, " or of ") + " may sign in with their GitHub account"}, nil
	}
	m, err := github(ctx)
	if err != nil {
		return false, nil, fmt.Errorf("allow: checking GitHub memberships: %w", err)
	}
	var (
		reasons    []string
		restricted []string
	)
	if len(p.orgs) > 0 {
		for _, org := range p.orgs {
			ok, err := m.OrgMember(ctx, org)
			switch {
			case errors.Is(err, ErrNoAccess):
				restricted = append(restricted, org)
			case err != nil:
				return false, nil, fmt.Errorf("allow: checking membership of the GitHub organisation %s: %w", org, err)
			case ok:
				return true, nil, nil
			}
		}
		reasons = append(reasons, fmt.Sprintf("your GitHub account is not a member of the %s organisation", orList(p.orgs)))
	}
	if len(p.teams) > 0 {
		for _, t := range p.teams {
			ok, err := m.TeamMember(ctx, t.Org, t.Slug)
			switch {
			case errors.Is(err, ErrNoAccess):
				restricted = appendUnique(restricted, t.Org)
			case err != nil:
				return false, nil, fmt.Errorf("allow: checking membership of the GitHub team %s: %w", t, err)
			case ok:
				return true, nil, nil
			}
		}
		reasons = append(reasons, fmt.Sprintf("your GitHub account is not in the %s team", orList(teamNames(p.teams))))
	}
	if len(restricted) > 0 {
		reasons = append(reasons, fmt.Sprintf("GitHub would not confirm your membership of %s: the organisation may restrict third-party application access (an organisation owner can approve this application), or the sign-in did not grant the read:org scope", orList(restricted)))
	}
	return false, reasons, nil
}

func teamNames(teams []Team) []string {
	out := make([]string, len(teams))
	for i, t := range teams {
		out[i] = t.String()
	}
	return out
}

// orList writes "a", "a or b", "a, b or c".
func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
