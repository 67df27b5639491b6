package fakegithub

import (
	"net/http"
	"slices"
	"strings"
)

// getUser is GET /user: the token's user.
func (f *Fake) getUser(c *call) {
	c.json(http.StatusOK, c.rd.user(f.user(c.login)))
}

// getUserEmails is GET /user/emails. OAuth App tokens need the user:email
// or user scope; without it GitHub answers 404. GitHub App user tokens are
// governed by app permissions, which the fake grants.
func (f *Fake) getUserEmails(c *call) {
	if tok := c.tok; tok.scopes != nil && !slices.Contains(tok.scopes, "user:email") && !slices.Contains(tok.scopes, "user") {
		c.notFound()
		return
	}
	u := f.user(c.login)
	emails := []emailJSON{}
	if u.Email != "" {
		vis := "public"
		if u.EmailPrivate {
			vis = "private"
		}
		emails = append(emails,
			emailJSON{Email: u.Email, Primary: true, Verified: true, Visibility: &vis},
			emailJSON{Email: u.Login + "@users.noreply.fake.github.test", Verified: true},
		)
	}
	c.json(http.StatusOK, emails)
}

// listUserRepos is GET /user/repos: repositories the user owns, by full
// name, paginated.
func (f *Fake) listUserRepos(c *call) {
	var owned []*repo
	for _, r := range f.repos {
		if strings.EqualFold(r.owner, c.login) {
			owned = append(owned, r)
		}
	}
	slices.SortFunc(owned, func(a, b *repo) int { return strings.Compare(a.fullName(), b.fullName()) })
	lo, hi := c.page(len(owned))
	out := []repoJSON{}
	for _, r := range owned[lo:hi] {
		out = append(out, c.rd.repo(r))
	}
	c.json(http.StatusOK, out)
}
