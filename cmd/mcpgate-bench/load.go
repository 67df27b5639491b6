package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// sample is one measurement window of one path at one connection count.
type sample struct {
	ops, errs int
	window    time.Duration
	latencies []time.Duration
	cpu       cpuSplit
	firstErr  string
}

// cpuSplit is CPU time by process role over a window.
type cpuSplit struct {
	server, redis, generator, fake time.Duration
}

func (a cpuSplit) add(b cpuSplit) cpuSplit {
	return cpuSplit{a.server + b.server, a.redis + b.redis, a.generator + b.generator, a.fake + b.fake}
}

// cpuNow reads the CPU time of the target's processes and of this one.
func (t *target) cpuNow() cpuSplit {
	read := func(c *child) time.Duration {
		if c == nil {
			return 0
		}
		d, _ := cpuTime(c.pid())
		return d
	}
	gen, _ := cpuTime(os.Getpid())
	return cpuSplit{server: read(t.server), redis: read(t.redis), generator: gen, fake: read(t.fake)}
}

func (a cpuSplit) sub(b cpuSplit) cpuSplit {
	return cpuSplit{a.server - b.server, a.redis - b.redis, a.generator - b.generator, a.fake - b.fake}
}

// warmUp is the part of a window run before measuring: connections are
// opened and the servers' caches and pools warm.
func warmUp(d time.Duration) time.Duration { return min(d/5, time.Second) }

// measure drives path on t with conns connections: a warm-up, then a
// window of d in which every operation that starts and ends is counted.
// Requests in flight when the window ends are let finish, not cancelled.
func measure(ctx context.Context, t *target, path string, conns int, d time.Duration) sample {
	hc := newClient(conns)
	defer hc.CloseIdleConnections()
	var (
		measuring, stop atomic.Bool
		mu              sync.Mutex
		s               sample
		wg              sync.WaitGroup
	)
	for i := range conns {
		wg.Go(func() {
			var lat []time.Duration
			var errs int
			var firstErr string
			for !stop.Load() && ctx.Err() == nil {
				counted := measuring.Load()
				start := time.Now()
				err := t.op(ctx, hc, path, i)
				end := time.Now()
				if !counted || stop.Load() {
					if err != nil && !counted {
						errs++ // a failure in the warm-up is a failure too
						if firstErr == "" {
							firstErr = err.Error()
						}
					}
					continue
				}
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				lat = append(lat, end.Sub(start))
			}
			mu.Lock()
			s.latencies = append(s.latencies, lat...)
			s.errs += errs
			if s.firstErr == "" {
				s.firstErr = firstErr
			}
			mu.Unlock()
		})
	}
	sleep(ctx, warmUp(d))
	before := t.cpuNow()
	measuring.Store(true)
	t0 := time.Now()
	sleep(ctx, d)
	stop.Store(true)
	s.window = time.Since(t0)
	s.cpu = t.cpuNow().sub(before)
	wg.Wait()
	s.ops = len(s.latencies)
	return s
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// rowKey names one row of the report.
type rowKey struct {
	target, path string
	conns        int
}

// runRounds measures every target's every path at every connection count,
// round after round. Each round starts with another target, so that no
// server always runs first (or right after the slowest one).
func runRounds(ctx context.Context, o *options, targets []*target, rep *report, log io.Writer) {
	for r := range o.rounds {
		for k := range targets {
			t := targets[(k+r)%len(targets)]
			for _, p := range t.paths {
				for _, c := range o.conns {
					if ctx.Err() != nil {
						return
					}
					s := measure(ctx, t, p, c, o.duration)
					rep.add(t, rowKey{t.key, p, c}, s)
					fmt.Fprintf(log, "round %d/%d  %-28s %-22s %3d conns  %8.0f req/s  %d errors\n",
						r+1, o.rounds, t.name, p, c, float64(s.ops)/s.window.Seconds(), s.errs)
				}
			}
		}
	}
}
