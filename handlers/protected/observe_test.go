package protected_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/internal/observe"
)

// TestBrokerRecordsRefreshesAndUpstreamRevocations: a refresh counts as
// ok, a refused one as an error, and the grant it revokes is audited as
// revoked by upstream.
func TestBrokerRecordsRefreshesAndUpstreamRevocations(t *testing.T) {
	e := newUpEnv(t)
	var audit bytes.Buffer
	metrics := observe.NewMetrics(observe.MetricsOptions{Providers: []string{"github"}})
	e.ut.Events = &observe.Observer{Audit: observe.NewAudit(&audit, nil), Metrics: metrics}

	ok := e.grant(t, "github", e.expire(e.signIn(t)))
	if _, err := e.ut.Token(t.Context(), ok); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	dead := e.grant(t, "github", e.expire(e.signIn(t)))
	e.fake.RevokeAll("mona")
	if _, err := e.ut.Token(t.Context(), dead); err == nil {
		t.Fatal("a dead refresh token refreshed")
	}
	for _, tc := range []struct {
		result string
		want   float64
	}{{"ok", 1}, {"error", 1}} {
		if got := refreshes(t, metrics, tc.result); got != tc.want {
			t.Errorf("refreshes %s: %v, want %v", tc.result, got, tc.want)
		}
	}
	line := `"event":"grant.revoked","client_id":"client-1","grant_id":"` + dead.GrantID + `","user_id":"github:1001","provider":"github","by":"upstream"`
	if !strings.Contains(audit.String(), line) {
		t.Errorf("audit log lacks\n%s\nin\n%s", line, audit.String())
	}
}

// refreshes is mcpgate_upstream_refreshes_total{provider="github",result=result}.
func refreshes(t *testing.T, m *observe.Metrics, result string) float64 {
	t.Helper()
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "mcpgate_upstream_refreshes_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["provider"] == "github" && labels["result"] == result {
				return s.GetCounter().GetValue()
			}
		}
	}
	return 0
}
