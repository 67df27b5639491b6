package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
)

func TestCodeReuseRevokesTheFirstTokens(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodPost, "https://app.example.com/cb")
	verifier, challenge := pkce()
	code := s.authorize(c, challenge).Query().Get("code")
	resp := s.exchange(c, code, verifier)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first use: %d %s", resp.StatusCode, readBody(t, resp))
	}
	var first tokenResponse
	decodeJSON(t, resp, &first)
	if _, err := s.accessRecord(first.AccessToken); err != nil {
		t.Fatalf("first access token not stored: %v", err)
	}

	e := wantOAuthError(t, s.exchange(c, code, verifier), http.StatusBadRequest, wire.InvalidGrant)
	if !strings.Contains(e.ErrorDescription, "already used") {
		t.Errorf("description %q", e.ErrorDescription)
	}
	if _, err := s.accessRecord(first.AccessToken); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("access token of the first use survives the reuse: %v", err)
	}
	wantOAuthError(t, s.refresh(c, first.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
}

func TestCodeRefusals(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(form url.Values, other testClient) (url.Values, *[2]string)
		status int
		code   string
		spent  bool // the refusal comes after the code was consumed
	}{
		{"wrong verifier", func(f url.Values, _ testClient) (url.Values, *[2]string) {
			v, _ := pkce()
			f.Set("code_verifier", v)
			return f, nil
		}, http.StatusBadRequest, wire.InvalidGrant, true},
		{"redirect_uri differs", func(f url.Values, _ testClient) (url.Values, *[2]string) {
			f.Set("redirect_uri", "https://app.example.com/other")
			return f, nil
		}, http.StatusBadRequest, wire.InvalidGrant, true},
		{"resource differs", func(f url.Values, _ testClient) (url.Values, *[2]string) {
			f.Set("resource", "https://elsewhere.example.com/mcp")
			return f, nil
		}, http.StatusBadRequest, wire.InvalidTarget, false},
		{"another client", func(f url.Values, other testClient) (url.Values, *[2]string) {
			f.Set("client_id", other.ID)
			f.Set("client_secret", other.Secret)
			return f, nil
		}, http.StatusBadRequest, wire.InvalidGrant, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodPost, "https://app.example.com/cb")
			other := s.register(authMethodPost, "https://app.example.com/cb")
			verifier, challenge := pkce()
			code := s.authorize(c, challenge).Query().Get("code")
			_, grantID, _ := tokens.Parse(code)
			form := clientAuthForm(c, url.Values{
				"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
				"redirect_uri": {c.RedirectURI}, "resource": {asTestResource},
			})
			form, basic := tt.mutate(form, other)
			wantOAuthError(t, s.postForm("/token", form, basic), tt.status, tt.code)

			if !tt.spent {
				// Refused before the code was touched: the right request still works.
				if resp := s.exchange(c, code, verifier); resp.StatusCode != http.StatusOK {
					t.Fatalf("the right request after a refusal: %d %s", resp.StatusCode, readBody(t, resp))
				}
				return
			}
			// The code is spent and its grant gone: even the right request now fails.
			wantOAuthError(t, s.exchange(c, code, verifier), http.StatusBadRequest, wire.InvalidGrant)
			if _, err := s.store.GetGrant(context.Background(), grantID); !errors.Is(err, tokens.ErrNotFound) {
				t.Errorf("grant of a refused code survives: %v", err)
			}
		})
	}
}

func TestCodeExpires(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.CodeTTL = time.Minute })
	c := s.register(authMethodNone, "http://localhost:3000/cb")
	verifier, challenge := pkce()
	code := s.authorize(c, challenge).Query().Get("code")
	s.clock.Advance(time.Minute + time.Second)
	wantOAuthError(t, s.exchange(c, code, verifier), http.StatusBadRequest, wire.InvalidGrant)
}

func TestCodeWithoutRedirectURIOrResource(t *testing.T) {
	// A client that left redirect_uri out of the authorization request
	// (one URI registered) may leave it out at the token endpoint too (RFC
	// 6749 §4.1.3), and clients without resource metadata omit resource.
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://127.0.0.1:5000/cb")
	verifier, challenge := pkce()
	params := authParams(c, challenge)
	params.Del("redirect_uri")
	state := upstreamState(t, s.approve(params, s.idp.name))
	code := s.callback(state, s.idp.login(t, state)).Query().Get("code")
	resp := s.postForm("/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "client_id": {c.ID},
	}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, readBody(t, resp))
	}
}

