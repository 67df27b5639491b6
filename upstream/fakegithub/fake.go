package fakegithub

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Default lifetimes, as GitHub documents them for GitHub App user tokens.
const (
	defaultTokenTTL   = 8 * time.Hour
	defaultRefreshTTL = 184 * 24 * time.Hour // about six months
	codeTTL           = 10 * time.Minute
	pendingTTL        = 10 * time.Minute
)

// Options configures a Fake.
type Options struct {
	// Enterprise selects the GitHub Enterprise Server shape: the REST API is
	// served under /api/v3/ only. Otherwise it is served at the root, as
	// api.github.com does. The OAuth endpoints are at /login/oauth/ in both
	// shapes. APIBaseURL reports the right base either way.
	Enterprise bool
	// ClientID and ClientSecret are the one OAuth client the fake knows.
	// They default to "fake-client-id" and "fake-client-secret".
	ClientID, ClientSecret string
	// AppName is shown on the sign-in page; default "OAuth application".
	AppName string
	// SiteName is the fake's own name on its sign-in page; default "Fake
	// GitHub" (`mcpgate demo` says "Demo GitHub", as on its other pages).
	SiteName string
	// AppTokens issues expiring GitHub App user tokens (expires_in,
	// refresh_token, refresh_token_expires_in) whose refresh tokens rotate
	// on every use. Otherwise tokens are OAuth App tokens: no expiry, no
	// refresh token, and scopes as requested.
	AppTokens bool
	// TokenTTL is the access token lifetime with AppTokens (default 8h).
	TokenTTL time.Duration
	// RefreshTTL is the refresh token lifetime with AppTokens (default 184 days).
	RefreshTTL time.Duration
	// AutoApprove makes GET /login/oauth/authorize redirect straight back
	// with a code for DefaultLogin. Otherwise it serves an HTML sign-in page
	// where a person picks a user and approves or denies.
	AutoApprove bool
	// DefaultLogin is the user AutoApprove signs in, and the one
	// preselected on the sign-in page; default "mona".
	DefaultLogin string
	// NoSeed starts the fake without the demo users and repositories.
	NoSeed bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Counts reports how many operations the fake performed.
type Counts struct {
	// Authorizations is the number of authorization codes issued.
	Authorizations int
	// Exchanges is the number of authorization codes redeemed successfully.
	Exchanges int
	// FailedExchanges is the number of refused authorization_code requests.
	FailedExchanges int
	// Refreshes is the number of successful refresh_token grants.
	Refreshes int
	// FailedRefreshes is the number of refused refresh_token grants.
	FailedRefreshes int
	// APICalls is the number of requests to REST endpoints the fake
	// serves, whatever the answer (401 and 403 included).
	APICalls int
	// NotModified is the number of conditional GETs answered 304 (they
	// are among APICalls but do not count against the rate limit).
	NotModified int
}

// Fake is a fake GitHub: OAuth web flow plus a small REST API over seeded
// data. It is an http.Handler and safe for concurrent use.
type Fake struct {
	// URL is the origin the fake is served at (no trailing slash). It is
	// used for Link headers and html_url fields. fakegithubtest.NewServer sets it; callers
	// that serve the fake themselves call SetURL before serving. When empty,
	// the request's Host is used.
	URL string

	opts Options
	now  func() time.Time
	mux  *http.ServeMux

	mu          sync.Mutex
	users       map[string]*User // by login
	repos       map[string]*repo // by "owner/name", lower case
	orgs        map[string]*org  // by lower-case login
	nextID      int64
	codes       map[string]*authCode
	pending     map[string]*authRequest
	tokens      map[string]*accessToken
	refresh     map[string]*refreshToken
	issued      []string
	counts      Counts
	rateLimited time.Time
	buckets     map[string]*rateBucket
}

// New builds a fake that is not serving yet; serve it with an
// http.Server and call SetURL with its origin.
func New(opts Options) *Fake {
	if opts.ClientID == "" {
		opts.ClientID = "fake-client-id"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "fake-client-secret"
	}
	if opts.SiteName == "" {
		opts.SiteName = "Fake GitHub"
	}
	if opts.AppName == "" {
		opts.AppName = "OAuth application"
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = defaultTokenTTL
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = defaultRefreshTTL
	}
	if opts.DefaultLogin == "" {
		opts.DefaultLogin = "mona"
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	f := &Fake{
		opts:    opts,
		now:     now,
		users:   map[string]*User{},
		repos:   map[string]*repo{},
		orgs:    map[string]*org{},
		nextID:  1_000_000,
		codes:   map[string]*authCode{},
		pending: map[string]*authRequest{},
		tokens:  map[string]*accessToken{},
		refresh: map[string]*refreshToken{},
		buckets: map[string]*rateBucket{},
	}
	if !opts.NoSeed {
		f.seed()
	}
	f.mux = f.routes()
	return f
}

// SetURL records the origin the fake is served at.
func (f *Fake) SetURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.URL = strings.TrimSuffix(u, "/")
}

// ClientID is the OAuth client ID the fake accepts.
func (f *Fake) ClientID() string { return f.opts.ClientID }

// ClientSecret is the OAuth client secret the fake accepts.
func (f *Fake) ClientSecret() string { return f.opts.ClientSecret }

// APIBaseURL is the REST API base with a trailing slash: URL+"/" or, in
// Enterprise mode, URL+"/api/v3/".
func (f *Fake) APIBaseURL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.URL + f.apiPrefix() + "/"
}

