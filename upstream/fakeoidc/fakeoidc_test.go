package fakeoidc_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mcpgate/mcpgate/internal/testclock"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc"
	"github.com/mcpgate/mcpgate/upstream/fakeoidc/fakeoidctest"
)

const callback = "http://127.0.0.1:9999/oauth/callback/oidc"

// newClock is a settable test clock at a fixed instant.
func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
}

func oauthConfig(f *fakeoidc.Fake, scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = []string{"openid", "email", "profile"}
	}
	return &oauth2.Config{
		ClientID:     f.ClientID(),
		ClientSecret: f.ClientSecret(),
		RedirectURL:  callback,
		Scopes:       scopes,
		Endpoint:     oauth2.Endpoint{AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader},
	}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// redirect makes a request and returns the 302's Location.
func redirect(t *testing.T, do func() (*http.Response, error)) *url.URL {
	t.Helper()
	resp, err := do()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, want 302: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// login runs an auto-approved authorization and returns the code and
// verifier.
func login(t *testing.T, cfg *oauth2.Config, nonce string, extra ...oauth2.AuthCodeOption) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce)}, extra...)
	loc := redirect(t, func() (*http.Response, error) { return noRedirect.Get(cfg.AuthCodeURL("st", opts...)) })
	if loc.Query().Get("state") != "st" || loc.Query().Get("code") == "" {
		t.Fatalf("callback = %v", loc)
	}
	return loc.Query().Get("code"), verifier
}

func retrieveCode(err error) string {
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		return re.ErrorCode
	}
	return ""
}

func TestDiscoveryAndIDToken(t *testing.T) {
	clk := newClock()
	f := fakeoidctest.NewServer(t, fakeoidc.Options{AutoApprove: true, Now: clk.Now})
	ctx := gooidc.ClientContext(t.Context(), http.DefaultClient)
	p, err := gooidc.NewProvider(ctx, f.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var doc struct {
		Methods []string `json:"code_challenge_methods_supported"`
		Auth    []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := p.Claims(&doc); err != nil || !slices.Equal(doc.Methods, []string{"S256"}) || len(doc.Auth) != 2 {
		t.Errorf("discovery document: %+v %v", doc, err)
	}
	if p.Endpoint().TokenURL != f.URL+"/token" || p.UserInfoEndpoint() != f.URL+"/userinfo" || f.Issuer() != f.URL {
		t.Errorf("endpoints %+v %q issuer %q", p.Endpoint(), p.UserInfoEndpoint(), f.Issuer())
	}

	cfg := oauthConfig(f)
	code, verifier := login(t, cfg, "nonce-1")
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&gooidc.Config{ClientID: f.ClientID(), Now: clk.Now}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	var claims struct {
		Email    string   `json:"email"`
		Verified bool     `json:"email_verified"`
		Name     string   `json:"name"`
		Username string   `json:"preferred_username"`
		Groups   []string `json:"groups"`
		AuthTime int64    `json:"auth_time"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "nonce-1" || idt.Subject != "248289761001" || idt.Issuer != f.URL || !idt.Expiry.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("ID token = %+v", idt)
	}
	if claims.Email != "alice@example.com" || !claims.Verified || claims.Name != "Alice Example" || claims.Username != "alice" ||
		!slices.Equal(claims.Groups, []string{"staff"}) || claims.AuthTime != clk.Now().Unix() {
		t.Errorf("claims = %+v", claims)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Extra("scope") != "openid email profile" {
		t.Errorf("token = %+v", tok)
	}

	ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != idt.Subject || ui.Email != "alice@example.com" || !ui.EmailVerified {
		t.Errorf("userinfo = %+v, %v", ui, err)
	}
	c := f.Counts()
	if c.DiscoveryCalls != 1 || c.Authorizations != 1 || c.Exchanges != 1 || c.UserInfoCalls != 1 || c.JWKSCalls != 1 {
		t.Errorf("counts = %+v", c)
	}
	issued := f.IssuedTokens()
	for _, s := range []string{tok.AccessToken, tok.RefreshToken, raw} {
		if !slices.Contains(issued, s) {
			t.Error("IssuedTokens misses a token")
		}
	}
}

func TestIssuerShapes(t *testing.T) {
	tests := []struct {
		name string
		opts fakeoidc.Options
		want func(base string) string
	}{
		{name: "plain", want: func(b string) string { return b }},
		{name: "trailing slash", opts: fakeoidc.Options{TrailingSlashIssuer: true}, want: func(b string) string { return b + "/" }},
		{name: "multi-tenant", opts: fakeoidc.Options{MultiTenant: true}, want: func(b string) string { return b + "/{tenantid}" }},
		{name: "override", opts: fakeoidc.Options{Issuer: "https://idp.example.com"}, want: func(string) string { return "https://idp.example.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakeoidctest.NewServer(t, tt.opts)
			resp, err := http.Get(f.URL + "/.well-known/openid-configuration")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var doc struct {
				Issuer string `json:"issuer"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			if want := tt.want(f.URL); doc.Issuer != want || f.Issuer() != want {
				t.Errorf("issuer = %q / %q, want %q", doc.Issuer, f.Issuer(), want)
			}
		})
	}
}