func TestTokenClientAuthentication(t *testing.T) {
	tests := []struct {
		name      string
		method    string // registration
		form      func(c testClient) url.Values
		basic     func(c testClient) *[2]string
		status    int
		code      string
		challenge bool // WWW-Authenticate: Basic expected
	}{
		{"unknown client, post", authMethodPost,
			func(c testClient) url.Values {
				return url.Values{"client_id": {tokens.NewID()}, "client_secret": {c.Secret}}
			},
			nil, http.StatusUnauthorized, wire.InvalidClient, false},
		{"unknown client, basic", authMethodBasic,
			func(testClient) url.Values { return url.Values{} },
			func(c testClient) *[2]string { return &[2]string{tokens.NewID(), c.Secret} },
			http.StatusUnauthorized, wire.InvalidClient, true},
		{"unknown public client", authMethodNone,
			func(testClient) url.Values { return url.Values{"client_id": {"not-a-client"}} },
			nil, http.StatusUnauthorized, wire.InvalidClient, false},
		{"no client at all", authMethodNone,
			func(testClient) url.Values { return url.Values{} },
			nil, http.StatusUnauthorized, wire.InvalidClient, false},
		{"wrong secret, post", authMethodPost,
			func(c testClient) url.Values {
				return url.Values{"client_id": {c.ID}, "client_secret": {tokens.Mint(tokens.KindClientSecret, "")}}
			}, nil, http.StatusUnauthorized, wire.InvalidClient, false},
		{"wrong secret, basic", authMethodBasic,
			func(testClient) url.Values { return url.Values{} },
			func(c testClient) *[2]string { return &[2]string{c.ID, "wrong"} },
			http.StatusUnauthorized, wire.InvalidClient, true},
		{"confidential client without secret", authMethodPost,
			func(c testClient) url.Values { return url.Values{"client_id": {c.ID}} },
			nil, http.StatusUnauthorized, wire.InvalidClient, false},
		{"public client with a secret", authMethodNone,
			func(c testClient) url.Values { return url.Values{"client_id": {c.ID}, "client_secret": {"made-up"}} },
			nil, http.StatusUnauthorized, wire.InvalidClient, false},
		{"basic and post together", authMethodBasic,
			func(c testClient) url.Values { return url.Values{"client_secret": {c.Secret}} },
			func(c testClient) *[2]string { return &[2]string{c.ID, c.Secret} },
			http.StatusBadRequest, wire.InvalidRequest, false},
		{"basic with another client_id in the body", authMethodBasic,
			func(testClient) url.Values { return url.Values{"client_id": {tokens.NewID()}} },
			func(c testClient) *[2]string { return &[2]string{c.ID, c.Secret} },
			http.StatusBadRequest, wire.InvalidRequest, false},
		{"basic with bad percent-encoding", authMethodBasic,
			func(testClient) url.Values { return url.Values{} },
			func(c testClient) *[2]string { return &[2]string{c.ID, "%zz"} },
			http.StatusUnauthorized, wire.InvalidClient, true},
		// A confidential client may use either secret method.
		{"post client using basic", authMethodPost,
			func(testClient) url.Values { return url.Values{} },
			func(c testClient) *[2]string { return &[2]string{c.ID, c.Secret} },
			http.StatusBadRequest, wire.InvalidGrant, false},
		{"basic client using post", authMethodBasic,
			func(c testClient) url.Values { return url.Values{"client_id": {c.ID}, "client_secret": {c.Secret}} },
			nil, http.StatusBadRequest, wire.InvalidGrant, false},
		{"public client with client_id only", authMethodNone,
			func(c testClient) url.Values { return url.Values{"client_id": {c.ID}} },
			nil, http.StatusBadRequest, wire.InvalidGrant, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(tt.method, "https://app.example.com/cb")
			form := tt.form(c)
			// A syntactically valid but unknown code: authentication is
			// checked first; clients that pass it get invalid_grant.
			form.Set("grant_type", "authorization_code")
			form.Set("code", tokens.Mint(tokens.KindCode, tokens.NewID()))
			v, _ := pkce()
			form.Set("code_verifier", v)
			var basic *[2]string
			if tt.basic != nil {
				basic = tt.basic(c)
			}
			resp := s.postForm("/token", form, basic)
			wantOAuthError(t, resp, tt.status, tt.code)
			got := resp.Header.Get("WWW-Authenticate")
			if tt.challenge != strings.HasPrefix(got, "Basic ") {
				t.Errorf("WWW-Authenticate %q, challenge expected: %v", got, tt.challenge)
			}
		})
	}
}

