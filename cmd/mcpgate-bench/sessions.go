package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

// sessionCost is the result of -sessions: mcpgate's resident set size
// with N live stateful MCP sessions (issue 11's goal: ≤ 60 MB with 1,000).
type sessionCost struct {
	sessions   int
	rssBefore  int64 // after one sign-in, before any session
	rssWith    int64 // with every session open
	perSession float64
}

// statefulYAML switches /mcp to stateful sessions (config key mcp), with
// an idle timeout longer than any run.
const statefulYAML = "mcp:\n  stateless: false\n  session_timeout: 1h\n"

// sessionsPerUser is mcpgate's cap on one person's live sessions
// (protected.DefaultSessionsPerUser): the sessions are spread over enough
// people.
const sessionsPerUser = 16

// sessionsRSS starts one more mcpgate with stateful sessions on the run's
// Redis, signs people in, opens n sessions (initialize, then
// notifications/initialized, as a client does), keeps them open and reads
// mcpgate's RSS before and after.
func (w *world) sessionsRSS(ctx context.Context, n int) (*sessionCost, error) {
	c, origin, err := w.startMcpgate(ctx, "mcpgate-sessions", w.redis.Addr, w.o.limits, statefulYAML)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	people := make([]string, (n+1+sessionsPerUser-1)/sessionsPerUser)
	for i := range people {
		g, err := signInMcpgate(ctx, w.hc, origin, benchUser(i), false, i)
		if err != nil {
			return nil, err
		}
		people[i] = g.tokens.AccessToken
	}
	hc := newClient(16)
	endpoint := origin + "/mcp"
	// One session first, so that what is measured is sessions, not the
	// first request's lazily built state.
	if err := openSession(ctx, hc, endpoint, people[0]); err != nil {
		return nil, fmt.Errorf("the first session: %w", err)
	}
	sc := &sessionCost{sessions: n, rssBefore: settledRSS(c.pid())}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, 16)
	for i := range n {
		token := people[(i+1)/sessionsPerUser]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := openSession(ctx, hc, endpoint, token); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%d of %d sessions failed, first: %w", len(errs), n, errs[0])
	}
	sc.rssWith = settledRSS(c.pid())
	sc.perSession = float64(sc.rssWith-sc.rssBefore) / float64(n)
	return sc, nil
}

// settledRSS reads a process's RSS after a pause, so that the last
// requests' buffers are back in the pools.
func settledRSS(pid int) int64 {
	time.Sleep(500 * time.Millisecond)
	return rssBytes(pid)
}

// openSession opens one stateful session and leaves it open.
func openSession(ctx context.Context, hc *http.Client, endpoint, token string) error {
	post := func(body []byte, session string) (*http.Response, error) {
		req, err := loadclient.NewRequest(ctx, endpoint, token, body)
		if err != nil {
			return nil, err
		}
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		return hc.Do(req)
	}
	initialize, err := loadclient.RequestBody("initialize", loadclient.InitializeParams("mcpgate-bench"))
	if err != nil {
		return err
	}
	resp, err := post(initialize, "")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, loadclient.MaxAnswerBytes))
	resp.Body.Close()
	session := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || session == "" {
		return &loadclient.HTTPFailure{Status: resp.StatusCode, Detail: "initialize answered without a session ID"}
	}
	resp, err = post([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`), session)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, loadclient.MaxAnswerBytes))
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return &loadclient.HTTPFailure{Status: resp.StatusCode, Detail: "notifications/initialized not accepted"}
	}
	return nil
}

func (sc *sessionCost) write(w io.Writer) {
	fmt.Fprintf(w, "\nmcpgate with live stateful sessions (mcp.stateless: false, Redis store)\n\n")
	fmt.Fprintln(w, "| memory | value |")
	fmt.Fprintln(w, "|---|---:|")
	fmt.Fprintf(w, "| mcpgate RSS with one session (MB) | %.1f |\n", float64(sc.rssBefore)/(1<<20))
	fmt.Fprintf(w, "| mcpgate RSS with %d more live sessions (MB) | %.1f |\n", sc.sessions, float64(sc.rssWith)/(1<<20))
	fmt.Fprintf(w, "| RSS per session (KB) | %.1f |\n", sc.perSession/1024)
}
