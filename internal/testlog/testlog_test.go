package testlog

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestBufferConcurrentWrites: every write of concurrent writers is kept
// whole while the buffer is read, and Reset empties it.
func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	const writers, lines = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(&b, "writer %d line %d\n", w, i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	for _, l := range got {
		var w, i int
		if n, err := fmt.Sscanf(l, "writer %d line %d", &w, &i); n != 2 || err != nil {
			t.Fatalf("torn line %q", l)
		}
	}
	b.Reset()
	if s := b.String(); s != "" {
		t.Errorf("after Reset: %q", s)
	}
}