// ServeHTTP serves the fake.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mux.ServeHTTP(w, r)
}

// Counts returns a snapshot of the operation counters.
func (f *Fake) Counts() Counts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts
}

// SetRateLimited makes every REST call answer 403 with
// X-RateLimit-Remaining: 0 and X-RateLimit-Reset at until, until that time.
// A zero time lifts the limit.
func (f *Fake) SetRateLimited(until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rateLimited = until
}

func (f *Fake) apiPrefix() string {
	if f.opts.Enterprise {
		return "/api/v3"
	}
	return ""
}

// origin is the fake's origin for absolute URLs; f.mu must be held.
func (f *Fake) origin(r *http.Request) string {
	if f.URL != "" {
		return f.URL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (f *Fake) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", f.handleAuthorize)
	mux.HandleFunc("POST /login/oauth/authorize", f.handleAuthorizeDecision)
	mux.HandleFunc("POST /login/oauth/access_token", f.handleAccessToken)

	p := f.apiPrefix()
	api := func(pattern string, h func(*call)) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" "+p+path, f.rest(h))
	}
	api("GET /user", f.getUser)
	api("GET /user/emails", f.getUserEmails)
	api("GET /user/repos", f.listUserRepos)
	api("GET /search/repositories", f.searchRepos)
	api("GET /repos/{owner}/{repo}", f.getRepo)
	api("GET /repos/{owner}/{repo}/contents", f.getContents)
	api("GET /repos/{owner}/{repo}/contents/{path...}", f.getContents)
	api("GET /repos/{owner}/{repo}/issues", f.listIssues)
	api("POST /repos/{owner}/{repo}/issues", f.createIssue)
	api("GET /repos/{owner}/{repo}/issues/{number}", f.getIssue)
	api("GET /repos/{owner}/{repo}/issues/{number}/comments", f.listComments)
	api("POST /repos/{owner}/{repo}/issues/{number}/comments", f.createComment)
	api("GET /repos/{owner}/{repo}/pulls", f.listPulls)
	api("GET /repos/{owner}/{repo}/pulls/{number}", f.getPull)
	api("GET /user/memberships/orgs/{org}", f.getOrgMembership)
	api("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", f.getTeamMembership)
	// The API root and /meta answer without a token, as GitHub's do
	// (`mcpgate check` reaches them).
	mux.HandleFunc("GET "+p+"/{$}", f.getAPIRoot)
	mux.HandleFunc("GET "+p+"/meta", f.getMeta)
	f.moreRoutes(mux, api)
	// Everything else under the API prefix answers GitHub's JSON 404.
	mux.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, apiError{Message: "Not Found", DocumentationURL: docsREST})
	})
	return mux
}

// getAPIRoot answers GET / of the API with a few of GitHub's URL templates.
func (f *Fake) getAPIRoot(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	base := f.origin(r) + f.apiPrefix()
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{
		"current_user_url":              base + "/user",
		"repository_url":                base + "/repos/{owner}/{repo}",
		"repository_search_url":         base + "/search/repositories?q={query}{&page,per_page,sort,order}",
		"user_repositories_url":         base + "/users/{user}/repos{?type,page,per_page,sort}",
		"organization_url":              base + "/orgs/{org}",
		"rate_limit_url":                base + "/rate_limit",
		"current_user_repositories_url": base + "/user/repos{?type,page,per_page,sort}",
	})
}

// getMeta answers GET /meta: on GitHub Enterprise Server it carries the
// installed version.
func (f *Fake) getMeta(w http.ResponseWriter, _ *http.Request) {
	meta := map[string]any{"verifiable_password_authentication": false}
	if f.opts.Enterprise {
		meta["installed_version"] = "3.17.0"
	}
	writeJSON(w, http.StatusOK, meta)
}