// pageRequest matches the hidden request ID on the sign-in page.
var pageRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)

func TestSignInPage(t *testing.T) {
	f := fakeoidctest.NewServer(t, fakeoidc.Options{AppName: "mcpgate"})
	cfg := oauthConfig(f)
	open := func(t *testing.T, extra ...oauth2.AuthCodeOption) string {
		t.Helper()
		opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(oauth2.GenerateVerifier())}, extra...)
		resp, err := http.Get(cfg.AuthCodeURL("st", opts...))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("page: %d %v", resp.StatusCode, resp.Header)
		}
		m := pageRequest.FindSubmatch(body)
		if m == nil || !strings.Contains(string(body), "mcpgate") || !strings.Contains(string(body), "Bob Unverified") {
			t.Fatalf("page body: %s", body)
		}
		return string(m[1])
	}
	post := func(form url.Values) (*http.Response, error) { return noRedirect.PostForm(f.URL+"/authorize", form) }
	posting := func(form url.Values) func() (*http.Response, error) {
		return func() (*http.Response, error) { return post(form) }
	}

	// Approve as bob.
	req := open(t)
	loc := redirect(t, posting(url.Values{"request": {req}, "subject": {"248289761002"}, "decision": {"approve"}}))
	if loc.Query().Get("code") == "" || loc.Query().Get("state") != "st" {
		t.Errorf("approve: %v", loc)
	}
	// The request is used up.
	resp, err := post(url.Values{"request": {req}, "subject": {"248289761002"}, "decision": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("reused request: %d", resp.StatusCode)
	}
	// Cancel.
	loc = redirect(t, posting(url.Values{"request": {open(t)}, "decision": {"deny"}}))
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st" {
		t.Errorf("deny: %v", loc)
	}
	// Unknown user.
	resp, err = post(url.Values{"request": {open(t, oauth2.SetAuthURLParam("login_hint", "bob@example.net"))}, "subject": {"nobody"}, "decision": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown user: %d", resp.StatusCode)
	}
	if c := f.Counts(); c.Authorizations != 1 {
		t.Errorf("authorizations = %d", c.Authorizations)
	}
}

func TestAuthorizeValidation(t *testing.T) {
	f := fakeoidctest.NewServer(t, fakeoidc.Options{AutoApprove: true})
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	base := url.Values{
		"client_id": {f.ClientID()}, "redirect_uri": {callback}, "response_type": {"code"}, "scope": {"openid email"},
		"state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	tests := []struct {
		name      string
		edit      func(url.Values)
		wantPage  int    // an error page with this status, no redirect
		wantError string // else a redirect with this error
	}{
		{name: "unknown client", edit: func(q url.Values) { q.Set("client_id", "other") }, wantPage: http.StatusBadRequest},
		{name: "relative redirect", edit: func(q url.Values) { q.Set("redirect_uri", "/cb") }, wantPage: http.StatusBadRequest},
		{name: "no redirect", edit: func(q url.Values) { q.Del("redirect_uri") }, wantPage: http.StatusBadRequest},
		{name: "token response type", edit: func(q url.Values) { q.Set("response_type", "token") }, wantError: "unsupported_response_type"},
		{name: "no openid scope", edit: func(q url.Values) { q.Set("scope", "email") }, wantError: "invalid_scope"},
		{name: "no PKCE", edit: func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, wantError: "invalid_request"},
		{name: "plain PKCE", edit: func(q url.Values) { q.Set("code_challenge_method", "plain") }, wantError: "invalid_request"},
		{name: "malformed challenge", edit: func(q url.Values) { q.Set("code_challenge", "short") }, wantError: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range base {
				q[k] = slices.Clone(v)
			}
			tt.edit(q)
			resp, err := noRedirect.Get(f.URL + "/authorize?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tt.wantPage != 0 {
				if resp.StatusCode != tt.wantPage || resp.Header.Get("Location") != "" {
					t.Errorf("status %d location %q, want an error page %d", resp.StatusCode, resp.Header.Get("Location"), tt.wantPage)
				}
				return
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("error") != tt.wantError || loc.Query().Get("state") != "st" {
				t.Errorf("status %d location %v, want error %s", resp.StatusCode, loc, tt.wantError)
			}
		})
	}
}

