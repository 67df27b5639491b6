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

// TestSharedConditionalCacheTampered: an entry changed in the store
// (a byte of one flipped, another copied under a third name) does not
// open: the replica sends the request in full and answers correctly,
// rather than getting a 304 for an answer someone with write access to
// Redis altered.
func TestSharedConditionalCacheTampered(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	keys, err := tokens.NewKeyring([]byte(strings.Repeat("tampered cache test secret ", 2)))
	if err != nil {
		t.Fatal(err)
	}
	shared := tokensredis.New(rdb, tokensredis.Options{Prefix: "tampered", Keys: keys})
	f := fakegithubtest.NewServer(t, fakegithub.Options{Enterprise: true})
	token := f.IssueToken("mona")
	read := func(number int) string {
		t.Helper()
		p, err := github.New(github.Config{ClientID: f.ClientID(), ClientSecret: f.ClientSecret(), RedirectURL: callback,
			BaseURL: f.URL, SharedCache: shared})
		if err != nil {
			t.Fatal(err)
		}
		c, err := p.NewUserClient(t.Context(), fixedSource(token), nil)
		if err != nil {
			t.Fatal(err)
		}
		issue, _, err := c.Issues.Get(t.Context(), "mona", "hello-world", number)
		if err != nil {
			t.Fatalf("issue %d: %v", number, err)
		}
		return issue.GetTitle()
	}
	title1, title2 := read(1), read(2)
	ctx := context.Background()
	userKeys, err := rdb.Keys(ctx, "tampered:etag:*").Result()
	if err != nil || len(userKeys) != 1 {
		t.Fatalf("keys = %v, %v", userKeys, err)
	}
	fields, err := rdb.HGetAll(ctx, userKeys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for name := range fields {
		if !strings.HasPrefix(name, "#") {
			entries = append(entries, name)
		}
	}
	if len(entries) != 2 {
		t.Fatalf("entries = %v, want two", entries)
	}
	// Flip a byte in the middle of the first answer; put the first
	// answer under the second one's name.
	flipped := []byte(fields[entries[0]])
	flipped[len(flipped)/2] ^= 0x20
	first, second := entries[0], entries[1]
	if err := rdb.HSet(ctx, userKeys[0], first, string(flipped), second, fields[first]).Err(); err != nil {
		t.Fatal(err)
	}
	before := f.Counts().NotModified
	if got1, got2 := read(1), read(2); got1 != title1 || got2 != title2 {
		t.Errorf("after tampering with the stored answers: %q, %q; want %q, %q", got1, got2, title1, title2)
	}
	if got := f.Counts().NotModified - before; got != 0 {
		t.Errorf("%d answers revalidated from tampered entries, want none", got)
	}
}
