package fakegithub

import (
	"fmt"
	"slices"
	"strings"
)

// Org describes an organisation for AddOrg.
type Org struct {
	// Login is the organisation's name.
	Login string
	// Members are the logins of its active members.
	Members []string
	// Pending are logins invited to it that have not accepted yet
	// (membership state "pending").
	Pending []string
	// Teams maps team slugs to the logins of their members, who must be
	// in Members.
	Teams map[string][]string
	// RestrictOAuthApps answers 403 to OAuth App tokens on its membership
	// endpoints, as an organisation with OAuth App access restrictions
	// does for an application it has not approved. GitHub App user tokens
	// are not affected.
	RestrictOAuthApps bool
}

// Membership states, as GitHub names them.
const (
	stateActive  = "active"
	statePending = "pending"
)

type org struct {
	id       int64
	login    string
	members  map[string]string // lower-case login → state
	teams    map[string]*team  // by slug
	restrict bool
}

type team struct {
	id      int64
	slug    string
	members map[string]bool // lower-case logins
}

// AddOrg adds or replaces an organisation. Every login must be a known
// user, and team members must be active members.
func (f *Fake) AddOrg(o Org) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addOrg(o)
}

func (f *Fake) addOrg(o Org) error {
	if o.Login == "" || strings.ContainsAny(o.Login, "/ ") {
		return fmt.Errorf("fakegithub: invalid organisation name %q", o.Login)
	}
	og := &org{id: f.newID(), login: o.Login, members: map[string]string{}, teams: map[string]*team{}, restrict: o.RestrictOAuthApps}
	for _, l := range [][]string{o.Members, o.Pending} {
		for _, login := range l {
			if f.user(login) == nil {
				return fmt.Errorf("fakegithub: organisation %s: unknown user %q", o.Login, login)
			}
		}
	}
	for _, login := range o.Members {
		og.members[strings.ToLower(login)] = stateActive
	}
	for _, login := range o.Pending {
		og.members[strings.ToLower(login)] = statePending
	}
	for slug, members := range o.Teams {
		if slug == "" || strings.ContainsAny(slug, "/ ") {
			return fmt.Errorf("fakegithub: organisation %s: invalid team slug %q", o.Login, slug)
		}
		t := &team{id: f.newID(), slug: strings.ToLower(slug), members: map[string]bool{}}
		for _, login := range members {
			if og.members[strings.ToLower(login)] != stateActive {
				return fmt.Errorf("fakegithub: team %s/%s: %q is not an active member of the organisation", o.Login, slug, login)
			}
			t.members[strings.ToLower(login)] = true
		}
		og.teams[t.slug] = t
	}
	f.orgs[strings.ToLower(o.Login)] = og
	return nil
}

// RemoveOrgMember removes login from the organisation and from every team
// of it, as GitHub does. It reports whether login was a member (active or
// pending).
func (f *Fake) RemoveOrgMember(orgName, login string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	og := f.orgs[strings.ToLower(orgName)]
	if og == nil {
		return false
	}
	key := strings.ToLower(login)
	_, was := og.members[key]
	delete(og.members, key)
	for _, t := range og.teams {
		delete(t.members, key)
	}
	return was
}

// RemoveTeamMember removes login from one team of the organisation (it
// stays an organisation member). It reports whether login was in the team.
func (f *Fake) RemoveTeamMember(orgName, slug, login string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	og := f.orgs[strings.ToLower(orgName)]
	if og == nil {
		return false
	}
	t := og.teams[strings.ToLower(slug)]
	if t == nil {
		return false
	}
	key := strings.ToLower(login)
	was := t.members[key]
	delete(t.members, key)
	return was
}

// orgScopes are the OAuth scopes that let a token read organisation
// memberships.
var orgScopes = []string{"read:org", "write:org", "admin:org"}

// canReadOrgs reports whether tok may read memberships: GitHub App user
// tokens (no scopes) may; OAuth App tokens need one of orgScopes.
func canReadOrgs(tok *accessToken) bool {
	if tok.scopes == nil {
		return true
	}
	return slices.ContainsFunc(tok.scopes, func(s string) bool { return slices.Contains(orgScopes, s) })
}
