package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v92/github"

	"github.com/mcpgate/mcpgate/upstream"
)

// identify reads the token's user. Subject is the numeric user ID, which
// survives renames; the login is display data. The email is the public
// one from GET /user or else the primary verified address from GET
// /user/emails; it counts as verified only when /user/emails says so.
// /user/emails needs the user:email scope (or, for GitHub Apps, the email
// permission); a 403 or 404 there is not an error.
func (p *Provider) identify(ctx context.Context, token string) (upstream.Identity, error) {
	c, err := p.NewClient(token)
	if err != nil {
		return upstream.Identity{}, err
	}
	u, _, err := c.Users.Get(ctx, "")
	if err != nil {
		return upstream.Identity{}, fmt.Errorf("github: get user: %w", err)
	}
	if u.GetID() <= 0 || u.GetLogin() == "" {
		return upstream.Identity{}, errors.New("github: GET /user returned no id or login")
	}
	id := upstream.Identity{
		Subject: strconv.FormatInt(u.GetID(), 10),
		Login:   u.GetLogin(),
		Name:    u.GetName(),
		Email:   u.GetEmail(),
	}
	emails, _, err := c.Users.ListEmails(ctx, &gh.ListOptions{PerPage: 100})
	if err != nil {
		if ge, ok := errors.AsType[*gh.ErrorResponse](err); ok && ge.Response != nil &&
			(ge.Response.StatusCode == http.StatusNotFound || ge.Response.StatusCode == http.StatusForbidden) {
			return id, nil
		}
		return upstream.Identity{}, fmt.Errorf("github: list user emails: %w", err)
	}
	for _, e := range emails {
		if !e.GetVerified() {
			continue
		}
		switch {
		case id.Email != "" && strings.EqualFold(e.GetEmail(), id.Email):
			id.EmailVerified = true
		case id.Email == "" && e.GetPrimary():
			id.Email, id.EmailVerified = e.GetEmail(), true
		}
	}
	return id, nil
}
