package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

// costRow is what one operation did to Redis, per operation.
type costRow struct {
	path       string
	commands   float64
	roundTrips float64
	byCommand  map[string]float64
}

// storeCosts is the result of -store-cost.
type storeCosts struct {
	o             *options
	rows          []costRow
	grants        int
	bytesPerGrant float64
	keysPerGrant  float64
	refreshes     int
	// growthPerRefresh and grantAfterRefresh are read right after the
	// refreshes, within the grace window of the last ones.
	growthPerRefresh  float64
	grantAfterRefresh float64
	// grantAfterGrace and keysAfterGrace are read once the grace window
	// has passed and Redis has dropped the keys that lapsed with it.
	grantAfterGrace float64
	keysAfterGrace  float64
	rss             int64
}

// costRefreshGrace is tokens.refresh_grace of the measured mcpgate: how
// long a rotated refresh token still gets the same answer. A rotation's
// leftovers (the old refresh token's tombstone, the access token issued
// with it) may lapse when it ends, so the memory a grant keeps is read
// after it; short, so that the run waits little. The configuration wants
// it shorter than tokens.access_ttl (one hour by default).
const costRefreshGrace = 5 * time.Second

// costYAML is the measured mcpgate's configuration beside its limits.
var costYAML = fmt.Sprintf("tokens:\n  refresh_grace: %s\n", costRefreshGrace)

// notCounted are the commands the benchmark itself sends to read the stats.
var notCounted = map[string]bool{"info": true, "config|resetstat": true, "config": true, "dbsize": true}

