package handlers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// TestRegistrationFloodDoesNotLockOutOthers: with the default limits, ten
// addresses in ten networks that each spend their whole registration
// budget leave everybody else's intact (issue 10.4: no global ceiling that
// a handful of addresses can exhaust).
func TestRegistrationFloodDoesNotLockOutOthers(t *testing.T) {
	s := newTestServer(t, withLimits(DefaultLimits()))
	for i := range 10 {
		ip := fmt.Sprintf("203.0.%d.1", 100+i)
		for n := 0; ; n++ {
			resp := registerFrom(s, ip)
			if resp.StatusCode == http.StatusTooManyRequests {
				break
			}
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("registration %d from %s: %d %s", n, ip, resp.StatusCode, readBody(t, resp))
			}
			if n > DefaultLimits().RegisterPerIP.Limit {
				t.Fatalf("%s registered more than RegisterPerIP allows", ip)
			}
		}
	}
	for _, ip := range []string{"192.0.2.77", "2001:db8:77::1"} {
		if resp := registerFrom(s, ip); resp.StatusCode != http.StatusCreated {
			t.Fatalf("after a flood from ten other networks, a registration from %s got %d %s", ip, resp.StatusCode, readBody(t, resp))
		}
	}
}

// TestRegistrationBudgetPerNetwork: addresses of one network (IPv4 /24,
// IPv6 /48) share a budget above the per-address one (IPv4 address, IPv6
// /64), so renting more addresses in one network buys nothing.
func TestRegistrationBudgetPerNetwork(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{
		RegisterPerIP:      Rate{Limit: 2, Window: time.Hour},
		RegisterPerNetwork: Rate{Limit: 3, Window: time.Hour},
	}))
	steps := []struct {
		ip   string
		want int
	}{
		{"198.51.100.1", http.StatusCreated},
		{"198.51.100.1", http.StatusCreated},
		{"198.51.100.1", http.StatusTooManyRequests}, // its address
		{"198.51.100.2", http.StatusCreated},
		{"198.51.100.3", http.StatusTooManyRequests}, // its /24
		{"198.51.101.1", http.StatusCreated},         // another /24
		{"2001:db8:1:1::1", http.StatusCreated},
		{"2001:db8:1:1::2", http.StatusCreated},
		{"2001:db8:1:1::3", http.StatusTooManyRequests}, // its /64
		{"2001:db8:1:2::1", http.StatusCreated},
		{"2001:db8:1:3::1", http.StatusTooManyRequests}, // its /48
		{"2001:db8:2::1", http.StatusCreated},           // another /48
	}
	for i, st := range steps {
		resp := registerFrom(s, st.ip)
		if resp.StatusCode != st.want {
			t.Fatalf("step %d from %s: %d, want %d", i, st.ip, resp.StatusCode, st.want)
		}
		if st.want == http.StatusTooManyRequests {
			want429(t, resp)
		}
	}
}

// TestTokenLimitPerGrantForPublicClients: a public client authenticates
// with its client_id alone, which anyone may know (it is in every
// authorization URL; a metadata-document ID is shared by all the app's
// users), so its /token budget is per refresh-token family (grant): a
// stranger who spends "its" budget spends only his own.
func TestTokenLimitPerGrantForPublicClients(t *testing.T) {
	s := newTestServer(t, withLimits(Limits{
		TokenPerClient: Rate{Limit: 2, Window: time.Minute},
		TokenPerIP:     Rate{Limit: 100, Window: time.Minute},
	}))
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	pair := s.tokenPair(c) // one request of the grant's budget
	for range 3 {
		tokenRequest(s, pathToken, c, "203.0.113.66") // the stranger
	}
	// A forged token naming another grant spends that made-up grant's budget.
	_, grantID, _ := tokens.Parse(pair.RefreshToken)
	other := tokens.Mint(tokens.KindRefresh, tokens.NewID())
	for range 3 {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {other}, "client_id": {c.ID}}
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		s.do(fromIP(r, "203.0.113.66"))
	}
	resp := s.refresh(c, pair.RefreshToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the grant %s was locked out by a stranger who knows its client ID: %d %s", grantID, resp.StatusCode, readBody(t, resp))
	}
	var next tokenResponse
	decodeJSON(t, resp, &next)
	want429(t, s.refresh(c, next.RefreshToken)) // the family's own third request
}