func TestClientCredentialsDecodeBasic(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/token", nil)
	r.SetBasicAuth("my%3Aclient", "s%2Bcr%C3%A9t")
	id, secret, basic, oerr := clientCredentials(r, url.Values{})
	if oerr != nil || !basic || id != "my:client" || secret != "s+crét" {
		t.Fatalf("got %q %q %v %v", id, secret, basic, oerr)
	}
}

func TestTokenRequestErrors(t *testing.T) {
	tests := []struct {
		name   string
		form   func(c testClient) url.Values
		status int
		code   string
	}{
		{"missing grant_type", func(c testClient) url.Values { return url.Values{} }, http.StatusBadRequest, wire.InvalidRequest},
		{"unsupported grant_type", func(c testClient) url.Values {
			return url.Values{"grant_type": {"client_credentials"}}
		}, http.StatusBadRequest, wire.UnsupportedGrantType},
		{"missing code", func(c testClient) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code_verifier": {strings.Repeat("a", 43)}}
		}, http.StatusBadRequest, wire.InvalidRequest},
		{"missing verifier", func(c testClient) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {tokens.Mint(tokens.KindCode, tokens.NewID())}}
		}, http.StatusBadRequest, wire.InvalidRequest},
		{"short verifier", func(c testClient) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {tokens.Mint(tokens.KindCode, tokens.NewID())}, "code_verifier": {strings.Repeat("a", 42)}}
		}, http.StatusBadRequest, wire.InvalidGrant},
		{"verifier with bad characters", func(c testClient) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {tokens.Mint(tokens.KindCode, tokens.NewID())}, "code_verifier": {strings.Repeat("a", 42) + "+"}}
		}, http.StatusBadRequest, wire.InvalidGrant},
		{"malformed code", func(c testClient) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {"abc"}, "code_verifier": {strings.Repeat("a", 43)}}
		}, http.StatusBadRequest, wire.InvalidGrant},
		{"refresh token as code", func(c testClient) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {tokens.Mint(tokens.KindRefresh, tokens.NewID())}, "code_verifier": {strings.Repeat("a", 43)}}
		}, http.StatusBadRequest, wire.InvalidGrant},
		{"missing refresh token", func(c testClient) url.Values {
			return url.Values{"grant_type": {"refresh_token"}}
		}, http.StatusBadRequest, wire.InvalidRequest},
		{"access token as refresh token", func(c testClient) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tokens.Mint(tokens.KindAccess, tokens.NewID())}}
		}, http.StatusBadRequest, wire.InvalidGrant},
		{"unknown refresh token", func(c testClient) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tokens.Mint(tokens.KindRefresh, tokens.NewID())}}
		}, http.StatusBadRequest, wire.InvalidGrant},
		{"foreign resource", func(c testClient) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tokens.Mint(tokens.KindRefresh, tokens.NewID())}, "resource": {"https://api.github.com"}}
		}, http.StatusBadRequest, wire.InvalidTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, "http://localhost:1234/cb")
			form := tt.form(c)
			form.Set("client_id", c.ID)
			wantOAuthError(t, s.postForm("/token", form, nil), tt.status, tt.code)
		})
	}

	t.Run("repeated parameter", func(t *testing.T) {
		s := newTestServer(t, nil)
		c := s.register(authMethodNone, "http://localhost:1234/cb")
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id="+c.ID))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		wantOAuthError(t, s.do(r), http.StatusBadRequest, wire.InvalidRequest)
	})
	t.Run("JSON body", func(t *testing.T) {
		s := newTestServer(t, nil)
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(`{"grant_type":"refresh_token"}`))
		r.Header.Set("Content-Type", "application/json")
		wantOAuthError(t, s.do(r), http.StatusBadRequest, wire.InvalidRequest)
	})
	t.Run("body too large", func(t *testing.T) {
		s := newTestServer(t, nil)
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=refresh_token&x="+strings.Repeat("a", maxFormBytes)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		wantOAuthError(t, s.do(r), http.StatusBadRequest, wire.InvalidRequest)
	})
}

