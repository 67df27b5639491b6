package handlers

import (
	"container/list"
	"slices"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// clientCache is a bounded LRU cache of resolved clients with per-entry
// expiry.
type clientCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *cacheEntry, most recently used first
	entries map[string]*list.Element
}

type cacheEntry struct {
	key     string
	client  tokens.Client
	expires time.Time
}

func newClientCache(max int) *clientCache {
	return &clientCache{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns a live entry and marks it used; an expired one is dropped.
func (c *clientCache) get(key string, now time.Time) (tokens.Client, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return tokens.Client{}, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return tokens.Client{}, false
	}
	c.order.MoveToFront(el)
	return cloneClient(e.client), true
}

// put stores an entry, evicting the least recently used beyond max.
func (c *clientCache) put(key string, client tokens.Client, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	entry := &cacheEntry{key: key, client: cloneClient(client), expires: expires}
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