func TestTokenErrors(t *testing.T) {
	clk := newClock()
	f := fakeoidctest.NewServer(t, fakeoidc.Options{AutoApprove: true, Now: clk.Now})
	tests := []struct {
		name    string
		mutate  func(cfg *oauth2.Config, code, verifier *string)
		advance time.Duration
		want    string
	}{
		{name: "wrong verifier", mutate: func(_ *oauth2.Config, _, v *string) { *v = oauth2.GenerateVerifier() }, want: "invalid_grant"},
		{name: "missing verifier", mutate: func(_ *oauth2.Config, _, v *string) { *v = "" }, want: "invalid_request"},
		{name: "unknown code", mutate: func(_ *oauth2.Config, c, _ *string) { *c = "nope" }, want: "invalid_grant"},
		{name: "wrong secret", mutate: func(cfg *oauth2.Config, _, _ *string) { cfg.ClientSecret = "wrong" }, want: "invalid_client"},
		{name: "wrong secret in body", mutate: func(cfg *oauth2.Config, _, _ *string) {
			cfg.ClientSecret = "wrong"
			cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		}, want: "invalid_client"},
		{name: "redirect mismatch", mutate: func(cfg *oauth2.Config, _, _ *string) { cfg.RedirectURL = "http://127.0.0.1:9999/elsewhere" }, want: "invalid_grant"},
		{name: "expired code", advance: 11 * time.Minute, want: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := oauthConfig(f)
			code, verifier := login(t, cfg, "n")
			if tt.mutate != nil {
				tt.mutate(cfg, &code, &verifier)
			}
			clk.Advance(tt.advance)
			var opts []oauth2.AuthCodeOption
			if verifier != "" {
				opts = append(opts, oauth2.VerifierOption(verifier))
			}
			_, err := cfg.Exchange(t.Context(), code, opts...)
			if got := retrieveCode(err); got != tt.want {
				t.Fatalf("error = %v (code %q), want %q", err, got, tt.want)
			}
			if re, _ := errors.AsType[*oauth2.RetrieveError](err); tt.want == "invalid_client" && re.Response.StatusCode != http.StatusUnauthorized {
				t.Errorf("invalid_client status = %d, want 401", re.Response.StatusCode)
			}
		})
	}
	// Codes are single use.
	cfg := oauthConfig(f)
	code, verifier := login(t, cfg, "n")
	if _, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); retrieveCode(err) != "invalid_grant" {
		t.Errorf("second use: %v", err)
	}
	resp, err := http.PostForm(f.URL+"/token", url.Values{"grant_type": {"password"}, "client_id": {f.ClientID()}, "client_secret": {f.ClientSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || e.Error != "unsupported_grant_type" {
		t.Errorf("password grant: %d %q", resp.StatusCode, e.Error)
	}
}

func TestRefreshAndRevocation(t *testing.T) {
	tests := []struct {
		name   string
		opts   fakeoidc.Options
		rotate bool
	}{
		{name: "rotating", rotate: true},
		{name: "Google style", opts: fakeoidc.Options{NoRefreshRotation: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.AutoApprove = true
			f := fakeoidctest.NewServer(t, tt.opts)
			cfg := oauthConfig(f)
			ctx := t.Context()
			code, verifier := login(t, cfg, "n")
			tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			next, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if err != nil {
				t.Fatal(err)
			}
			if next.Extra("id_token") == nil || next.AccessToken == tok.AccessToken {
				t.Errorf("refresh response = %+v", next)
			}
			rotated := next.Extra("refresh_token") != nil
			if rotated != tt.rotate {
				t.Errorf("refresh_token in the response: %v, want %v", rotated, tt.rotate)
			}
			_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if tt.rotate && retrieveCode(err) != "invalid_grant" || !tt.rotate && err != nil {
				t.Errorf("reusing the first refresh token: %v", err)
			}
			// A refresh cannot widen the scope.
			req, _ := http.NewRequest(http.MethodPost, f.URL+"/token", strings.NewReader(url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {next.RefreshToken}, "scope": {"openid admin"},
			}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(f.ClientID(), f.ClientSecret())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("widening refresh: %d", resp.StatusCode)
			}

			// RevokeAll kills access and refresh tokens.
			f.RevokeAll("248289761001")
			if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: next.RefreshToken}).Token(); retrieveCode(err) != "invalid_grant" {
				t.Errorf("refresh after RevokeAll: %v", err)
			}
			if status := userinfoStatus(t, f, next.AccessToken); status != http.StatusUnauthorized {
				t.Errorf("userinfo after RevokeAll: %d", status)
			}
		})
	}
}

