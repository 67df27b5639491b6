package github_test

import (
	"context"
	"testing"

	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/mcpgate/mcpgate/upstream/github"
)

// fixedSource is a TokenSource whose token never changes.
type fixedSource string

func (s fixedSource) Token(context.Context) (upstream.Token, error) {
	return upstream.Token{AccessToken: string(s)}, nil
}

func (s fixedSource) Rejected(context.Context, string) (upstream.Token, error) {
	return upstream.Token{AccessToken: string(s)}, nil
}

// TestConditionalRequests: a user's client asks again with If-None-Match;
// GitHub's 304 costs no quota and the client still gets the whole answer.
// Another token never revalidates (or sees) the first one's answers, and a
// provider with the cache turned off sends every request in full.
func TestConditionalRequests(t *testing.T) {
	tests := []struct {
		name string
		// cacheBytes is Config.ConditionalCacheBytes.
		cacheBytes int
		// secondUser reads the second time with hubot's token.
		secondUser      bool
		wantNotModified int
	}{
		{"same user twice", 0, false, 1},
		{"another user", 0, true, 0},
		{"cache off", -1, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakegithubtest.NewServer(t, fakegithub.Options{Enterprise: true})
			p, err := github.New(github.Config{ClientID: f.ClientID(), ClientSecret: f.ClientSecret(), RedirectURL: callback,
				BaseURL: f.URL, ConditionalCacheBytes: tt.cacheBytes})
			if err != nil {
				t.Fatal(err)
			}
			tokens := map[string]string{"mona": f.IssueToken("mona"), "hubot": f.IssueToken("hubot")}
			read := func(login string) (title string, remaining int) {
				t.Helper()
				c, err := p.NewUserClient(t.Context(), fixedSource(tokens[login]), nil)
				if err != nil {
					t.Fatal(err)
				}
				issue, resp, err := c.Issues.Get(t.Context(), "mona", "hello-world", 1)
				if err != nil {
					t.Fatalf("issue as %s: %v", login, err)
				}
				return issue.GetTitle(), resp.Rate.Remaining
			}
			title1, remaining1 := read("mona")
			second := "mona"
			if tt.secondUser {
				second = "hubot"
			}
			title2, remaining2 := read(second)
			if title1 == "" || title2 != title1 {
				t.Errorf("titles %q then %q, want the same issue twice", title1, title2)
			}
			if got := f.Counts().NotModified; got != tt.wantNotModified {
				t.Errorf("304 answers = %d, want %d", got, tt.wantNotModified)
			}
			// A revalidated read leaves the quota as it was; a full one
			// spends one request of the user's (hubot's is his own).
			if tt.wantNotModified == 1 && remaining2 != remaining1 {
				t.Errorf("remaining quota %d then %d: the 304 was counted", remaining1, remaining2)
			}
			if tt.cacheBytes < 0 && remaining2 != remaining1-1 {
				t.Errorf("remaining quota %d then %d, want one request spent", remaining1, remaining2)
			}
		})
	}
}
