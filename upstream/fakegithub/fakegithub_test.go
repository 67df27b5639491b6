package fakegithub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
)

const callback = "http://127.0.0.1:9999/oauth/callback/github"

// newClock is a settable test clock at a fixed instant.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
}

func oauthConfig(f *fakegithub.Fake, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     f.ClientID(),
		ClientSecret: f.ClientSecret(),
		RedirectURL:  callback,
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   f.URL + "/login/oauth/authorize",
			TokenURL:  f.URL + "/login/oauth/access_token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// noRedirect is an HTTP client that returns redirects instead of following
// them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize runs GET authorize with AutoApprove and returns the redirect's
// query.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	q, err := autoApprove(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func autoApprove(authURL string) (url.Values, error) {
	resp, err := noRedirect.Get(authURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("authorize: status %d, want 302: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, err
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != callback {
		return nil, fmt.Errorf("redirected to %q, want %q", got, callback)
	}
	return loc.Query(), nil
}

func apiClient(t *testing.T, f *fakegithub.Fake, token string) *gh.Client {
	t.Helper()
	base := f.APIBaseURL()
	c, err := gh.NewClient(gh.WithAuthToken(token), gh.WithURLs(&base, &base))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func statusOf(err error) int {
	if ge, ok := errors.AsType[*gh.ErrorResponse](err); ok && ge.Response != nil {
		return ge.Response.StatusCode
	}
	return 0
}

func retrieveCode(err error) string {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		return re.ErrorCode
	}
	return ""
}

func TestOAuthFlowWithPKCE(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{AutoApprove: true})
	cfg := oauthConfig(f, "repo", "user:email")
	verifier := oauth2.GenerateVerifier()
	q := authorize(t, cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier)))
	if q.Get("state") != "st-1" || q.Get("code") == "" {
		t.Fatalf("callback query = %v, want code and state st-1", q)
	}
	ctx := t.Context()
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if !strings.HasPrefix(tok.AccessToken, "gho_") || tok.RefreshToken != "" || !tok.Expiry.IsZero() {
		t.Errorf("token = %+v, want a non-expiring gho_ token without refresh token", tok)
	}
	if got := tok.Extra("scope"); got != "repo,user:email" {
		t.Errorf("scope = %v, want repo,user:email", got)
	}
	u, resp, err := apiClient(t, f, tok.AccessToken).Users.Get(ctx, "")
	if err != nil {
		t.Fatalf("GET /user: %v", err)
	}
	if u.GetID() != 1001 || u.GetLogin() != "mona" || u.GetEmail() != "mona@example.com" {
		t.Errorf("user = %d %s %s", u.GetID(), u.GetLogin(), u.GetEmail())
	}
	if got := resp.Header.Get("X-OAuth-Scopes"); got != "repo, user:email" {
		t.Errorf("X-OAuth-Scopes = %q", got)
	}
	if c := f.Counts(); c.Authorizations != 1 || c.Exchanges != 1 || c.APICalls != 1 {
		t.Errorf("counts = %+v", c)
	}

	// The code is single use.
	if _, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); retrieveCode(err) != "bad_verification_code" {
		t.Errorf("second exchange: %v, want bad_verification_code", err)
	}
}

