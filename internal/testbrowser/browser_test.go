package testbrowser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const redirectURI = "http://127.0.0.1:9/callback"

// newSite is an authorization server whose consent page (behind a cookie)
// offers two providers, and whose provider sign-in page lets the person
// choose an account, then redirects to redirectURI with a code naming
// both choices. /forbidden answers 403 and /blank has no form.
func newSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
		fmt.Fprintf(w, `<form method="post" action="/authorize">
<input type="hidden" name="state" value="%s">
<input type="hidden" name="csrf_token" value="csrf-value-1">
<button type="submit" name="provider" value="github">Approve with GitHub</button>
<button type="submit" name="provider" value="google">Approve with Google</button>
<button type="submit" name="deny" value="deny">Deny</button>
</form>`, r.URL.Query().Get("state"))
	})
	mux.HandleFunc("POST /authorize", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("session"); err != nil || c.Value != "s1" || r.PostFormValue("csrf_token") != "csrf-value-1" {
			http.Error(w, "no session", http.StatusForbidden)
			return
		}
		q := url.Values{"provider": {r.PostFormValue("provider")}, "state": {r.PostFormValue("state")}}
		http.Redirect(w, r, "/login?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<form method="post" action="/login">
<input type="hidden" name="provider" value="%s">
<input type="hidden" name="state" value="%s">
<label><input type="radio" name="login" value="hubot"> hubot</label>
<label><input type="radio" name="login" value="mona" checked> mona</label>
<button type="submit" name="decision" value="approve">Sign in</button>
</form>`, r.URL.Query().Get("provider"), r.URL.Query().Get("state"))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"state": {r.PostFormValue("state")}, "iss": {"http://" + r.Host}}
		if r.PostFormValue("decision") == "approve" {
			q.Set("code", r.PostFormValue("provider")+"-"+r.PostFormValue("login"))
		} else {
			q.Set("error", "access_denied")
		}
		http.Redirect(w, r, redirectURI+"?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("GET /refused", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, redirectURI+"?error=access_denied&error_description=no", http.StatusFound)
	})
	mux.HandleFunc("GET /forbidden", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "only members may sign in", http.StatusForbidden)
	})
	mux.HandleFunc("GET /blank", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<p>nothing to press</p>")
	})
	mux.HandleFunc("GET /away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/blank", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestAuthorize(t *testing.T) {
	srv := newSite(t)
	tests := []struct {
		name     string
		approve  string
		fields   url.Values
		wantCode string
	}{
		{"first approve button and the preselected account", "", nil, "github-mona"},
		{"a chosen provider button", "approve with google", nil, "google-mona"},
		{"an overridden field", "", url.Values{"login": {"hubot"}}, "github-hubot"},
		{"a field no page has", "", url.Values{"nickname": {"x"}}, "github-mona"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(redirectURI, Options{})
			if err != nil {
				t.Fatal(err)
			}
			b.Approve, b.Fields = tt.approve, tt.fields
			res, err := b.Authorize(context.Background(), srv.URL+"/authorize?state=st1")
			if err != nil {
				t.Fatal(err)
			}
			if want := (Result{Code: tt.wantCode, State: "st1", Iss: srv.URL}); res != want {
				t.Errorf("result = %+v, want %+v", res, want)
			}
			seen := b.Seen()
			if !slices.Contains(seen, srv.URL+"/authorize?state=st1") ||
				!slices.ContainsFunc(seen, func(u string) bool { return strings.Contains(u, "csrf_token=csrf-value-1") }) ||
				!slices.ContainsFunc(seen, func(u string) bool {
					return strings.HasPrefix(u, redirectURI) && strings.Contains(u, "code="+tt.wantCode)
				}) {
				t.Errorf("seen = %q, want the authorization URL, the posted CSRF token and the redirect with the code", seen)
			}
		})
	}
}

func TestAuthorizeFailures(t *testing.T) {
	srv := newSite(t)
	errAway := errors.New("not there")
	tests := []struct {
		name       string
		path       string
		redirect   func(*url.URL) error
		wantStatus int // a *PageError with this status; 0 for another error
		wantErr    string
	}{
		{"an error redirect", "/refused", nil, 0, "authorization failed: access_denied: no"},
		{"a refusal page", "/forbidden", nil, http.StatusForbidden, "answered 403: only members may sign in"},
		{"a page without the form", "/blank", nil, http.StatusOK, `no form with a "authorize" button in page:` + "\n<p>nothing to press</p>"},
		{"a redirect the options refuse", "/away", func(u *url.URL) error {
			if u.Path == "/blank" {
				return errAway
			}
			return nil
		}, 0, "not there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(redirectURI, Options{Redirect: tt.redirect})
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.Authorize(context.Background(), srv.URL+tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			pe, ok := errors.AsType[*PageError](err)
			if ok != (tt.wantStatus != 0) || (ok && (pe.Status != tt.wantStatus || pe.URL.Path != tt.path)) {
				t.Errorf("err = %#v, want a page error with status %d: %v", err, tt.wantStatus, ok)
			}
			if tt.redirect != nil && !errors.Is(err, errAway) {
				t.Errorf("err = %v, want the refusal of the redirect", err)
			}
		})
	}
}

func TestFindForm(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:8080/authorize?client_id=x")
	consent := `<form method="post" action="/authorize">
  <input type="hidden" name="client_id" value="c1">
  <input type="hidden" name="state" value="a&amp;b">
  <input type="hidden" name="csrf_token" value="tok">
  <button class="primary" type="submit" name="provider" value="github">Approve with GitHub</button>
  <button type="submit" name="deny" value="deny">Deny</button>
</form>`
	f, err := findForm(base, consent, "approve")
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"client_id": {"c1"}, "state": {"a&b"}, "csrf_token": {"tok"}, "provider": {"github"}}
	if f.action != "http://127.0.0.1:8080/authorize" || f.values.Encode() != want.Encode() {
		t.Errorf("consent form = %s %v, want %v", f.action, f.values, want)
	}

	signIn := `<form method="post" action="/login/oauth/authorize">
<input type="hidden" name="request" value="r1">
<label><input type="radio" name="login" value="hubot"> hubot</label>
<label><input type="radio" name="login" value="mona" checked> mona</label>
<label><input type="checkbox" name="remember" value="yes"> remember</label>
<button class="primary" type="submit" name="decision" value="approve">Authorize</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form>`
	f, err = findForm(base, signIn, "approve")
	if err != nil {
		t.Fatal(err)
	}
	want = url.Values{"request": {"r1"}, "login": {"mona"}, "decision": {"approve"}}
	if f.action != "http://127.0.0.1:8080/login/oauth/authorize" || f.values.Encode() != want.Encode() {
		t.Errorf("sign-in form = %s %v, want %v", f.action, f.values, want)
	}
	if _, err := findForm(base, "<p>no form</p>", "approve"); err == nil {
		t.Error("a page without the form was accepted")
	}
}
