package protected

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/mcptest"
	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// statefulMCPFixture is an MCP fixture serving stateful sessions with at most
// max per user.
func statefulMCPFixture(t *testing.T, max int, timeout time.Duration) *mcpFixture {
	t.Helper()
	f := newMCPFixture(t, func(h *MCP) {
		h.Stateful = true
		h.MaxSessionsPerUser = max
		h.SessionTimeout = timeout
	})
	t.Cleanup(func() {
		// End the sessions the test left open, and with them the
		// limiter's goroutines that wait for them.
		for ss := range f.h.Server.Sessions() {
			ss.Close()
		}
	})
	return f
}

// openSession POSTs initialize without a session ID and returns the response.
func (f *mcpFixture) openSession(t *testing.T, token string) *http.Response {
	t.Helper()
	resp := f.serve(newMCPRequest(http.MethodPost, "/mcp", token))
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (f *mcpFixture) deleteSession(t *testing.T, token, sid string) *http.Response {
	t.Helper()
	r := newMCPRequest(http.MethodDelete, "/mcp", token)
	r.Header.Set("Mcp-Session-Id", sid)
	resp := f.serve(r)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// checkTooManySessions asserts the 429 of a refused new session.
func checkTooManySessions(t *testing.T, resp *http.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", resp.StatusCode)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if resp.Header.Get("Mcp-Session-Id") != "" {
		t.Error("429 announced a session")
	}
	var body wire.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("429 body: %v", err)
	}
	if body.Error != "too_many_requests" || body.ErrorDescription == "" {
		t.Errorf("429 body = %+v, want error too_many_requests with a description", body)
	}
}

// TestMCPStatefulSessionsPerUserCap checks the per-user cap on stateful
// sessions: the user's sessions beyond it get 429, other users are not
// affected, another user's DELETE frees nothing, and the owner's DELETE
// frees a slot at once.
func TestMCPStatefulSessionsPerUserCap(t *testing.T) {
	f := statefulMCPFixture(t, 2, time.Hour)
	alice := f.issue(t, mcpIssueOptions{userID: "github:1001"})
	bob := f.issue(t, mcpIssueOptions{userID: "github:2002"})

	var sids []string
	for i := range 2 {
		resp := f.openSession(t, alice.access)
		sid := resp.Header.Get("Mcp-Session-Id")
		if resp.StatusCode != http.StatusOK || sid == "" {
			t.Fatalf("alice's session %d: status %d, Mcp-Session-Id %q", i, resp.StatusCode, sid)
		}
		sids = append(sids, sid)
	}
	checkTooManySessions(t, f.openSession(t, alice.access))

	if resp := f.openSession(t, bob.access); resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") == "" {
		t.Fatalf("bob's first session: status %d; another user's sessions must not count", resp.StatusCode)
	}

	// Bob deleting alice's session is refused by the SDK and frees nothing.
	if resp := f.deleteSession(t, bob.access, sids[0]); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bob's DELETE of alice's session: status %d, want 403", resp.StatusCode)
	}
	checkTooManySessions(t, f.openSession(t, alice.access))

	// Requests on an existing session are never refused by the cap.
	r := newMCPRequest(http.MethodPost, "/mcp", alice.access)
	r.Header.Set("Mcp-Session-Id", sids[1])
	if resp := f.serve(r); resp.StatusCode == http.StatusTooManyRequests {
		t.Fatalf("POST on an open session: 429")
	}

	if resp := f.deleteSession(t, alice.access, sids[0]); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("alice's DELETE: status %d, want 204", resp.StatusCode)
	}
	if resp := f.openSession(t, alice.access); resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") == "" {
		t.Fatalf("alice after DELETE: status %d; the deleted session must free its slot", resp.StatusCode)
	}
	checkTooManySessions(t, f.openSession(t, alice.access))
}

// TestMCPStatefulFailedInitializeFreesSlot checks that POSTs that open no
// session (a message other than initialize, which the SDK closes again) do
// not use up the cap.
func TestMCPStatefulFailedInitializeFreesSlot(t *testing.T) {
	f := statefulMCPFixture(t, 1, time.Hour)
	alice := f.issue(t, mcpIssueOptions{})
	for range 3 {
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/list"}`))
		r.Header.Set("Accept", "application/json, text/event-stream")
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+alice.access)
		resp := f.serve(r)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			t.Fatal("a POST that opened no session used up the cap")
		}
	}
	if resp := f.openSession(t, alice.access); resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") == "" {
		t.Fatalf("initialize after failed ones: status %d", resp.StatusCode)
	}
	checkTooManySessions(t, f.openSession(t, alice.access))
}

// TestMCPStatefulIdleSessionFreesSlot checks that a session the SDK closes
// for idleness frees its slot: the next initialize is eventually accepted
// (the SDK's timer fires on the wall clock; the test waits for the
// condition, not for a duration).
func TestMCPStatefulIdleSessionFreesSlot(t *testing.T) {
	f := statefulMCPFixture(t, 1, 20*time.Millisecond)
	alice := f.issue(t, mcpIssueOptions{})
	if resp := f.openSession(t, alice.access); resp.StatusCode != http.StatusOK {
		t.Fatalf("first session: status %d", resp.StatusCode)
	}
	ctx := mcptest.Bounded(t)
	for {
		resp := f.openSession(t, alice.access)
		if resp.StatusCode == http.StatusOK {
			return
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("status %d while waiting for the idle session to end", resp.StatusCode)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the idle session never freed its slot within %s", mcptest.HangGuard)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
