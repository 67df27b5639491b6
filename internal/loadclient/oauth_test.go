package loadclient

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

const testRedirectURI = "http://127.0.0.1:9/callback"

func TestRegister(t *testing.T) {
	tests := []struct {
		name         string
		confidential bool
		status       int
		answer       string
		want         Client
		wantDetail   string // of the *HTTPFailure; "" for success
	}{
		{"public", false, http.StatusCreated, `{"client_id":"c1"}`, Client{ID: "c1"}, ""},
		{"confidential", true, http.StatusCreated, `{"client_id":"c2","client_secret":"s2"}`, Client{ID: "c2", Secret: "s2"}, ""},
		{"no client_id", false, http.StatusCreated, `{}`, Client{}, `unexpected registration (client_id "", secret given false)`},
		{"a secret for a public client", false, http.StatusCreated, `{"client_id":"c3","client_secret":"s3"}`, Client{}, `unexpected registration (client_id "c3", secret given true)`},
		{"no secret for a confidential client", true, http.StatusCreated, `{"client_id":"c4"}`, Client{}, `unexpected registration (client_id "c4", secret given false)`},
		{"refused", false, http.StatusBadRequest, `{"error":"invalid_redirect_uri"}`, Client{}, "invalid_redirect_uri"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got map[string]any
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
					http.Error(w, "not a JSON POST", http.StatusUnsupportedMediaType)
					return
				}
				json.NewDecoder(r.Body).Decode(&got)
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.answer))
			}))
			defer srv.Close()
			c, err := Register(context.Background(), NewClient(NewTransport(1), 0), srv.URL+"/register",
				Registration{Name: "test client", RedirectURI: testRedirectURI, Confidential: tt.confidential})
			if tt.wantDetail != "" {
				wantFailure(t, "Register", err, tt.status, tt.wantDetail)
				return
			}
			if err != nil || c != tt.want {
				t.Fatalf("Register: %+v, %v; want %+v", c, err, tt.want)
			}
			method := "none"
			if tt.confidential {
				method = "client_secret_post"
			}
			if got["client_name"] != "test client" || got["token_endpoint_auth_method"] != method ||
				!sameStrings(got["redirect_uris"], testRedirectURI) ||
				!sameStrings(got["grant_types"], "authorization_code", "refresh_token") ||
				!sameStrings(got["response_types"], "code") {
				t.Errorf("registration request %v", got)
			}
		})
	}
}

// sameStrings reports whether v (decoded JSON) is the array want.
func sameStrings(v any, want ...string) bool {
	a, ok := v.([]any)
	if !ok || len(a) != len(want) {
		return false
	}
	for i := range a {
		if a[i] != want[i] {
			return false
		}
	}
	return true
}

func TestClientForm(t *testing.T) {
	tests := []struct {
		name string
		c    Client
		want url.Values
	}{
		{"public", Client{ID: "c1"}, url.Values{"grant_type": {"refresh_token"}, "client_id": {"c1"}}},
		{"confidential", Client{ID: "c2", Secret: "s2"}, url.Values{"grant_type": {"refresh_token"}, "client_id": {"c2"}, "client_secret": {"s2"}}},
	}
	for _, tt := range tests {
		if got := tt.c.Form(url.Values{"grant_type": {"refresh_token"}}); got.Encode() != tt.want.Encode() {
			t.Errorf("%s: Form = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewPKCE(t *testing.T) {
	v1, c1 := NewPKCE()
	v2, _ := NewPKCE()
	sum := sha256.Sum256([]byte(v1))
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); c1 != want {
		t.Errorf("challenge %q, want BASE64URL(SHA256(verifier)) %q", c1, want)
	}
	// RFC 7636 §4.1: 43 to 128 unreserved characters.
	if len(v1) != 43 || v1 == v2 {
		t.Errorf("verifiers %q and %q: want two different ones of 43 characters", v1, v2)
	}
}

func TestAuthorizationRequestURL(t *testing.T) {
	ar := AuthorizationRequest{ClientID: "c1", RedirectURI: testRedirectURI, Challenge: "ch", State: "st"}
	withResource := ar
	withResource.Resource = "http://127.0.0.1:8080/mcp"
	tests := []struct {
		name     string
		ar       AuthorizationRequest
		endpoint string
		wantPath string
		want     url.Values
	}{
		{"no resource", ar, "http://127.0.0.1:8080/authorize", "/authorize", url.Values{
			"response_type": {"code"}, "client_id": {"c1"}, "redirect_uri": {testRedirectURI},
			"code_challenge": {"ch"}, "code_challenge_method": {"S256"}, "state": {"st"},
		}},
		{"a resource, and an endpoint with a query", withResource, "http://127.0.0.1:8080/authorize?tenant=t", "/authorize", url.Values{
			"tenant": {"t"}, "response_type": {"code"}, "client_id": {"c1"}, "redirect_uri": {testRedirectURI},
			"code_challenge": {"ch"}, "code_challenge_method": {"S256"}, "state": {"st"}, "resource": {"http://127.0.0.1:8080/mcp"},
		}},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.ar.URL(tt.endpoint))
		if err != nil {
			t.Fatal(err)
		}
		if u.Path != tt.wantPath || u.Query().Encode() != tt.want.Encode() {
			t.Errorf("%s: URL %s, want path %s and query %s", tt.name, u, tt.wantPath, tt.want.Encode())
		}
	}
}

func TestTokenRequest(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		answer     string
		want       Tokens
		wantDetail string
	}{
		{"both tokens", http.StatusOK, `{"access_token":"at","refresh_token":"rt","token_type":"Bearer"}`, Tokens{AccessToken: "at", RefreshToken: "rt"}, ""},
		{"the client named", http.StatusOK, `{"access_token":"at","refresh_token":"rt","client_id":"c1"}`, Tokens{AccessToken: "at", RefreshToken: "rt", ClientID: "c1"}, ""},
		{"no refresh token", http.StatusOK, `{"access_token":"at"}`, Tokens{}, "a token answer without both tokens"},
		{"refused", http.StatusBadRequest, `{"error":"invalid_grant"}`, Tokens{}, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var form url.Values
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("Accept") != "application/json" {
					http.Error(w, "not a form asking for JSON", http.StatusUnsupportedMediaType)
					return
				}
				r.ParseForm()
				form = r.PostForm
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.answer))
			}))
			defer srv.Close()
			got, err := Refresh(context.Background(), NewClient(NewTransport(1), 0), srv.URL+"/token", Client{ID: "c1"}, "rt0")
			if tt.wantDetail != "" {
				wantFailure(t, "Refresh", err, tt.status, tt.wantDetail)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Refresh: %+v, %v; want %+v", got, err, tt.want)
			}
			want := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt0"}, "client_id": {"c1"}}
			if form.Encode() != want.Encode() {
				t.Errorf("form %v, want %v", form, want)
			}
		})
	}
}
