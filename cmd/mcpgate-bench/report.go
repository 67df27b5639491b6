package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// report collects the samples of a run and prints them.
type report struct {
	o     *options
	names map[string]string
	order []rowKey
	rows  map[rowKey][]sample
	// rss is each server's resident set size after the last round.
	rss map[string]int64
}

// noteRSS records the servers' resident set sizes at the end of the run:
// the memory store keeps every rotated refresh token in the process, so
// its size says how much the refresh paths left behind.
func (r *report) noteRSS(targets []*target) {
	r.rss = map[string]int64{}
	for _, t := range targets {
		r.rss[t.key] = rssBytes(t.server.pid())
	}
}

func newReport(o *options) *report {
	return &report{o: o, names: map[string]string{}, rows: map[rowKey][]sample{}}
}

func (r *report) add(t *target, k rowKey, s sample) {
	r.names[t.key] = t.name
	if _, ok := r.rows[k]; !ok {
		r.order = append(r.order, k)
	}
	r.rows[k] = append(r.rows[k], s)
}

// rates are the requests/s of a row's rounds, sorted.
func (r *report) rates(k rowKey) []float64 {
	var out []float64
	for _, s := range r.rows[k] {
		out = append(out, float64(s.ops)/s.window.Seconds())
	}
	slices.Sort(out)
	return out
}

// cpuPerOp is the CPU time per request of the server and its Redis
// together over a row's rounds: the work one request costs, which the
// load of a shared machine changes much less than it changes req/s.
func (r *report) cpuPerOp(k rowKey) time.Duration {
	var cpu cpuSplit
	ops := 0
	for _, s := range r.rows[k] {
		cpu = cpu.add(s.cpu)
		ops += s.ops
	}
	if ops == 0 {
		return 0
	}
	return (cpu.server + cpu.redis) / time.Duration(ops)
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// problems lists the rows with failed requests.
func (r *report) problems() []string {
	var out []string
	for _, k := range r.order {
		errs, first := 0, ""
		for _, s := range r.rows[k] {
			errs += s.errs
			if first == "" {
				first = s.firstErr
			}
		}
		if errs > 0 {
			out = append(out, fmt.Sprintf("%s %s at %d connections: %d failed requests (first: %s)", r.names[k.target], k.path, k.conns, errs, first))
		}
	}
	return out
}

// write prints the table of every row, sorted by server, path and
// connections, then the ratios, as Markdown.
func (r *report) write(w io.Writer) {
	keys := slices.Clone(r.order)
	targetRank := func(t string) int { return slices.Index(allTargets, t) }
	slices.SortStableFunc(keys, func(a, b rowKey) int {
		if d := targetRank(a.target) - targetRank(b.target); d != 0 {
			return d
		}
		return a.conns - b.conns
	})
	fmt.Fprintf(w, "mcpgate-bench: %d rounds × %s per path, interleaved; mcpgate log level %s, rate limits %s; load average at the end %s\n\n",
		r.o.rounds, r.o.duration, r.o.logLevel, r.o.limits, loadAverage())
	fmt.Fprintln(w, "| server | path | conns | req/s (median) | min–max | p50 latency | failed | CPU µs/req: server | Redis | generator | fake GitHub |")
	fmt.Fprintln(w, "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
	for _, k := range keys {
		rates := r.rates(k)
		var lat []time.Duration
		var cpu cpuSplit
		ops, errs := 0, 0
		for _, s := range r.rows[k] {
			lat = append(lat, s.latencies...)
			cpu = cpu.add(s.cpu)
			ops += s.ops
			errs += s.errs
		}
		slices.Sort(lat)
		p50 := time.Duration(0)
		if len(lat) > 0 {
			p50 = lat[len(lat)/2]
		}
		per := func(d time.Duration) string {
			if ops == 0 || d == 0 {
				return "–"
			}
			return fmt.Sprintf("%.0f", float64(d.Microseconds())/float64(ops))
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %.0f–%.0f | %s | %d | %s | %s | %s | %s |\n",
			r.names[k.target], k.path, k.conns, median(rates), rates[0], rates[len(rates)-1], fmtLatency(p50), errs,
			per(cpu.server), per(cpu.redis), per(cpu.generator), per(cpu.fake))
	}
	r.writeRatios(w)
	if len(r.rss) > 0 {
		var parts []string
		for _, k := range allTargets {
			if v, ok := r.rss[k]; ok {
				parts = append(parts, fmt.Sprintf("%s %.0f MB", targetNames[k], float64(v)/(1<<20)))
			}
		}
		fmt.Fprintf(w, "\nserver RSS after the last round: %s\n", strings.Join(parts, ", "))
	}
}

func fmtLatency(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// ratioGoal is one of issue 11's goals: the median rate of a path on
// mcpgate over that of a reference, at least goal.
type ratioGoal struct {
	what            string
	path            string
	refTarget       string
	refPath         string
	goal            float64
	sameServerRatio bool // the reference is another path of the same mcpgate
}

var ratioGoals = []ratioGoal{
	{what: "tools/call whoami ÷ floor echo", path: pathWhoami, refTarget: keyFloor, refPath: pathEcho, goal: 0.85},
	{what: "ping ÷ floor ping", path: pathPing, refTarget: keyFloor, refPath: pathPing, goal: 0.95},
	{what: "tools/call whoami ÷ TypeScript echo", path: pathWhoami, refTarget: keyTS, refPath: pathEcho, goal: 2.5},
	{what: "refresh ÷ TypeScript refresh", path: pathRefreshPub, refTarget: keyTS, refPath: pathRefreshPub, goal: 1.5},
	{what: "refresh ÷ two-round-trip Redis floor", path: pathRefreshPub, refTarget: keyFloorRedis, refPath: pathRefreshPub, goal: 0.8},
	{what: "confidential ÷ public refresh", path: pathRefreshConf, refPath: pathRefreshPub, goal: 0.9, sameServerRatio: true},
}

// writeRatios prints each goal's ratio for each mcpgate store (the goals
// are set for Redis; memory shows how much of a gap the store is).
func (r *report) writeRatios(w io.Writer) {
	var lines []string
	for _, store := range []string{keyRedis, keyMemory} {
		for _, g := range ratioGoals {
			ref := g.refTarget
			if g.sameServerRatio {
				ref = store
			}
			for _, c := range r.o.conns {
				a, b := median(r.rates(rowKey{store, g.path, c})), median(r.rates(rowKey{ref, g.refPath, c}))
				if a == 0 || b == 0 {
					continue
				}
				ratio := a / b
				verdict := "met"
				if ratio < g.goal {
					verdict = fmt.Sprintf("missed by %.0f%%", 100*(1-ratio/g.goal))
				}
				cpuRatio := "–"
				if ca, cb := r.cpuPerOp(rowKey{store, g.path, c}), r.cpuPerOp(rowKey{ref, g.refPath, c}); ca > 0 && cb > 0 {
					cpuRatio = fmt.Sprintf("%.2f×", float64(cb)/float64(ca))
				}
				lines = append(lines, fmt.Sprintf("| %s | %s | %d | %.2f× | %s | ≥ %.2f× | %s |", r.names[store], g.what, c, ratio, cpuRatio, g.goal, verdict))
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| mcpgate | ratio (same run) | conns | req/s ratio (medians) | CPU ratio (reference's server+Redis CPU/req ÷ mcpgate's) | goal | verdict (req/s) |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---|")
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}

// loadAverage is the 1, 5 and 15 minute load average of the machine: on
// a shared machine, how much else ran during the measurement.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