// storeCost starts one more mcpgate on the run's Redis, behind the
// counting proxy, and measures it alone (no other load runs meanwhile).
func (w *world) storeCost(ctx context.Context) (*storeCosts, error) {
	if w.redis == nil || w.fake == nil {
		return nil, errors.New("no Redis or fake GitHub was started")
	}
	proxy, err := startCountingProxy(w.redis.Addr)
	if err != nil {
		return nil, err
	}
	defer proxy.close()
	c, origin, err := w.startMcpgate(ctx, "mcpgate-cost", proxy.Addr(), w.o.limits, costYAML)
	if err != nil {
		return nil, err
	}
	t := &target{key: "cost", server: c, mcpURL: origin + "/mcp", tokenURL: origin + "/token"}
	if err := t.grants(ctx, 1, func(ctx context.Context, i int, confidential bool) (*grant, error) {
		return signInMcpgate(ctx, w.hc, origin, benchUser(i), confidential, i)
	}); err != nil {
		return nil, err
	}
	sc := &storeCosts{o: w.o, grants: w.o.grantsN, refreshes: w.o.refreshesN}
	hc := newClient(1)
	for _, p := range []string{pathPing, pathList, pathWhoami, pathGetMe, pathRefreshPub, pathRefreshConf} {
		if err := w.redis.rdb.ConfigResetStat(ctx).Err(); err != nil {
			return nil, err
		}
		proxy.roundTrips.Store(0)
		for range w.o.costOps {
			if err := t.op(ctx, hc, p, 0); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		trips := proxy.roundTrips.Load()
		calls, err := w.redis.commandCalls(ctx)
		if err != nil {
			return nil, err
		}
		row := costRow{path: p, roundTrips: float64(trips) / float64(w.o.costOps), byCommand: map[string]float64{}}
		for cmd, n := range calls {
			if notCounted[cmd] {
				continue
			}
			row.byCommand[cmd] = float64(n) / float64(w.o.costOps)
			row.commands += row.byCommand[cmd]
		}
		sc.rows = append(sc.rows, row)
	}
	if err := w.grantBytes(ctx, origin, sc); err != nil {
		return nil, err
	}
	sc.rss = rssBytes(c.pid())
	return sc, nil
}

// grantBytes measures used_memory over fresh grants (of one client, so
// that no client record is counted), then over refreshes of one grant:
// right after them, and again once their grace window has passed. The
// baseline too is read after the grace window of the refreshes of the
// counted runs before, so that none of their keys lapses in the middle
// of a measurement.
func (w *world) grantBytes(ctx context.Context, origin string, sc *storeCosts) error {
	rdb := w.redis.rdb
	creds, err := register(ctx, w.hc, origin+"/register", false, 0)
	if err != nil {
		return err
	}
	settle := func() (int64, int64, error) {
		m, err := w.redis.settledMemory(ctx)
		if err != nil {
			return 0, 0, err
		}
		k, err := rdb.DBSize(ctx).Result()
		return m, k, err
	}
	// A first batch, not counted, grows mcpgate's connection pool and
	// creates the users' records, so that the counted batch measures
	// grants alone.
	if _, err := w.signInMany(ctx, origin, creds, 16); err != nil {
		return err
	}
	if err := w.redis.lapse(ctx, costRefreshGrace); err != nil {
		return err
	}
	mem0, keys0, err := settle()
	if err != nil {
		return err
	}
	first, err := w.signInMany(ctx, origin, creds, sc.grants)
	if err != nil {
		return err
	}
	mem1, keys1, err := settle()
	if err != nil {
		return err
	}
	sc.bytesPerGrant = float64(mem1-mem0) / float64(sc.grants)
	sc.keysPerGrant = float64(keys1-keys0) / float64(sc.grants)

	t := &target{tokenURL: origin + "/token", pubGrants: []*grant{first}}
	hc := newClient(1)
	for range sc.refreshes {
		if err := t.op(ctx, hc, pathRefreshPub, 0); err != nil {
			return fmt.Errorf("refresh of one grant: %w", err)
		}
	}
	mem2, _, err := settle()
	if err != nil {
		return err
	}
	sc.growthPerRefresh = float64(mem2-mem1) / float64(sc.refreshes)
	sc.grantAfterRefresh = sc.bytesPerGrant + float64(mem2-mem1)
	if err := w.redis.lapse(ctx, costRefreshGrace); err != nil {
		return err
	}
	mem3, keys3, err := settle()
	if err != nil {
		return err
	}
	sc.grantAfterGrace = sc.bytesPerGrant + float64(mem3-mem1)
	sc.keysAfterGrace = sc.keysPerGrant + float64(keys3-keys1)
	return nil
}

func (sc *storeCosts) write(w io.Writer) {
	fmt.Fprintf(w, "\nmcpgate store cost on Redis (%d operations of each path, one at a time; rate limits %s)\n\n", sc.o.costOps, sc.o.limits)
	fmt.Fprintln(w, "| path | round trips/op | commands/op (incl. inside scripts) | commands |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	for _, r := range sc.rows {
		var parts []string
		for _, cmd := range slices.Sorted(maps.Keys(r.byCommand)) {
			parts = append(parts, fmt.Sprintf("%s %.2g", strings.ToUpper(cmd), r.byCommand[cmd]))
		}
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %s |\n", r.path, r.roundTrips, r.commands, strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Memory is read once it stands still after the last request (two readings %s apart agree). "+
		"mcpgate runs with tokens.refresh_grace %s; \"once the grace window has passed\" is read at least %s after the last refresh "+
		"and a full SCAN of the keyspace, which deletes the keys that have lapsed.\n\n", settleStep, costRefreshGrace, costRefreshGrace+lapseMargin)
	fmt.Fprintln(w, "| memory (INFO used_memory − mem_clients_normal) | value |")
	fmt.Fprintln(w, "|---|---:|")
	fmt.Fprintf(w, "| bytes per fresh grant (over %d grants of one client) | %.0f |\n", sc.grants, sc.bytesPerGrant)
	fmt.Fprintf(w, "| keys per fresh grant | %.1f |\n", sc.keysPerGrant)
	fmt.Fprintf(w, "| growth per refresh (over %d refreshes of one grant), right after, within the grace window | %.0f |\n", sc.refreshes, sc.growthPerRefresh)
	fmt.Fprintf(w, "| bytes of that grant after %d refreshes, right after, within the grace window | %.0f |\n", sc.refreshes, sc.grantAfterRefresh)
	fmt.Fprintf(w, "| bytes of that grant after %d refreshes, once the grace window has passed | %.0f |\n", sc.refreshes, sc.grantAfterGrace)
	fmt.Fprintf(w, "| keys of that grant after %d refreshes, once the grace window has passed | %.1f |\n", sc.refreshes, sc.keysAfterGrace)
	fmt.Fprintf(w, "| mcpgate RSS after the grants (MB) | %.1f |\n", float64(sc.rss)/(1<<20))
}

// signInMany creates n grants of creds, 8 at a time, for the bench users
// in turn, and returns one of them.
func (w *world) signInMany(ctx context.Context, origin string, creds loadclient.Client, n int) (*grant, error) {
	var (
		mu    sync.Mutex
		first *grant
		errs  []error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			g, err := authorizeMcpgate(ctx, w.hc, origin, benchUser(i%64), creds)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if first == nil {
				first = g
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%d of %d sign-ins failed, first: %w", len(errs), n, errs[0])
	}
	return first, nil
}
