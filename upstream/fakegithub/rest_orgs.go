package fakegithub

import (
	"fmt"
	"net/http"
	"strings"
)

type orgJSON struct {
	Login   string `json:"login"`
	ID      int64  `json:"id"`
	NodeID  string `json:"node_id"`
	URL     string `json:"url"`
	HTMLURL string `json:"html_url"`
}

type orgMembershipJSON struct {
	URL             string         `json:"url"`
	State           string         `json:"state"`
	Role            string         `json:"role"`
	OrganizationURL string         `json:"organization_url"`
	Organization    orgJSON        `json:"organization"`
	User            simpleUserJSON `json:"user"`
}

type teamMembershipJSON struct {
	URL   string `json:"url"`
	Role  string `json:"role"`
	State string `json:"state"`
}

const docsOAuthRestrictions = "https://docs.github.com/articles/restricting-access-to-your-organization-s-data/"

// orgFor finds the organisation named by the path and checks that the
// token may read its memberships: OAuth App tokens need read:org (GitHub
// answers 403 without it) and the organisation's approval when it
// restricts OAuth Apps (403 too). An unknown organisation is 404.
func (c *call) orgFor() *org {
	og := c.f.orgs[strings.ToLower(c.r.PathValue("org"))]
	switch {
	case og == nil:
		c.notFound()
		return nil
	case !canReadOrgs(c.tok):
		c.json(http.StatusForbidden, apiError{
			Message:          "You need at least read:org scope or user scope to list your organization memberships.",
			DocumentationURL: docsREST,
			Status:           "403",
		})
		return nil
	case og.restrict && c.tok.scopes != nil:
		c.json(http.StatusForbidden, apiError{
			Message: fmt.Sprintf("Although you appear to have the correct authorization credentials, the `%s` organization has enabled OAuth App access restrictions, "+
				"meaning that data access to third-parties is limited.", og.login),
			DocumentationURL: docsOAuthRestrictions,
			Status:           "403",
		})
		return nil
	}
	return og
}

// getOrgMembership is GET /user/memberships/orgs/{org}: the token's user's
// membership, active or pending; 404 when there is none.
func (f *Fake) getOrgMembership(c *call) {
	og := c.orgFor()
	if og == nil {
		return
	}
	state, ok := og.members[strings.ToLower(c.login)]
	if !ok {
		c.notFound()
		return
	}
	orgURL := c.rd.api + "/orgs/" + og.login
	c.json(http.StatusOK, orgMembershipJSON{
		URL:             orgURL + "/memberships/" + c.login,
		State:           state,
		Role:            "member",
		OrganizationURL: orgURL,
		Organization: orgJSON{
			Login:   og.login,
			ID:      og.id,
			NodeID:  nodeID("Organization", og.id),
			URL:     orgURL,
			HTMLURL: c.rd.web + "/" + og.login,
		},
		User: c.rd.simpleUser(c.login),
	})
}

// getTeamMembership is GET /orgs/{org}/teams/{team_slug}/memberships/{username}.
// Only members of the organisation may see its teams (404 otherwise, as for
// a team or user that does not exist or a user not in the team).
func (f *Fake) getTeamMembership(c *call) {
	og := c.orgFor()
	if og == nil {
		return
	}
	t := og.teams[strings.ToLower(c.r.PathValue("team_slug"))]
	username := c.r.PathValue("username")
	if t == nil || og.members[strings.ToLower(c.login)] != stateActive || !t.members[strings.ToLower(username)] {
		c.notFound()
		return
	}
	login := username
	if u := f.user(username); u != nil {
		login = u.Login
	}
	c.json(http.StatusOK, teamMembershipJSON{
		URL:   fmt.Sprintf("%s/organizations/%d/team/%d/memberships/%s", c.rd.api, og.id, t.id, login),
		Role:  "member",
		State: stateActive,
	})
}