func TestExchangeErrors(t *testing.T) {
	clk := newClock()
	f := fakegithubtest.NewServer(t, fakegithub.Options{AutoApprove: true, Now: clk.Now})
	tests := []struct {
		name    string
		mutate  func(cfg *oauth2.Config, code, verifier *string)
		noPKCE  bool
		advance time.Duration
		want    string
	}{
		{name: "wrong verifier", mutate: func(_ *oauth2.Config, _, v *string) { *v = oauth2.GenerateVerifier() }, want: "bad_verification_code"},
		{name: "missing verifier", mutate: func(_ *oauth2.Config, _, v *string) { *v = "" }, want: "invalid_request"},
		{name: "verifier without challenge", noPKCE: true, want: "invalid_request"},
		{name: "unknown code", mutate: func(_ *oauth2.Config, c, _ *string) { *c = "nope" }, want: "bad_verification_code"},
		{name: "wrong secret", mutate: func(cfg *oauth2.Config, _, _ *string) { cfg.ClientSecret = "wrong" }, want: "incorrect_client_credentials"},
		{name: "wrong client", mutate: func(cfg *oauth2.Config, _, _ *string) { cfg.ClientID = "other" }, want: "incorrect_client_credentials"},
		{name: "redirect mismatch", mutate: func(cfg *oauth2.Config, _, _ *string) { cfg.RedirectURL = "http://127.0.0.1:9999/elsewhere" }, want: "redirect_uri_mismatch"},
		{name: "expired code", advance: 11 * time.Minute, want: "bad_verification_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := oauthConfig(f, "repo")
			verifier := oauth2.GenerateVerifier()
			var opts []oauth2.AuthCodeOption
			if !tt.noPKCE {
				opts = append(opts, oauth2.S256ChallengeOption(verifier))
			}
			code := authorize(t, cfg.AuthCodeURL("s", opts...)).Get("code")
			if tt.mutate != nil {
				tt.mutate(cfg, &code, &verifier)
			}
			clk.Advance(tt.advance)
			var exOpts []oauth2.AuthCodeOption
			if verifier != "" {
				exOpts = append(exOpts, oauth2.VerifierOption(verifier))
			}
			_, err := cfg.Exchange(t.Context(), code, exOpts...)
			if got := retrieveCode(err); got != tt.want {
				t.Fatalf("error = %v (code %q), want %q", err, got, tt.want)
			}
		})
	}
}

