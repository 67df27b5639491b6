package redistest

import (
	"context"
	"testing"
	"time"
)

func TestStartStopRestart(t *testing.T) {
	srv := Start(t)
	c := srv.Client(t)
	ctx := t.Context()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET on a started server: %v", err)
	}
	if srv.URL != "redis://"+srv.Addr+"/0" {
		t.Fatalf("URL = %q, want redis://%s/0", srv.URL, srv.Addr)
	}

	srv.Stop(t)
	down, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(down).Err(); err == nil {
		t.Fatal("PING succeeded after Stop")
	}

	srv.Restart(t)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	if n := c.Exists(ctx, "k").Val(); n != 0 {
		t.Fatal("data survived a restart; the server must not persist anything")
	}
	if srv.Output() == "" {
		t.Fatal("no server output captured")
	}
}
