package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Operation names, in the order the summary lists them.
const (
	opRegister   = "register"
	opSignIn     = "sign-in"
	opToken      = "token"
	opInitialize = "initialize"
	opGetMe      = "get_me"
	opListIssues = "list_issues"
	opRefresh    = "refresh"
)

var opOrder = []string{opRegister, opSignIn, opToken, opInitialize, opGetMe, opListIssues, opRefresh}

// loadOps are the operations of the load phase (the rest is set-up).
var loadOps = []string{opGetMe, opListIssues, opRefresh}

// recorder collects what happened: per operation its latencies and its
// failures by kind, and every HTTP answer by status. It is safe for
// concurrent use.
type recorder struct {
	mu              sync.Mutex
	ops             map[string]*opStats
	statuses        map[int]int
	transportErrors int
	lostGrants      int
	setupFailures   int
	wrongUser       int
	toolErrors      int
	// firstErrors keeps the first few failure descriptions, for the report.
	firstErrors []string
}

type opStats struct {
	latencies []time.Duration
	failures  map[string]int // by kind: "HTTP 503", "tool error", "no answer", …
}

// maxReportedErrors bounds firstErrors.
const maxReportedErrors = 10

func newRecorder() *recorder {
	return &recorder{ops: map[string]*opStats{}, statuses: map[int]int{}}
}

func (r *recorder) op(name string) *opStats {
	s := r.ops[name]
	if s == nil {
		s = &opStats{failures: map[string]int{}}
		r.ops[name] = s
	}
	return s
}

// done records one operation that took d; failure is "" on success, else
// its kind, and detail describes it for the report.
func (r *recorder) done(name string, d time.Duration, failure, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.op(name)
	s.latencies = append(s.latencies, d)
	if failure != "" {
		s.failures[failure]++
		if len(r.firstErrors) < maxReportedErrors {
			r.firstErrors = append(r.firstErrors, name+": "+failure+": "+detail)
		}
	}
}

func (r *recorder) status(code int) {
	r.mu.Lock()
	r.statuses[code]++
	r.mu.Unlock()
}

func (r *recorder) transportError() {
	r.mu.Lock()
	r.transportErrors++
	r.mu.Unlock()
}

func (r *recorder) lostGrant() {
	r.mu.Lock()
	r.lostGrants++
	r.mu.Unlock()
}

func (r *recorder) setupFailed() {
	r.mu.Lock()
	r.setupFailures++
	r.mu.Unlock()
}

func (r *recorder) toolError() {
	r.mu.Lock()
	r.toolErrors++
	r.mu.Unlock()
}

func (r *recorder) wrongUserAnswer() {
	r.mu.Lock()
	r.wrongUser++
	r.mu.Unlock()
}

// summary is the end-of-run report.
type summary struct {
	Clients, SignedIn   int
	Replicas            []string
	SetupTime, LoadTime time.Duration
	Interrupted         bool
}

// serverErrors counts 5xx answers.
func (r *recorder) serverErrors() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for code, c := range r.statuses {
		if code >= 500 {
			n += c
		}
	}
	return n
}

// problems lists why the run failed; empty when it passed.
func (r *recorder) problems(s summary) []string {
	var out []string
	if n := r.serverErrors(); n > 0 {
		out = append(out, fmt.Sprintf("%d answers with a 5xx status", n))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	add := func(n int, what string) {
		if n > 0 {
			out = append(out, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(r.lostGrants, "lost grants")
	add(r.setupFailures, "clients that could not sign in")
	add(r.transportErrors, "requests without an answer")
	add(r.toolErrors, "tool errors")
	add(r.wrongUser, "tool answers for the wrong user")
	if s.Interrupted {
		out = append(out, "the run was interrupted")
	}
	return out
}

// write prints the report.
func (r *recorder) write(w io.Writer, s summary) {
	r.mu.Lock()
	loadCount := 0
	for _, name := range loadOps {
		if st := r.ops[name]; st != nil {
			loadCount += len(st.latencies)
		}
	}
	calls := 0
	for _, name := range []string{opGetMe, opListIssues} {
		if st := r.ops[name]; st != nil {
			calls += len(st.latencies)
		}
	}
	refreshes := 0
	if st := r.ops[opRefresh]; st != nil {
		refreshes = len(st.latencies)
	}
	r.mu.Unlock()

	fmt.Fprintf(w, "mcpgate-load: %d clients, %d replicas (%s)\n", s.Clients, len(s.Replicas), strings.Join(s.Replicas, ", "))
	fmt.Fprintf(w, "set-up: %d of %d clients signed in, in %s\n", s.SignedIn, s.Clients, s.SetupTime.Round(time.Millisecond))
	secs := s.LoadTime.Seconds()
	if secs > 0 {
		fmt.Fprintf(w, "load:   %s, %d requests, %.1f requests/s (tool calls %.1f/s, refreshes %.1f/s)\n",
			s.LoadTime.Round(time.Millisecond), loadCount, float64(loadCount)/secs, float64(calls)/secs, float64(refreshes)/secs)
	}
	fmt.Fprintln(w)

	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(w, "%-12s %8s %8s %10s %10s %10s  %s\n", "operation", "count", "failed", "p50", "p99", "max", "failures")
	for _, name := range opOrder {
		st := r.ops[name]
		if st == nil {
			continue
		}
		lat := slices.Clone(st.latencies)
		slices.Sort(lat)
		failed := 0
		var kinds []string
		for k, n := range st.failures {
			failed += n
			kinds = append(kinds, fmt.Sprintf("%s: %d", k, n))
		}
		sort.Strings(kinds)
		fmt.Fprintf(w, "%-12s %8d %8d %10s %10s %10s  %s\n", name, len(lat), failed,
			fmtDuration(percentile(lat, 0.50)), fmtDuration(percentile(lat, 0.99)), fmtDuration(percentile(lat, 1)),
			strings.Join(kinds, ", "))
	}
	fmt.Fprintln(w)

	codes := make([]int, 0, len(r.statuses))
	for c := range r.statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, 0, len(codes))
	fivexx := 0
	for _, c := range codes {
		parts = append(parts, strconv.Itoa(c)+": "+strconv.Itoa(r.statuses[c]))
		if c >= 500 {
			fivexx += r.statuses[c]
		}
	}
	fmt.Fprintf(w, "HTTP statuses (every request, set-up included): %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(w, "5xx: %d   lost grants: %d   requests without an answer: %d   tool errors: %d   wrong-user answers: %d   set-up failures: %d\n",
		fivexx, r.lostGrants, r.transportErrors, r.toolErrors, r.wrongUser, r.setupFailures)
	if len(r.firstErrors) > 0 {
		fmt.Fprintln(w, "first failures:")
		for _, e := range r.firstErrors {
			fmt.Fprintln(w, "  "+e)
		}
	}
}

// percentile of sorted latencies (nearest rank); 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func fmtDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}
