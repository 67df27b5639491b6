package allow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	gh "github.com/google/go-github/v92/github"

	"github.com/mcpgate/mcpgate/upstream"
)

// GitHubClients is the capability of GitHub providers (upstream/github's
// *Provider) to build an API client for a person's upstream token. A
// provider that has it is a GitHub provider: GitHub rules apply to its
// accounts.
type GitHubClients interface {
	NewClient(accessToken string) (*gh.Client, error)
}

// Membership states in GitHub's answers.
const stateActive = "active"

// GitHubMembership answers membership questions through the GitHub REST
// API with the person's own token:
//
//	GET /user/memberships/orgs/{org}                        organisation
//	GET /orgs/{org}/teams/{team_slug}/memberships/{username} team
//
// Only state "active" counts ("pending" is an invitation not yet
// accepted). 404 means not a member (GitHub also answers 404 for an
// organisation or team the token may not see). 403 is ErrNoAccess, except
// rate limits, which are transient errors. 401 wraps upstream.ErrRevoked:
// GitHub no longer accepts the token. It is safe for concurrent use.
type GitHubMembership struct {
	client *gh.Client

	mu    sync.Mutex
	login string
}

// NewGitHubMembership checks memberships with client, which must be
// authenticated as the person. login is the person's current GitHub login,
// needed for team checks (the team endpoint asks about a username); pass
// it only when it was just read from GitHub (at login), and "" otherwise:
// logins can be renamed, so one recorded earlier may now name someone
// else. An empty login is learnt from an organisation check's answer or
// read from GET /user on first need.
func NewGitHubMembership(client *gh.Client, login string) *GitHubMembership {
	return &GitHubMembership{client: client, login: login}
}

// OrgMember reports whether the token's user is an active member of org.
func (m *GitHubMembership) OrgMember(ctx context.Context, org string) (bool, error) {
	mem, _, err := m.client.Organizations.GetOrgMembership(ctx, "", org)
	if err != nil {
		return classify(err)
	}
	if l := mem.GetUser().GetLogin(); l != "" {
		m.mu.Lock()
		m.login = l
		m.mu.Unlock()
	}
	return mem.GetState() == stateActive, nil
}

// TeamMember reports whether the token's user is an active member of the
// team slug of org.
func (m *GitHubMembership) TeamMember(ctx context.Context, org, slug string) (bool, error) {
	login, err := m.currentLogin(ctx)
	if err != nil {
		return false, err
	}
	mem, _, err := m.client.Teams.GetTeamMembershipBySlug(ctx, org, slug, login)
	if err != nil {
		return classify(err)
	}
	return mem.GetState() == stateActive, nil
}

func (m *GitHubMembership) currentLogin(ctx context.Context) (string, error) {
	m.mu.Lock()
	login := m.login
	m.mu.Unlock()
	if login != "" {
		return login, nil
	}
	u, _, err := m.client.Users.Get(ctx, "")
	if err != nil {
		_, err = classify(err)
		if errors.Is(err, ErrNoAccess) {
			err = fmt.Errorf("allow: GitHub refused GET /user: %w", err)
		}
		return "", err
	}
	if u.GetLogin() == "" {
		return "", errors.New("allow: GitHub returned no login for the token's user")
	}
	m.mu.Lock()
	m.login = u.GetLogin()
	m.mu.Unlock()
	return u.GetLogin(), nil
}

// classify maps a go-github error to the answer of a membership check.
func classify(err error) (bool, error) {
	if _, ok := errors.AsType[*gh.RateLimitError](err); ok {
		return false, fmt.Errorf("allow: GitHub rate limit: %w", err)
	}
	if _, ok := errors.AsType[*gh.AbuseRateLimitError](err); ok {
		return false, fmt.Errorf("allow: GitHub secondary rate limit: %w", err)
	}
	if er, ok := errors.AsType[*gh.ErrorResponse](err); ok && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusNotFound:
			return false, nil
		case http.StatusForbidden:
			return false, ErrNoAccess
		case http.StatusUnauthorized:
			return false, fmt.Errorf("allow: GitHub refused the upstream token: %w", upstream.ErrRevoked)
		}
		return false, fmt.Errorf("allow: GitHub answered %d", er.Response.StatusCode)
	}
	return false, fmt.Errorf("allow: calling GitHub: %w", err)
}

// LookupFor returns the GitHubLookup of an account of provider p whose
// upstream access token token returns, or nil when p is not a GitHub
// provider (it lacks GitHubClients). token is called only when a GitHub
// rule has to be evaluated. login is the account's GitHub login as just
// read from GitHub, or "" to learn it from GitHub (see
// NewGitHubMembership).
func LookupFor(p upstream.Provider, token func(ctx context.Context) (string, error), login string) GitHubLookup {
	gc, ok := p.(GitHubClients)
	if !ok {
		return nil
	}
	return func(ctx context.Context) (Membership, error) {
		t, err := token(ctx)
		if err != nil {
			return nil, err
		}
		c, err := gc.NewClient(t)
		if err != nil {
			return nil, err
		}
		return NewGitHubMembership(c, login), nil
	}
}
