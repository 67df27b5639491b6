package observe

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mcpgate/mcpgate/internal/redistest"
)

func TestRedisHookCountsCommandsAndErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rs := redistest.Start(t)
	client := rs.Client(t)
	o := &Observer{Metrics: NewMetrics(MetricsOptions{})}
	client.AddHook(o.RedisHook())
	if err := client.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	client.Get(ctx, "missing") // redis.Nil is an answer, not an error
	if err := client.Do(ctx, "INCR", "k").Err(); err == nil {
		t.Fatal("INCR of a string succeeded")
	}
	for _, tc := range []struct {
		command, result string
		want            float64
	}{{"set", "ok", 1}, {"get", "ok", 1}, {"get", "error", 0}, {"incr", "error", 1}} {
		if got := testutil.ToFloat64(o.Metrics.storeCommands.WithLabelValues(tc.command, tc.result)); got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.command, tc.result, got, tc.want)
		}
	}
	if commandLabel("EVALSHA") != "other" || commandLabel("evalsha") != "evalsha" {
		t.Error("command labels are not bounded")
	}
}
