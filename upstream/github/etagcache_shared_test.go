package github_test

import (
	"context"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/mcpgate/mcpgate/upstream/github"
)

// TestSharedConditionalCache: two replicas (two Providers, each with its
// own process cache) share one store. The first reads an issue in full;
// the second, which never saw it, revalidates the first one's answer and
// gets GitHub's 304, which costs no quota. Another token revalidates
// nothing. In Redis nothing of the answer, the request or the token is
// readable.
func TestSharedConditionalCache(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	keys, err := tokens.NewKeyring([]byte(strings.Repeat("shared cache test secret ", 2)))
	if err != nil {
		t.Fatal(err)
	}
	stores := []struct {
		name  string
		store func(t *testing.T) github.SharedCache
		// rdb is the Redis the store writes to, nil for memory.
		rdb goredis.UniversalClient
	}{
		{"memory", func(*testing.T) github.SharedCache { return memory.New(nil) }, nil},
		{"redis", func(*testing.T) github.SharedCache {
			return tokensredis.New(rdb, tokensredis.Options{Prefix: "etagtest", Keys: keys})
		}, rdb},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			f := fakegithubtest.NewServer(t, fakegithub.Options{Enterprise: true})
			shared := st.store(t)
			replica := func() *github.Provider {
				p, err := github.New(github.Config{ClientID: f.ClientID(), ClientSecret: f.ClientSecret(), RedirectURL: callback,
					BaseURL: f.URL, SharedCache: shared})
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			first, second := replica(), replica()
			tokenOf := map[string]string{"mona": f.IssueToken("mona"), "hubot": f.IssueToken("hubot")}
			read := func(p *github.Provider, login string) (title string, remaining int) {
				t.Helper()
				c, err := p.NewUserClient(t.Context(), fixedSource(tokenOf[login]), nil)
				if err != nil {
					t.Fatal(err)
				}
				issue, resp, err := c.Issues.Get(t.Context(), "mona", "hello-world", 1)
				if err != nil {
					t.Fatalf("issue as %s: %v", login, err)
				}
				return issue.GetTitle(), resp.Rate.Remaining
			}

			title1, remaining1 := read(first, "mona")
			title2, remaining2 := read(second, "mona")
			if title1 == "" || title2 != title1 {
				t.Fatalf("titles %q then %q, want the same issue twice", title1, title2)
			}
			if got := f.Counts().NotModified; got != 1 {
				t.Errorf("304 answers after the second replica's read = %d, want 1", got)
			}
			if remaining2 != remaining1 {
				t.Errorf("remaining quota %d then %d: the second replica's read was counted", remaining1, remaining2)
			}
			// The second replica now has it in its own cache as well.
			read(second, "mona")
			if got := f.Counts().NotModified; got != 2 {
				t.Errorf("304 answers after a third read = %d, want 2", got)
			}
			// hubot's token revalidates nothing of mona's.
			read(second, "hubot")
			if got := f.Counts().NotModified; got != 2 {
				t.Errorf("304 answers after hubot's read = %d, want still 2", got)
			}

			if st.rdb == nil {
				return
			}
			ctx := context.Background()
			keys, err := st.rdb.Keys(ctx, "etagtest:etag:*").Result()
			if err != nil || len(keys) != 2 {
				t.Fatalf("Redis keys of the cache = %v, %v; want one per token", keys, err)
			}
			for _, k := range keys {
				fields, err := st.rdb.HGetAll(ctx, k).Result()
				if err != nil {
					t.Fatal(err)
				}
				all := k
				for name, value := range fields {
					all += "\n" + name + "\n" + value
				}
				for _, secret := range []string{title1, "hello-world", "/issues/", "mona", tokenOf["mona"], tokenOf["hubot"]} {
					if strings.Contains(all, secret) {
						t.Errorf("Redis holds %q in clear under %s", secret, k)
					}
				}
			}
		})
	}
}
