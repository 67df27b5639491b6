package github

import (
	"strings"
	"testing"
)

// TestETagCacheEvictsLeastRecentlyUsed: the cache stays within its bytes,
// dropping the entry used longest ago.
func TestETagCacheEvictsLeastRecentlyUsed(t *testing.T) {
	body := []byte(strings.Repeat("x", 100))
	entry := func(key string) *etagEntry { return &etagEntry{key: key, etag: `"e"`, body: body} }
	c := newETagCache(3 * entry("a").bytes())
	c.put(entry("a"))
	c.put(entry("b"))
	c.put(entry("c"))
	c.get("a") // a is now the most recent; b the least
	c.put(entry("d"))
	for key, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if got := c.get(key) != nil; got != want {
			t.Errorf("entry %s kept: %v, want %v", key, got, want)
		}
	}
	if c.size > c.max {
		t.Errorf("size %d over the bound %d", c.size, c.max)
	}
	c.put(entry("d")) // replacing counts once
	if c.size != 3*entry("a").bytes() || c.order.Len() != 3 {
		t.Errorf("after replacing d: size %d, %d entries", c.size, c.order.Len())
	}
}
