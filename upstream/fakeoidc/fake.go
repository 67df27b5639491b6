package fakeoidc

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Default lifetimes.
const (
	defaultTokenTTL   = time.Hour
	defaultRefreshTTL = 30 * 24 * time.Hour
	codeTTL           = 10 * time.Minute
	pendingTTL        = 10 * time.Minute
	maxBodyBytes      = 1 << 20
)

// DefaultTenantID is the "tid" of users without a TenantID in MultiTenant
// mode.
const DefaultTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// User is an account at the fake provider.
type User struct {
	// Subject is the stable "sub" claim; required.
	Subject           string
	Email             string
	EmailVerified     bool
	Name              string
	PreferredUsername string
	// HostedDomain is sent as Google's "hd" claim when set.
	HostedDomain string
	// TenantID is sent as Entra's "tid" claim when set.
	TenantID string
	// Groups is sent as the "groups" claim when set.
	Groups []string
}

// Options configures a Fake.
type Options struct {
	// ClientID and ClientSecret are the one client the fake knows; they
	// default to "fake-oidc-client" and "fake-oidc-secret".
	ClientID, ClientSecret string
	// Issuer overrides the issuer the discovery document advertises and ID
	// tokens carry (default: the fake's URL). Tests use it to simulate a
	// misconfigured issuer.
	Issuer string
	// TrailingSlashIssuer makes the issuer the fake's URL with a trailing
	// slash, as Auth0's issuers are.
	TrailingSlashIssuer bool
	// MultiTenant imitates Entra ID's multi-tenant endpoints: discovery
	// advertises the issuer template "{URL}/{tenantid}" and each ID token
	// carries "{URL}/{tid}" with the user's TenantID (DefaultTenantID
	// when empty) as "tid".
	MultiTenant bool
	// AppName is shown on the sign-in page; default "OpenID client".
	AppName string
	// AutoApprove makes /authorize redirect straight back with a code for
	// DefaultSubject. Otherwise it serves an HTML sign-in page where a
	// person picks a user and approves or cancels.
	AutoApprove bool
	// Users are the accounts; default two demo users, alice (verified
	// email) and bob (unverified email).
	Users []User
	// DefaultSubject is the user AutoApprove signs in and the one
	// preselected on the sign-in page; default the first user. A
	// login_hint naming a user's subject or email overrides it.
	DefaultSubject string
	// TokenTTL is the access and ID token lifetime; default one hour.
	TokenTTL time.Duration
	// RefreshTTL is the refresh token lifetime; default 30 days.
	RefreshTTL time.Duration
	// NoRefreshTokens issues no refresh tokens.
	NoRefreshTokens bool
	// NoRefreshRotation keeps refresh tokens valid after use and leaves
	// refresh_token out of refresh responses, as Google does. By default
	// every refresh returns a new refresh token and kills the old one.
	NoRefreshRotation bool
	// OmitEmailFromIDToken leaves email and email_verified out of ID
	// tokens, so clients must read them from /userinfo.
	OmitEmailFromIDToken bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Counts reports how many operations the fake performed.
type Counts struct {
	// Authorizations is the number of authorization codes issued.
	Authorizations int
	// Exchanges and FailedExchanges count authorization_code grants.
	Exchanges, FailedExchanges int
	// Refreshes and FailedRefreshes count refresh_token grants.
	Refreshes, FailedRefreshes int
	// UserInfoCalls counts /userinfo requests, whatever the answer.
	UserInfoCalls int
	// DiscoveryCalls and JWKSCalls count discovery and key set requests.
	DiscoveryCalls, JWKSCalls int
}

// ClaimsMutator edits the claims of an ID token or userinfo response
// before it is signed or sent.
type ClaimsMutator func(claims map[string]any)

// Fake is a fake OpenID Provider. It is an http.Handler and safe for
// concurrent use.
type Fake struct {
	// URL is the origin the fake is served at (no trailing slash), the
	// base of its issuer and endpoints. fakeoidctest.NewServer sets it; callers that
	// serve the fake themselves call SetURL before serving.
	URL string

	opts Options
	now  func() time.Time
	mux  *http.ServeMux

	mu        sync.Mutex
	users     []*User
	keys      []*signingKey // keys[0] signs; all are published
	forger    *signingKey   // unpublished key, created on demand
	forge     bool
	idMut     ClaimsMutator
	uiMut     ClaimsMutator
	noIDTok   bool
	pending   map[string]*authRequest
	codes     map[string]*authCode
	access    map[string]*grantToken
	refresh   map[string]*grantToken
	issued    []string
	counts    Counts
	keySerial int
}

// New builds a fake that is not serving yet; serve it with an
// http.Server and call SetURL with its origin.
func New(opts Options) *Fake {
	if opts.ClientID == "" {
		opts.ClientID = "fake-oidc-client"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "fake-oidc-secret"
	}
	if opts.AppName == "" {
		opts.AppName = "OpenID client"
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = defaultTokenTTL
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = defaultRefreshTTL
	}
	users := opts.Users
	if len(users) == 0 {
		users = demoUsers()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	f := &Fake{
		opts:    opts,
		now:     now,
		pending: map[string]*authRequest{},
		codes:   map[string]*authCode{},
		access:  map[string]*grantToken{},
		refresh: map[string]*grantToken{},
	}
	for _, u := range users {
		f.addUser(u)
	}
	if f.opts.DefaultSubject == "" && len(f.users) > 0 {
		f.opts.DefaultSubject = f.users[0].Subject
	}
	f.keys = []*signingKey{f.newKey()}
	f.mux = f.routes()
	return f
}

func demoUsers() []User {
	return []User{
		{Subject: "248289761001", Email: "alice@example.com", EmailVerified: true, Name: "Alice Example", PreferredUsername: "alice", Groups: []string{"staff"}},
		{Subject: "248289761002", Email: "bob@example.net", EmailVerified: false, Name: "Bob Unverified", PreferredUsername: "bob"},
	}
}

// SetURL records the origin the fake is served at.
func (f *Fake) SetURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.URL = strings.TrimSuffix(u, "/")
}

// ClientID is the client ID the fake accepts.
func (f *Fake) ClientID() string { return f.opts.ClientID }

// ClientSecret is the client secret the fake accepts.
func (f *Fake) ClientSecret() string { return f.opts.ClientSecret }

// Issuer is the issuer the discovery document advertises (the template
// "{URL}/{tenantid}" in MultiTenant mode).
func (f *Fake) Issuer() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issuer()
}

