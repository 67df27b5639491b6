package memory_test

import (
	"testing"

	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	"github.com/mcpgate/mcpgate/tokens/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (tokens.Store, *storetest.Clock) {
		clock := storetest.NewClock()
		s := memory.New(clock.Now)
		t.Cleanup(func() { s.Close() })
		return s, clock
	})
}