func userinfoStatus(t *testing.T, f *fakeoidc.Fake, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.URL+"/userinfo", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without a Bearer challenge")
	}
	return resp.StatusCode
}

func TestUserInfoAccess(t *testing.T) {
	f := fakeoidctest.NewServer(t, fakeoidc.Options{AutoApprove: true, NoRefreshTokens: true})
	cfg := oauthConfig(f)
	code, verifier := login(t, cfg, "n")
	tok, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" {
		t.Error("NoRefreshTokens issued a refresh token")
	}
	for _, tc := range []struct {
		token string
		want  int
	}{{"", 401}, {"unknown", 401}, {tok.AccessToken, 200}} {
		if got := userinfoStatus(t, f, tc.token); got != tc.want {
			t.Errorf("userinfo with %q: %d, want %d", tc.token, got, tc.want)
		}
	}
	f.ExpireAccessTokens()
	if got := userinfoStatus(t, f, tok.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("expired token: %d", got)
	}
	if n := f.Counts().UserInfoCalls; n != 4 {
		t.Errorf("userinfo calls = %d", n)
	}
}

func TestKeysAndForgery(t *testing.T) {
	f := fakeoidctest.NewServer(t, fakeoidc.Options{AutoApprove: true})
	kids := func() []string {
		resp, err := http.Get(f.URL + "/jwks")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var set struct {
			Keys []struct {
				Kid, Alg, Use, Kty string
			} `json:"keys"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range set.Keys {
			if k.Alg != "RS256" || k.Use != "sig" || k.Kty != "RSA" {
				t.Errorf("key %+v", k)
			}
			out = append(out, k.Kid)
		}
		return out
	}
	first := f.CurrentKeyID()
	if got := kids(); !slices.Equal(got, []string{first}) {
		t.Errorf("keys = %v", got)
	}
	second := f.RotateKey()
	if got := kids(); !slices.Equal(got, []string{second, first}) {
		t.Errorf("after rotation keys = %v", got)
	}
	f.DropOldKeys()
	if got := kids(); !slices.Equal(got, []string{second}) {
		t.Errorf("after DropOldKeys keys = %v", got)
	}

	ctx := t.Context()
	p, err := gooidc.NewProvider(ctx, f.URL)
	if err != nil {
		t.Fatal(err)
	}
	v := p.Verifier(&gooidc.Config{ClientID: f.ClientID()})
	cfg := oauthConfig(f)
	idToken := func() string {
		code, verifier := login(t, cfg, "n")
		tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		return tok.Extra("id_token").(string)
	}
	if _, err := v.Verify(ctx, idToken()); err != nil {
		t.Errorf("genuine token: %v", err)
	}
	f.SignWithUnknownKey(true)
	if _, err := v.Verify(ctx, idToken()); err == nil {
		t.Error("forged token verified")
	}
	f.SignWithUnknownKey(false)
	f.SetIDTokenMutator(func(c map[string]any) { c["aud"] = "other" })
	if _, err := v.Verify(ctx, idToken()); err == nil || !strings.Contains(err.Error(), "audience") {
		t.Errorf("mutated audience: %v", err)
	}
	f.SetIDTokenMutator(nil)
	f.SetOmitIDToken(true)
	code, verifier := login(t, cfg, "n")
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil || tok.Extra("id_token") != nil {
		t.Errorf("SetOmitIDToken: %v %v", tok.Extra("id_token"), err)
	}
}

func TestMultiTenantTokens(t *testing.T) {
	f := fakeoidctest.NewServer(t, fakeoidc.Options{AutoApprove: true, MultiTenant: true, Users: []fakeoidc.User{
		{Subject: "a", TenantID: "t-1"}, {Subject: "b"},
	}})
	cfg := oauthConfig(f)
	for _, tc := range []struct{ hint, tid string }{{"a", "t-1"}, {"b", fakeoidc.DefaultTenantID}} {
		code, verifier := login(t, cfg, "n", oauth2.SetAuthURLParam("login_hint", tc.hint))
		tok, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		claims := payload(t, tok.Extra("id_token").(string))
		if claims["tid"] != tc.tid || claims["iss"] != f.URL+"/"+tc.tid || claims["sub"] != tc.hint {
			t.Errorf("claims = %v", claims)
		}
	}
}

// payload decodes a JWT's claims without verifying it.
func payload(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
