package handlers

import (
	"container/list"
	"slices"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// clientCache is a bounded LRU cache of resolved clients with per-entry
// expiry. It also holds failures (a negative cache): a document that could
// not be fetched or was invalid is refused again, without a fetch, until
// its entry expires (cimdNegativeTTL), so that requests naming a failing
// document cost one fetch per TTL.
type clientCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *cacheEntry, most recently used first
	entries map[string]*list.Element
}

type cacheEntry struct {
	key     string
	client  tokens.Client
	failure *metadataError // non-nil: a cached refusal
	expires time.Time
}

func newClientCache(max int) *clientCache {
	return &clientCache{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns a live client entry and marks it used; an expired one is
// dropped. A cached failure is not a client: ok is false.
func (c *clientCache) get(key string, now time.Time) (tokens.Client, bool) {
	client, failure, ok := c.lookup(key, now)
	return client, ok && failure == nil
}

// lookup returns a live entry, client or failure, and marks it used; an
// expired one is dropped.
func (c *clientCache) lookup(key string, now time.Time) (tokens.Client, *metadataError, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return tokens.Client{}, nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return tokens.Client{}, nil, false
	}
	c.order.MoveToFront(el)
	if e.failure != nil {
		failure := *e.failure
		return tokens.Client{}, &failure, true
	}
	return cloneClient(e.client), nil, true
}

// put stores a client entry, evicting the least recently used beyond max.
func (c *clientCache) put(key string, client tokens.Client, expires time.Time) {
	c.store(&cacheEntry{key: key, client: cloneClient(client), expires: expires})
}

// putFailure stores a refusal until expires.
func (c *clientCache) putFailure(key string, failure *metadataError, expires time.Time) {
	f := *failure
	c.store(&cacheEntry{key: key, failure: &f, expires: expires})
}

func (c *clientCache) store(entry *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := entry.key
	if el, ok := c.entries[key]; ok {
		el.Value = entry
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(entry)
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
	}
}

// len is the number of entries (live or not yet noticed as expired).
func (c *clientCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// cloneClient copies c's slices, so that callers cannot change a cached
// entry.
func cloneClient(c tokens.Client) tokens.Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	return c
}