// ServeHTTP serves the fake.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mux.ServeHTTP(w, r)
}

func (f *Fake) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.handleDiscovery)
	mux.HandleFunc("GET /jwks", f.handleJWKS)
	mux.HandleFunc("GET /authorize", f.handleAuthorize)
	mux.HandleFunc("POST /authorize", f.handleDecision)
	mux.HandleFunc("POST /token", f.handleToken)
	mux.HandleFunc("GET /userinfo", f.handleUserInfo)
	mux.HandleFunc("POST /userinfo", f.handleUserInfo)
	return mux
}

// Counts returns a snapshot of the operation counters.
func (f *Fake) Counts() Counts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts
}

// AddUser adds a user, or replaces the one with the same subject.
func (f *Fake) AddUser(u User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addUser(u)
}

func (f *Fake) addUser(u User) {
	u.Groups = slices.Clone(u.Groups)
	for i, old := range f.users {
		if old.Subject == u.Subject {
			f.users[i] = &u
			return
		}
	}
	f.users = append(f.users, &u)
}

// user finds a user by subject; f.mu must be held.
func (f *Fake) user(subject string) *User {
	for _, u := range f.users {
		if u.Subject == subject {
			return u
		}
	}
	return nil
}

// userByHint finds a user by subject or email; f.mu must be held.
func (f *Fake) userByHint(hint string) *User {
	if hint == "" {
		return nil
	}
	for _, u := range f.users {
		if u.Subject == hint || u.Email != "" && strings.EqualFold(u.Email, hint) {
			return u
		}
	}
	return nil
}

// SetIDTokenMutator makes every ID token issued from now on pass through
// m before it is signed (nil removes it). Tests forge tokens with it: a
// wrong "aud", "nonce", "iss" or "exp", an unverified email, and so on.
func (f *Fake) SetIDTokenMutator(m ClaimsMutator) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.idMut = m
}

// SetUserInfoMutator makes every /userinfo answer pass through m (nil
// removes it).
func (f *Fake) SetUserInfoMutator(m ClaimsMutator) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uiMut = m
}

// SetOmitIDToken leaves id_token out of token responses while on.
func (f *Fake) SetOmitIDToken(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noIDTok = on
}

// IssuedTokens returns every access, refresh and ID token the fake has
// issued, so tests can assert that none of them leaks (into logs,
// errors, responses).
func (f *Fake) IssuedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.issued)
}

// RevokeAll makes every access and refresh token of subject stop
// working: /userinfo answers 401 and refreshes invalid_grant.
func (f *Fake) RevokeAll(subject string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, t := range f.access {
		if t.subject == subject {
			delete(f.access, k)
		}
	}
	for k, t := range f.refresh {
		if t.subject == subject {
			delete(f.refresh, k)
		}
	}
}

// ExpireAccessTokens makes every access token issued so far expired;
// refresh tokens keep working.
func (f *Fake) ExpireAccessTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	past := f.now().Add(-time.Second)
	for _, t := range f.access {
		t.expires = past
	}
}

// origin is the fake's origin; f.mu must be held.
func (f *Fake) origin(r *http.Request) string {
	if f.URL != "" || r == nil {
		return f.URL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// issuer is the advertised issuer; f.mu must be held.
func (f *Fake) issuer() string {
	return f.issuerAt(f.URL)
}

func (f *Fake) issuerAt(origin string) string {
	switch {
	case f.opts.Issuer != "":
		return f.opts.Issuer
	case f.opts.MultiTenant:
		return origin + "/{tenantid}"
	case f.opts.TrailingSlashIssuer:
		return origin + "/"
	}
	return origin
}

// tokenIssuer is the "iss" of u's ID tokens; f.mu must be held.
func (f *Fake) tokenIssuer(origin string, u *User) string {
	if f.opts.MultiTenant && f.opts.Issuer == "" {
		return origin + "/" + f.tenantOf(u)
	}
	return f.issuerAt(origin)
}

func (f *Fake) tenantOf(u *User) string {
	if u.TenantID == "" && f.opts.MultiTenant {
		return DefaultTenantID
	}
	return u.TenantID
}
