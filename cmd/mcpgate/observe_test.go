package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"
	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

// auditEvents parses the audit stream: every line must be one JSON object.
func auditEvents(t *testing.T, stream string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(stream), "\n") {
		if line == "" {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit line is not JSON: %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// findEvent returns the first event of kind whose fields include want.
func findEvent(events []map[string]any, kind string, want map[string]string) map[string]any {
	for _, e := range events {
		if e["event"] != kind {
			continue
		}
		ok := true
		for k, v := range want {
			if e[k] != v {
				ok = false
			}
		}
		if ok {
			return e
		}
	}
	return nil
}

// TestAuditAndMetricsThroughTheServer drives the flows of a confidential
// client through a server on Redis and checks that each security-relevant
// action left its audit line with the IDs it concerns, that /metrics on
// its own address counts them with bounded labels, and that neither
// stream holds a secret the flows produced.
func TestAuditAndMetricsThroughTheServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	fake := fakegithubtest.NewServer(t, fakegithub.Options{
		ClientID: "gh-client", ClientSecret: "gh-client-secret-value", AutoApprove: true, Enterprise: true,
	})
	clock := newTestClock()
	gw := startGateway(t, gatewayOptions{redisURL: rs.URL, fake: fake, now: clock.Now})
	mcpURL := gw.URL + "/mcp"

	c := registerClient(ctx, t, gw.URL, "client_secret_post")
	first := c.signIn(ctx, t, gw.URL, gw.URL)
	if res, err := callTool(ctx, t, mcpURL, first.AccessToken, "list_issues",
		map[string]any{"owner": "mona", "repo": "hello-world", "state": "open"}); err != nil || res.IsError {
		t.Fatalf("list_issues: %v %s", err, callText(t, res))
	}
	a, second := c.refresh(ctx, t, gw.URL, first.RefreshToken)
	if a.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", a.Status, a.Body)
	}
	clock.Advance(time.Hour) // past the grace period: a second use is reuse
	if a, _ := c.refresh(ctx, t, gw.URL, first.RefreshToken); a.Status != http.StatusBadRequest {
		t.Fatalf("reused refresh token: %d %s, want 400", a.Status, a.Body)
	}
	other := c.signIn(ctx, t, gw.URL, gw.URL)
	if a, _ := postFormCtx(ctx, t, gw.URL+"/revoke", url.Values{
		"token": {other.RefreshToken}, "client_id": {c.ID}, "client_secret": {c.Secret},
	}); a.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", a.Status, a.Body)
	}

	events := auditEvents(t, gw.audit.String())
	id := map[string]string{"client_id": c.ID}
	for _, tc := range []struct {
		kind string
		want map[string]string
	}{
		{"client.registered", id},
		{"consent.approved", id},
		{"signin", map[string]string{"client_id": c.ID, "result": "ok", "provider": "github"}},
		{"grant.issued", id},
		{"tool.called", map[string]string{"client_id": c.ID, "tool": "list_issues", "repository": "mona/hello-world", "result": "ok"}},
		{"token.refreshed", id},
		{"token.reuse_detected", map[string]string{"grant_type": "refresh_token"}},
		{"grant.revoked", map[string]string{"client_id": c.ID, "by": "client"}},
	} {
		e := findEvent(events, tc.kind, tc.want)
		if e == nil {
			t.Errorf("no %s event with %v in the audit log:\n%s", tc.kind, tc.want, gw.audit.String())
			continue
		}
		if _, err := time.Parse(time.RFC3339Nano, e["time"].(string)); err != nil {
			t.Errorf("%s: time %v: %v", tc.kind, e["time"], err)
		}
	}
	if e := findEvent(events, "tool.called", nil); e != nil {
		for _, k := range []string{"user_id", "grant_id", "duration_ms", "github_request_id", "request_id"} {
			if e[k] == nil || e[k] == "" {
				t.Errorf("tool.called lacks %s: %v", k, e)
			}
		}
		if strings.Contains(gw.audit.String(), `"open"`) {
			t.Error("a tool argument other than owner/repo reached the audit log")
		}
	}

	resp, err := http.Get(gw.metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(body)
	for _, want := range []string{
		`mcpgate_http_requests_total{code="2xx",method="POST",route="/token"}`,
		`mcpgate_oauth_registrations_total 1`,
		`mcpgate_oauth_token_requests_total{grant_type="refresh_token",result="invalid_grant"} 1`,
		`mcpgate_oauth_reuse_detected_total{grant_type="refresh_token"} 1`,
		`mcpgate_oauth_revocations_total{by="client"} 1`,
		`mcpgate_tool_calls_total{backend="builtin",outcome="ok",tool="list_issues"} 1`,
		`mcpgate_upstream_requests_total{code="2xx",provider="github"}`,
		`mcpgate_github_rate_limit_remaining_bucket{provider="github",le="5000"}`,
		`mcpgate_store_commands_total{command=`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	secrets := map[string]string{
		"client secret": c.Secret, "access token": first.AccessToken, "refresh token": first.RefreshToken,
		"rotated refresh token": second.RefreshToken, "other refresh token": other.RefreshToken,
		"server secret": gw.secret, "GitHub client secret": "gh-client-secret-value",
	}
	for i, tok := range fake.IssuedTokens() {
		secrets["GitHub token "+string(rune('a'+i%26))] = tok
	}
	for _, u := range c.browser.Seen() {
		if pu, err := url.Parse(u); err == nil {
			for k, vs := range pu.Query() {
				if k == "code" || k == "state" || strings.Contains(k, "csrf") {
					secrets["browser "+k] = vs[0]
				}
			}
		}
	}
	for _, origin := range []string{gw.URL, fake.URL} {
		u, _ := url.Parse(origin)
		for _, ck := range c.browser.Client.Jar.Cookies(u) {
			secrets["cookie "+ck.Name] = ck.Value
		}
	}
	for what, v := range secrets {
		if len(v) < 8 {
			continue
		}
		if strings.Contains(gw.audit.String(), v) {
			t.Errorf("the %s appears in the audit log", what)
		}
		if strings.Contains(metrics, v) {
			t.Errorf("the %s appears in /metrics", what)
		}
	}
}

// TestOperatorActionsAreAudited: the operator commands' store records its
// revocations and deletions as the operator's.
func TestOperatorActionsAreAudited(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	audit, closeAudit, err := openAudit("stdout", &buf, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAudit(ctx)
	mem := memory.New(time.Now)
	s := &auditedStore{Store: mem, close: closeAudit}
	s.events = newAuditOnly(audit)
	_ = s.RevokeGrant(ctx, "g-unknown") // revoking nothing is not an error, and is still the operator's act
	if err := mem.CreateClient(ctx, tokens.Client{ID: "c-1", Name: "x", RedirectURIs: []string{"http://127.0.0.1/cb"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteClient(ctx, "c-1"); err != nil {
		t.Fatal(err)
	}
	events := auditEvents(t, buf.String())
	if findEvent(events, "client.deleted", map[string]string{"client_id": "c-1"}) == nil {
		t.Errorf("no client.deleted event: %s", buf.String())
	}
	if findEvent(events, "grant.revoked", map[string]string{"grant_id": "g-unknown", "by": "operator"}) == nil {
		t.Errorf("no grant.revoked by operator: %s", buf.String())
	}
}

// TestDefaultLogLevelHasAccessLinesNotSDKChatter: at info, an /mcp tool call
// leaves one access-log line per HTTP request with its request ID, and none
// of the go-sdk's per-session Info lines.
func TestDefaultLogLevelHasAccessLinesNotSDKChatter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fake := fakegithubtest.NewServer(t, fakegithub.Options{AutoApprove: true, Enterprise: true})
	gw := startGateway(t, gatewayOptions{fake: fake, logLevel: "info"})
	c := registerClient(ctx, t, gw.URL, "none")
	tok := c.signIn(ctx, t, gw.URL, gw.URL)
	if res, err := callTool(ctx, t, gw.URL+"/mcp", tok.AccessToken, "get_me", nil); err != nil || res.IsError {
		t.Fatalf("get_me: %v", err)
	}
	logs := gw.logs.String()
	for _, chatter := range []string{"server session connected", "session initialized", "server session disconnected", "server connecting"} {
		if strings.Contains(logs, chatter) {
			t.Errorf("the go-sdk's %q reached the info-level log", chatter)
		}
	}
	if !strings.Contains(logs, `"msg":"http request","request_id":"`) || !strings.Contains(logs, `"route":"/mcp"`) {
		t.Errorf("no access-log line for /mcp:\n%s", logs)
	}
}

// TestTracesReachAnOTLPCollector: with OTEL_EXPORTER_OTLP_ENDPOINT set, the
// serve wiring exports spans over OTLP/HTTP; here to an in-process
// collector that records what it receives.
func TestTracesReachAnOTLPCollector(t *testing.T) {
	received := make(chan string, 16)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		select {
		case received <- r.URL.Path + " " + r.Header.Get("Content-Type") + " " + string(body):
		default:
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	cfg, err := config.Load("", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Observe.Tracing.Enabled() {
		t.Fatal("tracing is off with OTEL_EXPORTER_OTLP_ENDPOINT set")
	}
	ctx := context.Background()
	tel, err := newTelemetry(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	h := tel.obs.Middleware(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	tel.Close(ctx) // flushes the batch
	select {
	case got := <-received:
		if !strings.HasPrefix(got, "/v1/traces application/x-protobuf") || !strings.Contains(got, "mcpgate") {
			t.Errorf("collector got %.200q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no spans reached the collector within 10 s of shutdown")
	}
}