func TestRefreshReuseWithinGraceReturnsSameTokens(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.RefreshGrace = 30 * time.Second })
	c := s.register(authMethodPost, "https://app.example.com/cb")
	first := s.tokenPair(c)

	resp := s.refresh(c, first.RefreshToken)
	body1 := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %s", resp.StatusCode, body1)
	}
	s.clock.Advance(29 * time.Second)
	resp = s.refresh(c, first.RefreshToken)
	body2 := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || body2 != body1 {
		t.Fatalf("retry within grace: %d %s, want the same response %s", resp.StatusCode, body2, body1)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("grace response caching: %q", resp.Header.Get("Cache-Control"))
	}
}

func TestRefreshReuseAfterGraceRevokesGrant(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.RefreshGrace = 30 * time.Second })
	c := s.register(authMethodNone, "http://localhost:9999/cb")
	first := s.tokenPair(c)
	resp := s.refresh(c, first.RefreshToken)
	var second tokenResponse
	decodeJSON(t, resp, &second)

	s.clock.Advance(31 * time.Second)
	e := wantOAuthError(t, s.refresh(c, first.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
	if !strings.Contains(e.ErrorDescription, "reuse") {
		t.Errorf("description %q", e.ErrorDescription)
	}
	for _, at := range []string{first.AccessToken, second.AccessToken} {
		if _, err := s.accessRecord(at); !errors.Is(err, tokens.ErrNotFound) {
			t.Errorf("access token alive after reuse detection: %v", err)
		}
	}
	wantOAuthError(t, s.refresh(c, second.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
	if !strings.Contains(s.logs.String(), "refresh token reuse detected") {
		t.Errorf("reuse not logged")
	}
}

func TestRefreshByAnotherClient(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:9999/cb")
	other := s.register(authMethodNone, "http://localhost:9999/cb")
	pair := s.tokenPair(c)
	wantOAuthError(t, s.refresh(other, pair.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
	// The rightful client is not affected.
	if resp := s.refresh(c, pair.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh by the owner: %d %s", resp.StatusCode, readBody(t, resp))
	}
}

func TestRefreshExpiresWithRefreshTTL(t *testing.T) {
	s := newTestServer(t, func(c *Config) { c.RefreshTTL = 2 * time.Hour })
	c := s.register(authMethodNone, "http://localhost:9999/cb")
	pair := s.tokenPair(c)
	s.clock.Advance(2*time.Hour + time.Second)
	wantOAuthError(t, s.refresh(c, pair.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
}

func TestRefreshScopeAndResource(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:9999/cb")
	pair := s.tokenPair(c)

	refresh := func(rt string, extra url.Values) *http.Response {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {c.ID}}
		for k, v := range extra {
			form[k] = v
		}
		return s.postForm("/token", form, nil)
	}
	wantOAuthError(t, refresh(pair.RefreshToken, url.Values{"scope": {"mcp:read admin"}}), http.StatusBadRequest, wire.InvalidScope)
	wantOAuthError(t, refresh(pair.RefreshToken, url.Values{"resource": {"https://mcp.example.com/other"}}), http.StatusBadRequest, wire.InvalidTarget)

	// Narrowing applies to the access token; the refresh token keeps the grant's scopes.
	resp := refresh(pair.RefreshToken, url.Values{"scope": {"mcp:read"}, "resource": {"https://MCP.example.com:443/mcp/"}})
	var narrow tokenResponse
	decodeJSON(t, resp, &narrow)
	if narrow.Scope != "mcp:read" {
		t.Fatalf("narrowed scope %q", narrow.Scope)
	}
	at, err := s.accessRecord(narrow.AccessToken)
	if err != nil || strings.Join(at.Scopes, " ") != "mcp:read" || at.Resource != asTestResource {
		t.Fatalf("narrowed access record %+v %v", at, err)
	}
	resp = refresh(narrow.RefreshToken, nil)
	var full tokenResponse
	decodeJSON(t, resp, &full)
	if full.Scope != "mcp:read mcp:write" {
		t.Fatalf("scope after a narrowed refresh %q, want the grant's", full.Scope)
	}
}

// rotationRace is a store in which another replica rotates the refresh
// token between our read and our rotation.
type rotationRace struct {
	*memory.Store
	mu    sync.Mutex
	fired bool
	other func()
}

func (r *rotationRace) RotateRefresh(ctx context.Context, read tokens.RefreshRead, rot tokens.Rotation, next tokens.Issue) error {
	r.mu.Lock()
	fire := !r.fired
	r.fired = true
	r.mu.Unlock()
	if fire {
		r.other() // runs a whole refresh, which calls RotateRefresh again
	}
	return r.Store.RotateRefresh(ctx, read, rot, next)
}

func TestRefreshRaceServesTheWinnersResponse(t *testing.T) {
	race := &rotationRace{}
	s := newTestServer(t, func(c *Config) {
		race.Store = c.Store.(*memory.Store)
		c.Store = race
	})
	c := s.register(authMethodNone, "http://localhost:9999/cb")
	pair := s.tokenPair(c)

	var winner string
	race.other = func() {
		resp := s.refresh(c, pair.RefreshToken) // the "other replica"
		winner = readBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("winner: %d %s", resp.StatusCode, winner)
		}
	}
	resp := s.refresh(c, pair.RefreshToken)
	if got := readBody(t, resp); resp.StatusCode != http.StatusOK || got != winner {
		t.Fatalf("loser got %d %s, want the winner's response %s", resp.StatusCode, got, winner)
	}
}

// failingStore fails the operations whose flag is set, as a store that
// lost its connection does; everything else goes to the memory store.
type failingStore struct {
	*memory.Store
	failGetClient, failConsume, failRotate, failIssue, failGetGrant bool
	failReadRefresh                                                 bool
	failPutPending, failTakePending, failPutCode                    bool
	failGetAccess, failRevoke, failCreateGrant                      bool
}

var errStoreDown = errors.New("connection refused")

func (f *failingStore) GetClient(ctx context.Context, id string) (tokens.Client, error) {
	if f.failGetClient {
		return tokens.Client{}, errStoreDown
	}
	return f.Store.GetClient(ctx, id)
}

func (f *failingStore) ConsumeCode(ctx context.Context, grantID, hash string) (tokens.AuthCode, error) {
	if f.failConsume {
		return tokens.AuthCode{}, errStoreDown
	}
	return f.Store.ConsumeCode(ctx, grantID, hash)
}

func (f *failingStore) ReadRefresh(ctx context.Context, clientID, grantID, hash string) (tokens.RefreshRead, error) {
	if f.failReadRefresh {
		return tokens.RefreshRead{}, errStoreDown
	}
	return f.Store.ReadRefresh(ctx, clientID, grantID, hash)
}

func (f *failingStore) RotateRefresh(ctx context.Context, read tokens.RefreshRead, rot tokens.Rotation, next tokens.Issue) error {
	if f.failRotate {
		return errStoreDown
	}
	return f.Store.RotateRefresh(ctx, read, rot, next)
}

func (f *failingStore) IssueTokens(ctx context.Context, grantID string, is tokens.Issue) error {
	if f.failIssue {
		return errStoreDown
	}
	return f.Store.IssueTokens(ctx, grantID, is)
}

func (f *failingStore) GetGrant(ctx context.Context, id string) (tokens.Grant, error) {
	if f.failGetGrant {
		return tokens.Grant{}, errStoreDown
	}
	return f.Store.GetGrant(ctx, id)
}

func (f *failingStore) PutPending(ctx context.Context, h string, p tokens.Pending, ttl time.Duration) error {
	if f.failPutPending {
		return errStoreDown
	}
	return f.Store.PutPending(ctx, h, p, ttl)
}

func (f *failingStore) TakePending(ctx context.Context, h string) (tokens.Pending, error) {
	if f.failTakePending {
		return tokens.Pending{}, errStoreDown
	}
	return f.Store.TakePending(ctx, h)
}

func (f *failingStore) PutCode(ctx context.Context, h string, c tokens.AuthCode) error {
	if f.failPutCode {
		return errStoreDown
	}
	return f.Store.PutCode(ctx, h, c)
}

func (f *failingStore) CreateGrant(ctx context.Context, g tokens.Grant) error {
	if f.failCreateGrant {
		return errStoreDown
	}
	return f.Store.CreateGrant(ctx, g)
}

func (f *failingStore) GetAccess(ctx context.Context, grantID, h string) (tokens.AccessToken, error) {
	if f.failGetAccess {
		return tokens.AccessToken{}, errStoreDown
	}
	return f.Store.GetAccess(ctx, grantID, h)
}

func (f *failingStore) RevokeGrant(ctx context.Context, grantID string) error {
	if f.failRevoke {
		return errStoreDown
	}
	return f.Store.RevokeGrant(ctx, grantID)
}

// newFailingServer is a test server whose store fails on demand.
func newFailingServer(t *testing.T, mutate func(*Config)) (*asServer, *failingStore) {
	t.Helper()
	fs := &failingStore{}
	s := newTestServer(t, func(c *Config) {
		fs.Store = c.Store.(*memory.Store)
		c.Store = fs
		if mutate != nil {
			mutate(c)
		}
	})
	return s, fs
}

// want503 checks a store failure answer: 503 temporarily_unavailable,
// Retry-After, and nothing of the cause.
func want503(t *testing.T, resp *http.Response) {
	t.Helper()
	e := wantOAuthError(t, resp, http.StatusServiceUnavailable, wire.TemporarilyUnavailable)
	if resp.Header.Get("Retry-After") != "5" {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if strings.Contains(e.ErrorDescription, errStoreDown.Error()) {
		t.Errorf("description leaks the store error: %q", e.ErrorDescription)
	}
}

func TestTokenStoreFailureIs503(t *testing.T) {
	s, fs := newFailingServer(t, nil)
	c := s.register(authMethodPost, "https://app.example.com/cb")
	verifier, challenge := pkce()
	code := s.authorize(c, challenge).Query().Get("code")

	fs.failGetClient = true
	want503(t, s.exchange(c, code, verifier))
	fs.failGetClient = false
	fs.failConsume = true
	want503(t, s.exchange(c, code, verifier))
	fs.failConsume = false

	// The store is back: the code still works (it was never consumed).
	resp := s.exchange(c, code, verifier)
	var pair tokenResponse
	decodeJSON(t, resp, &pair)
	for _, flag := range []*bool{&fs.failRotate, &fs.failReadRefresh} {
		*flag = true
		want503(t, s.refresh(c, pair.RefreshToken))
		*flag = false
	}
	if resp := s.refresh(c, pair.RefreshToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh after recovery: %d %s", resp.StatusCode, readBody(t, resp))
	}
}

func TestTokenStoreFailureAfterConsume(t *testing.T) {
	for _, name := range []string{"GetGrant", "IssueTokens"} {
		t.Run(name, func(t *testing.T) {
			s, fs := newFailingServer(t, nil)
			c := s.register(authMethodNone, "http://localhost:1/cb")
			verifier, challenge := pkce()
			code := s.authorize(c, challenge).Query().Get("code")
			if name == "GetGrant" {
				fs.failGetGrant = true
			} else {
				fs.failIssue = true
			}
			want503(t, s.exchange(c, code, verifier))
			fs.failGetGrant, fs.failIssue = false, false
			// The code was consumed: a retry is a reuse and fails safely.
			wantOAuthError(t, s.exchange(c, code, verifier), http.StatusBadRequest, wire.InvalidGrant)
		})
	}
}

func TestReuseDetectionNeedsTheStore(t *testing.T) {
	s, fs := newFailingServer(t, func(c *Config) { c.RefreshGrace = time.Second })
	c := s.register(authMethodNone, "http://localhost:1/cb")
	pair := s.tokenPair(c)
	s.refresh(c, pair.RefreshToken)
	s.clock.Advance(time.Minute)
	fs.failRevoke = true
	// A reuse that cannot revoke the grant is not answered as if it had.
	want503(t, s.refresh(c, pair.RefreshToken))
	fs.failRevoke = false
	wantOAuthError(t, s.refresh(c, pair.RefreshToken), http.StatusBadRequest, wire.InvalidGrant)
}
