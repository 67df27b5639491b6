package allow

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/mcpgate/mcpgate/upstream"
)

// Rules are the allowlists as configured. The zero value has no rule and
// admits everyone.
type Rules struct {
	// Users are single accounts: PROVIDER:SUBJECT, PROVIDER:sub:SUBJECT,
	// PROVIDER:login:LOGIN or PROVIDER:email:ADDRESS (see the package
	// documentation).
	Users []string
	// EmailDomains admit verified e-mail addresses at these domains.
	EmailDomains []string
	// GoogleHostedDomains admit Google accounts whose "hd" claim is one of
	// these.
	GoogleHostedDomains []string
	// GitHubOrgs admit active members of these GitHub organisations.
	GitHubOrgs []string
	// GitHubTeams admit active members of these teams, as ORG/TEAM-SLUG.
	GitHubTeams []string
}

// User rule kinds: what of the account a users entry names.
const (
	KindSubject = "sub"
	KindLogin   = "login"
	KindEmail   = "email"
)

// UserRule is one parsed users entry.
type UserRule struct {
	// Provider is the configured provider name the entry is about.
	Provider string
	// Kind is KindSubject, KindLogin or KindEmail.
	Kind string
	// Value is the subject, login or e-mail address.
	Value string
}

// Team is one parsed github_teams entry.
type Team struct {
	Org, Slug string
}

func (t Team) String() string { return t.Org + "/" + t.Slug }

var (
	// GitHub logins and organisation names: alphanumerics and single
	// dashes, at most 39 characters.
	githubNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$`)
	teamSlugPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)
)

// ParseUser parses one users entry. The provider part must look like a
// provider name (lower-case letters, digits and dashes); whether such a
// provider is configured is for the caller to check.
func ParseUser(entry string) (UserRule, error) {
	provider, rest, ok := strings.Cut(entry, ":")
	switch {
	case strings.TrimSpace(entry) != entry || entry == "":
		return UserRule{}, fmt.Errorf("%q must not be empty or have spaces around it", entry)
	case !ok:
		return UserRule{}, fmt.Errorf("%q must be PROVIDER:SUBJECT, PROVIDER:login:LOGIN or PROVIDER:email:ADDRESS, such as github:1001", entry)
	case !upstream.ValidName(provider):
		return UserRule{}, fmt.Errorf("%q: the provider %q must be a provider name (lower-case letters, digits and dashes), such as github", entry, provider)
	}
	r := UserRule{Provider: provider, Kind: KindSubject, Value: rest}
	for _, kind := range []string{KindSubject, KindLogin, KindEmail} {
		if v, ok := strings.CutPrefix(rest, kind+":"); ok {
			r.Kind, r.Value = kind, v
			break
		}
	}
	switch {
	case r.Value == "" || strings.TrimSpace(r.Value) != r.Value:
		return UserRule{}, fmt.Errorf("%q: the %s must not be empty or have spaces around it", entry, kindName(r.Kind))
	case r.Kind == KindEmail && !validEmail(r.Value):
		return UserRule{}, fmt.Errorf("%q: %q is not an e-mail address", entry, r.Value)
	}
	return r, nil
}

func kindName(kind string) string {
	switch kind {
	case KindLogin:
		return "login"
	case KindEmail:
		return "e-mail address"
	}
	return "subject"
}

// validEmail accepts local@domain with one "@" and a dotted domain.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && !strings.ContainsAny(s, " \t\r\n") && upstream.ValidDomain(strings.ToLower(domain))
}

// ParseTeam parses one github_teams entry, ORG/TEAM-SLUG.
func ParseTeam(entry string) (Team, error) {
	org, slug, ok := strings.Cut(entry, "/")
	switch {
	case !ok:
		return Team{}, fmt.Errorf("%q must be ORGANISATION/TEAM-SLUG, such as my-org/my-team", entry)
	case !githubNamePattern.MatchString(org):
		return Team{}, fmt.Errorf("%q: %q is not a GitHub organisation name", entry, org)
	case !teamSlugPattern.MatchString(slug):
		return Team{}, fmt.Errorf("%q: %q is not a team slug (the team's name as it appears in its URL, such as my-team)", entry, slug)
	}
	return Team{Org: org, Slug: strings.ToLower(slug)}, nil
}

// Problems checks every rule and returns one error per problem, each
// naming its list and entry (1-based), such as "users entry 2: ...". New
// fails when there is any.
func (r Rules) Problems() []error {
	var errs []error
	bad := func(list string, i int, err error) {
		errs = append(errs, fmt.Errorf("%s entry %d: %w", list, i+1, err))
	}
	for i, u := range r.Users {
		if _, err := ParseUser(u); err != nil {
			bad("users", i, err)
		}
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"email_domains", r.EmailDomains}, {"google_hosted_domains", r.GoogleHostedDomains}} {
		for i, d := range l.list {
			switch {
			case strings.HasPrefix(d, "@"):
				bad(l.name, i, fmt.Errorf("%q: write the domain without \"@\", such as %s", d, strings.TrimPrefix(d, "@")))
			case !upstream.ValidDomain(strings.ToLower(d)):
				bad(l.name, i, fmt.Errorf("%q is not a domain name such as example.com", d))
			}
		}
	}
	for i, o := range r.GitHubOrgs {
		if !githubNamePattern.MatchString(o) {
			bad("github_orgs", i, fmt.Errorf("%q is not a GitHub organisation name (letters, digits and dashes)", o))
		}
	}
	for i, t := range r.GitHubTeams {
		if _, err := ParseTeam(t); err != nil {
			bad("github_teams", i, err)
		}
	}
	return errs
}

// errInvalid prefixes the problems of New.
var errInvalid = errors.New("allow: invalid rules")
