package loadclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

// TestSignInAtFakeGitHub drives a whole authorization code grant with
// PKCE at the fake GitHub, as the load tools do at mcpgate's upstream:
// the browser signs in as the login asked for, the code is redeemed and
// the tokens refreshed, and the API answers for that person.
func TestSignInAtFakeGitHub(t *testing.T) {
	fake := fakegithub.New(fakegithub.Options{ClientID: "gh-client", ClientSecret: "gh-secret", AppTokens: true})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	fake.SetURL(srv.URL)
	hc := NewClient(NewTransport(4), 0)
	client := Client{ID: "gh-client", Secret: "gh-secret"}
	tests := []struct {
		login, want string
	}{
		{"", "mona"}, // the account the sign-in page preselects
		{"hubot", "hubot"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			ctx := context.Background()
			b, err := NewBrowser(hc.Transport, testRedirectURI, tt.login)
			if err != nil {
				t.Fatal(err)
			}
			verifier, challenge := NewPKCE()
			ar := AuthorizationRequest{ClientID: client.ID, RedirectURI: testRedirectURI, Challenge: challenge, State: RandomString()}
			code, state, err := Authorize(ctx, b, ar.URL(srv.URL+"/login/oauth/authorize"))
			if err != nil || state != ar.State {
				t.Fatalf("Authorize: state %q, %v; want state %q", state, err, ar.State)
			}
			tokens, err := Redeem(ctx, hc, srv.URL+"/login/oauth/access_token", client, ar, code, verifier)
			if err != nil {
				t.Fatalf("Redeem: %v", err)
			}
			refreshed, err := Refresh(ctx, hc, srv.URL+"/login/oauth/access_token", client, tokens.RefreshToken)
			if err != nil || refreshed.RefreshToken == tokens.RefreshToken {
				t.Fatalf("Refresh: %+v, %v; want rotated tokens", refreshed, err)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/user", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+refreshed.AccessToken)
			var me struct {
				Login string `json:"login"`
			}
			if err := DoJSON(hc, req, http.StatusOK, &me); err != nil || me.Login != tt.want {
				t.Fatalf("GET /user: %q, %v; want %q", me.Login, err, tt.want)
			}
		})
	}
}

// TestAuthorizeFailures: a browser that cannot reach the redirect URI
// says where it stopped, in a line.
func TestAuthorizeFailures(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /off", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://192.0.2.1/login", http.StatusFound)
	})
	mux.HandleFunc("GET /forbidden", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "only members may sign in", http.StatusForbidden)
	})
	mux.HandleFunc("GET /nocode", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, testRedirectURI+"?state=s", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		path, want string
	}{
		{"/off", "refusing to follow a redirect off loopback to 192.0.2.1"},
		{"/forbidden", "HTTP 403 at /forbidden"},
		{"/nocode", "the redirect carries no code"},
	}
	for _, tt := range tests {
		b, err := NewBrowser(NewTransport(1), testRedirectURI, "")
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = Authorize(context.Background(), b, srv.URL+tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Authorize at %s: %v, want an error containing %q", tt.path, err, tt.want)
		}
	}
}
