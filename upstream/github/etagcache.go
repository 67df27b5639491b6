package github

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Conditional requests (GitHub REST API, "Best practices: use conditional
// requests if appropriate"; RFC 9110 §13.1.2 If-None-Match): GitHub sends
// an ETag with most GET answers, and a GET that repeats it in
// If-None-Match gets 304 Not Modified, which does not count against the
// person's rate limit. A user's client remembers the answers with an ETag
// and asks again conditionally, so a model that reads the same issue,
// file listing or pull request twice spends its quota once.
//
// Two levels: each process keeps an LRU bounded in bytes, shared by the
// users of one Provider, as the fast path (no store round trip, nothing to
// unseal); with Config.SharedCache, answers are also kept sealed in the
// store (etagcache_shared.go), so that a replica that has not seen an
// answer yet revalidates the one another replica fetched. A request looks
// in the process first, then in the store; a new answer goes to both.
// Local entries are keyed by a hash of the upstream access token (never
// the token), the Accept header and the URL, so an answer is only ever
// replayed to the token that fetched it, and GitHub still decides on every
// request whether it is current: nothing is served without GitHub's 304.

// Cache sizes.
const (
	// DefaultConditionalCacheBytes bounds a Provider's cache when
	// Config.ConditionalCacheBytes is 0.
	DefaultConditionalCacheBytes = 32 << 20
	// maxCachedBody is the largest body kept; larger answers pass through.
	maxCachedBody = 1 << 20
)

// etagCache is an LRU of GET answers that carried an ETag.
type etagCache struct {
	mu      sync.Mutex
	max     int
	size    int
	order   *list.List               // front: most recently used
	entries map[string]*list.Element // of *etagEntry
	// shared, when set, shares the answers between replicas.
	shared SharedCache
}

type etagEntry struct {
	key    string
	etag   string
	header http.Header
	body   []byte
}

func (e *etagEntry) bytes() int { return len(e.key) + len(e.etag) + len(e.body) }

func newETagCache(maxBytes int) *etagCache {
	return &etagCache{max: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *etagCache) get(key string) *etagEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*etagEntry)
}

func (c *etagCache) put(e *etagEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[e.key]; ok {
		c.size -= old.Value.(*etagEntry).bytes()
		c.order.Remove(old)
	}
	c.entries[e.key] = c.order.PushFront(e)
	c.size += e.bytes()
	for c.size > c.max && c.order.Len() > 0 {
		last := c.order.Back()
		le := last.Value.(*etagEntry)
		c.order.Remove(last)
		delete(c.entries, le.key)
		c.size -= le.bytes()
	}
}

// etagKey identifies an answer for one token: a hash, so the cache never
// holds the token itself.
func etagKey(token string, r *http.Request) string {
	h := sha256.New()
	io.WriteString(h, token)
	h.Write([]byte{0})
	io.WriteString(h, r.Header.Get("Accept"))
	h.Write([]byte{0})
	io.WriteString(h, r.URL.String())
	return hex.EncodeToString(h.Sum(nil))
}

// sendConditional sends r (a GET to the API, Authorization set for token)
// through next, conditionally when an earlier answer is cached. A 304 is
// turned back into that answer, with the 304's fresh rate-limit headers; a
// 200 with an ETag and a body of at most maxCachedBody is remembered.
func (c *etagCache) sendConditional(next http.RoundTripper, r *http.Request, token string) (*http.Response, error) {
	if r.Method != http.MethodGet || r.Header.Get("If-None-Match") != "" || r.Header.Get("Range") != "" {
		return next.RoundTrip(r)
	}
	key := etagKey(token, r)
	cached := c.get(key)
	// The shared cache's keys are derived only when it is used: on a
	// miss in the process, and to share a new answer.
	var (
		sealer *etagSealer
		entry  string
	)
	useShared := func() bool {
		if sealer == nil && c.shared != nil {
			if s, err := newETagSealer(token); err == nil {
				sealer, entry = s, s.entry(r)
			}
		}
		return sealer != nil
	}
	fromStore := false
	if cached == nil && useShared() {
		if cached = c.sharedGet(r, sealer, entry); cached != nil {
			cached.key, fromStore = key, true
		}
	}
	if cached != nil {
		r.Header.Set("If-None-Match", cached.etag)
	}
	resp, err := next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		resp.Body.Close()
		if fromStore {
			c.put(cached)
		}
		return cached.response(r, resp.Header), nil
	case resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" || resp.ContentLength > maxCachedBody:
		return resp, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBody+1))
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if len(body) > maxCachedBody {
		// Too large to keep: hand on what was read and the rest.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	fresh := &etagEntry{key: key, etag: resp.Header.Get("ETag"), header: resp.Header.Clone(), body: body}
	c.put(fresh)
	if useShared() {
		c.sharedPut(r, sealer, entry, fresh)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// response rebuilds the cached 200 for r, with the rate-limit headers of
// the 304 that confirmed it (go-github reads the quota from them).
func (e *etagEntry) response(r *http.Request, fresh http.Header) *http.Response {
	h := e.header.Clone()
	for name, v := range fresh {
		if strings.HasPrefix(strings.ToLower(name), "x-ratelimit-") {
			h[name] = v
		}
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)),
		Request:       r,
	}
}
