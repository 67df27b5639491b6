package github

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
)

// notModified answers 304 to a request that carries If-None-Match, else a
// 200 with an ETag and a 20 KB body (an issue with its comments).
type notModified struct{ body []byte }

func (n notModified) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Etag": {`W/"e1"`}}
	if r.Header.Get("If-None-Match") != "" {
		return &http.Response{StatusCode: http.StatusNotModified, Header: h, Body: http.NoBody, Request: r}, nil
	}
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(bytes.NewReader(n.body)),
		ContentLength: int64(len(n.body)), Request: r}, nil
}

// BenchmarkConditionalRevalidate measures what a revalidated read costs
// mcpgate (GitHub's own round trip left out): from the process's cache,
// and from the shared cache alone (a replica that has not seen the answer
// yet) in the memory store and in Redis. The process cache stays the fast
// path: the shared one adds the key derivation, the unsealing and, with
// Redis, a round trip.
func BenchmarkConditionalRevalidate(b *testing.B) {
	next := notModified{body: bytes.Repeat([]byte("x"), 20_000)}
	keys, err := tokens.NewKeyring([]byte(strings.Repeat("bench secret ", 4)))
	if err != nil {
		b.Fatal(err)
	}
	rs := redistest.Start(b)
	for _, bc := range []struct {
		name  string
		cache *etagCache
	}{
		{"process", newETagCache(DefaultConditionalCacheBytes)},
		{"shared-memory", &etagCache{max: 1, order: newETagCache(1).order, entries: map[string]*list.Element{}, shared: memory.New(nil)}},
		{"shared-redis", &etagCache{max: 1, order: newETagCache(1).order, entries: map[string]*list.Element{},
			shared: tokensredis.New(rs.Client(b), tokensredis.Options{Prefix: "bench", Keys: keys})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			read := func() {
				r := httptest.NewRequest(http.MethodGet, "https://api.github.com/repos/mona/hello-world/issues/1", nil)
				resp, err := bc.cache.sendConditional(next, r, "gho_benchtoken0123456789")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			read() // the full answer, cached
			b.ResetTimer()
			for b.Loop() {
				read()
			}
		})
	}
}