func TestTokenEndpointFormats(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{AutoApprove: true, AppTokens: true})
	cfg := oauthConfig(f)
	code := authorize(t, cfg.AuthCodeURL("s")).Get("code")

	form := url.Values{"code": {code}, "redirect_uri": {callback}}
	req, _ := http.NewRequest(http.MethodPost, f.URL+"/login/oauth/access_token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(f.ClientID(), f.ClientSecret())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON", ct)
	}
	var body struct {
		AccessToken           string `json:"access_token"`
		ExpiresIn             int64  `json:"expires_in"`
		RefreshToken          string `json:"refresh_token"`
		RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
		TokenType             string `json:"token_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(body.AccessToken, "ghu_") || !strings.HasPrefix(body.RefreshToken, "ghr_") ||
		body.ExpiresIn != 8*3600 || body.RefreshTokenExpiresIn != 184*24*3600 || body.TokenType != "bearer" {
		t.Errorf("token response = %+v", body)
	}

	// Errors come with HTTP 200 and form encoding by default.
	resp2, err := http.PostForm(f.URL+"/login/oauth/access_token", url.Values{
		"client_id": {f.ClientID()}, "client_secret": {f.ClientSecret()}, "code": {"bogus"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	raw, _ := io.ReadAll(resp2.Body)
	vals, _ := url.ParseQuery(string(raw))
	if resp2.StatusCode != http.StatusOK || vals.Get("error") != "bad_verification_code" {
		t.Errorf("bad code: status %d body %q", resp2.StatusCode, raw)
	}
}

var requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)

// signInPage fetches the sign-in page and returns the pending request ID.
func signInPage(t *testing.T, authURL string) string {
	t.Helper()
	resp, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in page: status %d: %s", resp.StatusCode, page)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Error("sign-in page can be framed")
	}
	for _, want := range []string{`value="mona" checked`, `value="hubot"`, "Authorize", "read:user"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	m := requestField.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no request field in page:\n%s", page)
	}
	return string(m[1])
}

func decide(t *testing.T, f *fakegithub.Fake, form url.Values) *http.Response {
	t.Helper()
	resp, err := noRedirect.PostForm(f.URL+"/login/oauth/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestSignInPage(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{})
	cfg := oauthConfig(f, "read:user")
	ctx := t.Context()

	t.Run("approve as another user", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		id := signInPage(t, cfg.AuthCodeURL("st-2", oauth2.S256ChallengeOption(verifier)))
		resp := decide(t, f, url.Values{"request": {id}, "login": {"hubot"}, "decision": {"approve"}})
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("status %d, want 302", resp.StatusCode)
		}
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Query().Get("state") != "st-2" {
			t.Errorf("state = %q", loc.Query().Get("state"))
		}
		tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		u, _, err := apiClient(t, f, tok.AccessToken).Users.Get(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if u.GetLogin() != "hubot" || u.Email != nil {
			t.Errorf("user = %s email %v, want hubot with private email", u.GetLogin(), u.Email)
		}
		// The request ID is single use.
		again := decide(t, f, url.Values{"request": {id}, "login": {"hubot"}, "decision": {"approve"}})
		if again.StatusCode != http.StatusBadRequest {
			t.Errorf("replayed form: status %d, want 400", again.StatusCode)
		}
	})

	t.Run("deny", func(t *testing.T) {
		id := signInPage(t, cfg.AuthCodeURL("st-3", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		resp := decide(t, f, url.Values{"request": {id}, "login": {"mona"}, "decision": {"deny"}})
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st-3" || loc.Query().Has("code") {
			t.Errorf("deny: status %d location %s", resp.StatusCode, loc)
		}
	})

	t.Run("unknown user", func(t *testing.T) {
		id := signInPage(t, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		resp := decide(t, f, url.Values{"request": {id}, "login": {"nobody"}, "decision": {"approve"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
}

func TestAuthorizeValidation(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{AutoApprove: true})
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	tests := []struct {
		name       string
		query      url.Values
		wantStatus int
		wantError  string // in the redirect
	}{
		{"unknown client", url.Values{"client_id": {"x"}, "redirect_uri": {callback}}, http.StatusNotFound, ""},
		{"missing redirect", url.Values{"client_id": {f.ClientID()}}, http.StatusBadRequest, ""},
		{"relative redirect", url.Values{"client_id": {f.ClientID()}, "redirect_uri": {"/cb"}}, http.StatusBadRequest, ""},
		{"javascript redirect", url.Values{"client_id": {f.ClientID()}, "redirect_uri": {"javascript://x/%0aalert(1)"}}, http.StatusBadRequest, ""},
		{"plain method", url.Values{"client_id": {f.ClientID()}, "redirect_uri": {callback}, "code_challenge": {challenge}, "code_challenge_method": {"plain"}}, http.StatusFound, "invalid_request"},
		{"challenge without method", url.Values{"client_id": {f.ClientID()}, "redirect_uri": {callback}, "code_challenge": {challenge}}, http.StatusFound, "invalid_request"},
		{"short challenge", url.Values{"client_id": {f.ClientID()}, "redirect_uri": {callback}, "code_challenge": {"abc"}, "code_challenge_method": {"S256"}}, http.StatusFound, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := noRedirect.Get(f.URL + "/login/oauth/authorize?" + tt.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantError != "" {
				loc, _ := url.Parse(resp.Header.Get("Location"))
				if loc.Query().Get("error") != tt.wantError || loc.Query().Has("code") {
					t.Errorf("redirect %s, want error %s", loc, tt.wantError)
				}
			}
		})
	}
}

func TestAppTokenRotationAndExpiry(t *testing.T) {
	clk := newClock()
	f := fakegithubtest.NewServer(t, fakegithub.Options{AutoApprove: true, AppTokens: true, TokenTTL: time.Hour, Now: clk.Now})
	cfg := oauthConfig(f)
	ctx := t.Context()
	verifier := oauth2.GenerateVerifier()
	code := authorize(t, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))).Get("code")
	first, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if first.RefreshToken == "" || first.Extra("refresh_token_expires_in") == nil {
		t.Fatalf("app token lacks refresh data: %+v", first)
	}
	_, resp, err := apiClient(t, f, first.AccessToken).Users.Get(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := clk.Now().Add(time.Hour); !resp.TokenExpiration.Time.Equal(want) {
		t.Errorf("token expiration header = %v, want %v", resp.TokenExpiration.Time, want)
	}

	refresh := func(rt string) (*oauth2.Token, error) {
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
	}
	second, err := refresh(first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Error("refresh did not rotate")
	}
	if _, err := refresh(first.RefreshToken); retrieveCode(err) != "bad_refresh_token" {
		t.Errorf("reused refresh token: %v, want bad_refresh_token", err)
	}
	if c := f.Counts(); c.Refreshes != 1 || c.FailedRefreshes != 1 {
		t.Errorf("counts = %+v", c)
	}

	clk.Advance(time.Hour)
	if _, _, err := apiClient(t, f, second.AccessToken).Users.Get(ctx, ""); statusOf(err) != http.StatusUnauthorized {
		t.Errorf("expired token: %v, want 401", err)
	}
	third, err := refresh(second.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	f.ExpireAccessTokens()
	if _, _, err := apiClient(t, f, third.AccessToken).Users.Get(ctx, ""); statusOf(err) != http.StatusUnauthorized {
		t.Errorf("after ExpireAccessTokens: %v, want 401", err)
	}
	if _, err := refresh(third.RefreshToken); err != nil {
		t.Errorf("refresh after ExpireAccessTokens: %v", err)
	}
}

func TestRefreshWithoutAppTokens(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{})
	_, err := oauthConfig(f).TokenSource(t.Context(), &oauth2.Token{RefreshToken: "ghr_x"}).Token()
	if retrieveCode(err) != "bad_refresh_token" {
		t.Errorf("err = %v, want bad_refresh_token", err)
	}
}

func TestRevokeAll(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{AutoApprove: true, AppTokens: true})
	cfg := oauthConfig(f)
	ctx := t.Context()
	tok, err := cfg.Exchange(ctx, authorize(t, cfg.AuthCodeURL("s")).Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	other := f.IssueToken("hubot")
	f.RevokeAll("mona")
	_, _, err = apiClient(t, f, tok.AccessToken).Users.Get(ctx, "")
	if ge, ok := errors.AsType[*gh.ErrorResponse](err); !ok || ge.Response.StatusCode != http.StatusUnauthorized || ge.Message != "Bad credentials" {
		t.Errorf("revoked token: %v, want 401 Bad credentials", err)
	}
	if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); retrieveCode(err) != "bad_refresh_token" {
		t.Errorf("revoked refresh token: %v", err)
	}
	if _, _, err := apiClient(t, f, other).Users.Get(ctx, ""); err != nil {
		t.Errorf("other user's token stopped working: %v", err)
	}
	if f.IssueToken("nobody") != "" {
		t.Error("IssueToken minted a token for an unknown user")
	}
}

func TestREST(t *testing.T) {
	for _, enterprise := range []bool{false, true} {
		t.Run("enterprise="+strconv.FormatBool(enterprise), func(t *testing.T) {
			f := fakegithubtest.NewServer(t, fakegithub.Options{Enterprise: enterprise})
			testREST(t, f)
			// The other shape's path is not served.
			wrong := f.URL + "/api/v3/user"
			if enterprise {
				wrong = f.URL + "/user"
			}
			req, _ := http.NewRequest(http.MethodGet, wrong, nil)
			req.Header.Set("Authorization", "Bearer "+f.IssueToken("mona"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", wrong, resp.StatusCode)
			}
		})
	}
}

func testREST(t *testing.T, f *fakegithub.Fake) {
	ctx := t.Context()
	mona := apiClient(t, f, f.IssueToken("mona"))
	hubot := apiClient(t, f, f.IssueToken("hubot"))

	t.Run("bad credentials", func(t *testing.T) {
		_, resp, err := apiClient(t, f, "gho_nope").Users.Get(ctx, "")
		if statusOf(err) != http.StatusUnauthorized {
			t.Fatalf("err = %v, want 401", err)
		}
		if resp.Header.Get("X-RateLimit-Limit") == "" {
			t.Error("no rate limit headers on 401")
		}
	})

	t.Run("emails", func(t *testing.T) {
		emails, _, err := hubot.Users.ListEmails(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(emails) == 0 || emails[0].GetEmail() != "hubot@example.com" || !emails[0].GetPrimary() || !emails[0].GetVerified() {
			t.Errorf("emails = %v", emails)
		}
	})

	t.Run("search", func(t *testing.T) {
		res, _, err := mona.Search.Repositories(ctx, "hello", nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.GetTotal() != 1 || res.Repositories[0].GetFullName() != "mona/hello-world" {
			t.Errorf("search hello = %d results", res.GetTotal())
		}
		all, _, err := hubot.Search.Repositories(ctx, "user:mona", nil)
		if err != nil {
			t.Fatal(err)
		}
		if all.GetTotal() != 2 {
			t.Errorf("hubot sees %d of mona's repositories, want 2 (private one hidden)", all.GetTotal())
		}
		if _, _, err := mona.Search.Repositories(ctx, "", nil); statusOf(err) != http.StatusUnprocessableEntity {
			t.Errorf("empty q: %v, want 422", err)
		}
	})

	t.Run("contents", func(t *testing.T) {
		file, _, _, err := mona.Repositories.GetContents(ctx, "mona", "hello-world", "README.md", nil)
		if err != nil {
			t.Fatal(err)
		}
		text, err := file.GetContent()
		if err != nil || !strings.HasPrefix(text, "# hello-world") || file.GetSize() != len(text) || len(file.GetSHA()) != 40 {
			t.Errorf("README = %q size %d sha %q err %v", text, file.GetSize(), file.GetSHA(), err)
		}
		_, dir, _, err := mona.Repositories.GetContents(ctx, "mona", "hello-world", "docs", &gh.RepositoryContentGetOptions{Ref: "main"})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range dir {
			names = append(names, e.GetType()+":"+e.GetPath())
		}
		if got := strings.Join(names, " "); got != "file:docs/api.md file:docs/getting-started.md dir:docs/images" {
			t.Errorf("docs/ = %s", got)
		}
		_, root, _, err := mona.Repositories.GetContents(ctx, "mona", "hello-world", "", nil)
		if err != nil || len(root) != 4 {
			t.Errorf("root has %d entries (%v), want 4", len(root), err)
		}
		for _, path := range []string{"missing.txt", "docs/missing"} {
			if _, _, _, err := mona.Repositories.GetContents(ctx, "mona", "hello-world", path, nil); statusOf(err) != http.StatusNotFound {
				t.Errorf("%s: %v, want 404", path, err)
			}
		}
		if _, _, _, err := mona.Repositories.GetContents(ctx, "mona", "hello-world", "README.md", &gh.RepositoryContentGetOptions{Ref: "nope"}); statusOf(err) != http.StatusNotFound {
			t.Errorf("unknown ref: %v, want 404", err)
		}
		if _, _, _, err := hubot.Repositories.GetContents(ctx, "mona", "secret-plans", "PLANS.md", nil); statusOf(err) != http.StatusNotFound {
			t.Errorf("private repo for another user: %v, want 404", err)
		}
		if _, _, _, err := mona.Repositories.GetContents(ctx, "mona", "secret-plans", "PLANS.md", nil); err != nil {
			t.Errorf("private repo for its owner: %v", err)
		}
	})

	t.Run("issues", func(t *testing.T) {
		opts := &gh.IssueListByRepoOptions{State: "all", ListOptions: gh.ListOptions{PerPage: 2}}
		var numbers []int
		pages := 0
		for {
			page, resp, err := mona.Issues.ListByRepo(ctx, "mona", "hello-world", opts)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, is := range page {
				numbers = append(numbers, is.GetNumber())
			}
			if resp.NextPage == 0 {
				break
			}
			opts.ListOptions.Page = resp.NextPage
		}
		if pages != 3 || len(numbers) != 6 || numbers[0] != 6 {
			t.Errorf("pages %d numbers %v, want 3 pages of newest-first 6..1", pages, numbers)
		}

		bugs, _, err := mona.Issues.ListByRepo(ctx, "mona", "hello-world", &gh.IssueListByRepoOptions{Labels: []string{"bug"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(bugs) != 2 || !bugs[0].IsPullRequest() || bugs[1].IsPullRequest() {
			t.Errorf("open bugs = %d (first PR %v)", len(bugs), len(bugs) > 0 && bugs[0].IsPullRequest())
		}

		is, _, err := hubot.Issues.Get(ctx, "mona", "hello-world", 1)
		if err != nil {
			t.Fatal(err)
		}
		if is.GetState() != "closed" || is.GetStateReason() != "completed" || is.GetComments() != 2 || is.GetUser().GetLogin() != "hubot" || is.Labels[0].GetName() != "documentation" {
			t.Errorf("issue 1 = %s/%s comments %d", is.GetState(), is.GetStateReason(), is.GetComments())
		}
		if _, _, err := mona.Issues.Get(ctx, "mona", "hello-world", 99); statusOf(err) != http.StatusNotFound {
			t.Errorf("missing issue: %v", err)
		}
		if _, _, err := mona.Issues.Get(ctx, "mona", "no-such-repo", 1); statusOf(err) != http.StatusNotFound {
			t.Errorf("missing repo: %v", err)
		}
	})

	t.Run("create issue and comment", func(t *testing.T) {
		_, _, err := hubot.Issues.Create(ctx, "mona", "spoon-knife", gh.CreateIssueRequest{})
		if ge, ok := errors.AsType[*gh.ErrorResponse](err); !ok || ge.Response.StatusCode != http.StatusUnprocessableEntity || len(ge.Errors) != 1 || ge.Errors[0].Field != "title" {
			t.Fatalf("no title: %v, want 422 on title", err)
		}
		created, resp, err := hubot.Issues.Create(ctx, "mona", "spoon-knife", gh.CreateIssueRequest{
			Title: "Typo in index.html", Body: new("It says 'Fork you'."), Labels: []string{"question", "typo"}, Assignees: []string{"mona"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated || created.GetNumber() != 3 || created.GetUser().GetLogin() != "hubot" || len(created.Labels) != 2 || created.Assignees[0].GetLogin() != "mona" {
			t.Errorf("created = #%d by %s labels %d", created.GetNumber(), created.GetUser().GetLogin(), len(created.Labels))
		}
		if _, _, err := hubot.Issues.Create(ctx, "mona", "spoon-knife", gh.CreateIssueRequest{Title: "x", Assignees: []string{"ghost"}}); statusOf(err) != http.StatusUnprocessableEntity {
			t.Errorf("unknown assignee: %v, want 422", err)
		}
		cm, resp, err := mona.Issues.CreateComment(ctx, "mona", "spoon-knife", 3, gh.IssueCommentRequest{Body: "Fixed, thanks."})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated || cm.GetBody() != "Fixed, thanks." || cm.GetUser().GetLogin() != "mona" {
			t.Errorf("comment = %+v", cm)
		}
		if _, _, err := mona.Issues.CreateComment(ctx, "mona", "spoon-knife", 3, gh.IssueCommentRequest{}); statusOf(err) != http.StatusUnprocessableEntity {
			t.Errorf("empty comment: %v, want 422", err)
		}
		got, _, err := mona.Issues.Get(ctx, "mona", "spoon-knife", 3)
		if err != nil || got.GetComments() != 1 {
			t.Errorf("issue after comment: %d comments, err %v", got.GetComments(), err)
		}
		comments, _, err := mona.Issues.ListComments(ctx, "mona", "spoon-knife", 3, nil)
		if err != nil || len(comments) != 1 {
			t.Errorf("list comments: %d, %v", len(comments), err)
		}
	})

	t.Run("pulls", func(t *testing.T) {
		open, _, err := mona.PullRequests.List(ctx, "mona", "hello-world", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 1 || open[0].GetNumber() != 3 || open[0].GetHead().GetRef() != "fix-blank-name" || open[0].Merged != nil {
			t.Errorf("open pulls = %v", open)
		}
		pr, _, err := mona.PullRequests.Get(ctx, "mona", "hello-world", 5)
		if err != nil {
			t.Fatal(err)
		}
		if !pr.GetMerged() || pr.GetState() != "closed" || pr.GetAdditions() != 4 || pr.MergedAt == nil {
			t.Errorf("pull 5 merged=%v state=%s", pr.GetMerged(), pr.GetState())
		}
		draft, _, err := mona.PullRequests.Get(ctx, "mona", "spoon-knife", 2)
		if err != nil || !draft.GetDraft() || draft.GetHead().GetLabel() != "hubot:friendlier" {
			t.Errorf("draft pull = %v, %v", draft, err)
		}
		if _, _, err := mona.PullRequests.Get(ctx, "mona", "hello-world", 1); statusOf(err) != http.StatusNotFound {
			t.Errorf("issue as pull: %v, want 404", err)
		}
	})

	t.Run("rate limited", func(t *testing.T) {
		until := time.Now().Add(time.Hour).Truncate(time.Second)
		f.SetRateLimited(until)
		t.Cleanup(func() { f.SetRateLimited(time.Time{}) })
		_, _, err := apiClient(t, f, f.IssueToken("mona")).Users.Get(ctx, "")
		rl, ok := errors.AsType[*gh.RateLimitError](err)
		if !ok {
			t.Fatalf("err = %v, want RateLimitError", err)
		}
		if !rl.Rate.Reset.Time.Equal(until) || rl.Rate.Remaining != 0 {
			t.Errorf("rate = %+v, want reset %v", rl.Rate, until)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	f := fakegithubtest.NewServer(t, fakegithub.Options{AutoApprove: true, AppTokens: true})
	cfg := oauthConfig(f)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	clients := make([]*gh.Client, 8)
	for i := range clients {
		clients[i] = apiClient(t, f, f.IssueToken("mona"))
	}
	for i, c := range clients {
		wg.Go(func() {
			if _, _, err := c.Issues.Create(ctx, "mona", "hello-world", gh.CreateIssueRequest{Title: "parallel " + strconv.Itoa(i)}); err != nil {
				errs <- err
			}
			if _, _, err := c.Issues.ListByRepo(ctx, "mona", "hello-world", nil); err != nil {
				errs <- err
			}
			q, err := autoApprove(cfg.AuthCodeURL("s"))
			if err != nil {
				errs <- err
				return
			}
			tok, err := cfg.Exchange(ctx, q.Get("code"))
			if err != nil {
				errs <- err
				return
			}
			if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, _, err := apiClient(t, f, f.IssueToken("mona")).Issues.ListByRepo(ctx, "mona", "hello-world", &gh.IssueListByRepoOptions{State: "all", ListOptions: gh.ListOptions{PerPage: 100}})
	if err != nil || len(all) != 14 {
		t.Errorf("issues after parallel creates: %d (%v), want 14", len(all), err)
	}
	if c := f.Counts(); c.Exchanges != 8 || c.Refreshes != 8 {
		t.Errorf("counts = %+v", c)
	}
}
