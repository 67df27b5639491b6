package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
	"github.com/mcpgate/mcpgate/tokens"
)

// Rate is at most Limit requests in any sliding Window. A zero Limit
// disables the rule.
type Rate struct {
	Limit  int
	Window time.Duration
}

func (r Rate) enabled() bool { return r.Limit > 0 }

// Limits are the abuse limits of the OAuth endpoints (DESIGN.md: "auth
// endpoints are rate-limited without locking out clients that share an
// address"). Every counter lives in the store (tokens.RateLimiter), so the
// limits hold across replicas. The zero value limits nothing; DefaultLimits
// is what cmd/mcpgate starts from.
//
// Claude's users all arrive from a few Anthropic addresses, and Claude
// registers a new client on every fresh connection (mcp-auth-checklist
// §3.4), so no limit is keyed on the source address alone except loose
// ceilings: /token and /revoke count per authenticated client, /authorize
// per client and browser address.
//
// An attacker's budget is his own (issue 10.4): every default rule is
// keyed on something the attacker holds (his address, his network, a
// confidential client's secret, a grant's tokens), none on something
// everyone shares, so a flood exhausts only the flooder's budgets.
type Limits struct {
	// RegisterPerIP bounds registrations from one address (an IPv6 /64);
	// generous, since every Claude user registers from a handful of
	// addresses.
	RegisterPerIP Rate
	// RegisterPerNetwork bounds registrations from one network: an IPv4
	// /24 or an IPv6 /48, so that renting many addresses in one network
	// buys no more than a few.
	RegisterPerNetwork Rate
	// RegisterGlobal bounds registrations from everywhere together. Off by
	// default: a flood from a few networks would exhaust it and lock every
	// dynamically registering client out; MaxClients with pruning bounds
	// the store instead.
	RegisterGlobal Rate
	// AuthorizePerClientIP bounds /authorize requests for one client_id
	// from one browser address.
	AuthorizePerClientIP Rate
	// AuthorizePerIP is a loose ceiling on /authorize per browser address
	// (client_id values are free to invent).
	AuthorizePerIP Rate
	// TokenPerClient bounds /token requests of one confidential client
	// (authenticated by its secret), and of one grant (refresh-token
	// family) of a public client, whose client_id alone authenticates
	// nothing; its /revoke requests count apart.
	TokenPerClient Rate
	// TokenPerIP is a loose ceiling on /token (and, apart, /revoke) per
	// address, checked before the body is read.
	TokenPerIP Rate
	// MaxClients caps registrations. At the cap, registration first prunes
	// clients that never completed an authorization and are older than
	// UnusedClientAge (tokens.PruneUnusedClients), then answers 503 if
	// that freed nothing. Zero means no cap.
	MaxClients int
	// UnusedClientAge is how old a never-used client must be before it may
	// be pruned (default 24h when MaxClients is set).
	UnusedClientAge time.Duration
	// IdleClientAge, when positive, also prunes registrations that no live
	// grant names and that were not used (no code exchanged, see
	// tokens.Client.LastUsedAt) for this long, whether or not they ever
	// got tokens: what Claude leaves behind at each re-registration
	// (tokens.PruneRule.IdleBefore). Zero: off.
	IdleClientAge time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed. Without them the client address is the TCP peer's.
	TrustedProxies []netip.Prefix
}

// DefaultLimits are the limits of a default configuration.
func DefaultLimits() Limits {
	return Limits{
		RegisterPerIP:        Rate{Limit: 300, Window: time.Hour},
		RegisterPerNetwork:   Rate{Limit: 1000, Window: time.Hour},
		RegisterGlobal:       Rate{Limit: 0, Window: time.Hour}, // off; the window applies if an operator sets a limit
		AuthorizePerClientIP: Rate{Limit: 300, Window: time.Minute},
		AuthorizePerIP:       Rate{Limit: 3000, Window: time.Minute},
		TokenPerClient:       Rate{Limit: 600, Window: time.Minute},
		TokenPerIP:           Rate{Limit: 3000, Window: time.Minute},
		MaxClients:           100000,
		UnusedClientAge:      DefaultUnusedClientAge,
		IdleClientAge:        DefaultIdleClientAge,
	}
}

// DefaultIdleClientAge is the IdleClientAge of DefaultLimits: a week
// without a live grant or a use.
const DefaultIdleClientAge = 7 * 24 * time.Hour

// DefaultUnusedClientAge applies when MaxClients is set and
// UnusedClientAge is not.
const DefaultUnusedClientAge = 24 * time.Hour

// namedRate is a rate with its field name, for messages.
type namedRate struct {
	name string
	rate Rate
}

func (l Limits) rates() []namedRate {
	return []namedRate{
		{"RegisterPerIP", l.RegisterPerIP},
		{"RegisterPerNetwork", l.RegisterPerNetwork},
		{"RegisterGlobal", l.RegisterGlobal},
		{"AuthorizePerClientIP", l.AuthorizePerClientIP},
		{"AuthorizePerIP", l.AuthorizePerIP},
		{"TokenPerClient", l.TokenPerClient},
		{"TokenPerIP", l.TokenPerIP},
	}
}

func (l Limits) anyRate() bool {
	for _, r := range l.rates() {
		if r.rate.enabled() {
			return true
		}
	}
	return false
}

// normalise fills the default UnusedClientAge and lists what is wrong.
// store is the configured store, which must be a tokens.RateLimiter when
// any rate is enabled.
func (l *Limits) normalise(store tokens.Store) []string {
	var problems []string
	for _, r := range l.rates() {
		switch {
		case r.rate.Limit < 0:
			problems = append(problems, fmt.Sprintf("Limits.%s.Limit must not be negative", r.name))
		case r.rate.Limit > 0 && r.rate.Window < time.Second:
			problems = append(problems, fmt.Sprintf("Limits.%s.Window must be at least one second", r.name))
		}
	}
	if l.MaxClients < 0 {
		problems = append(problems, "Limits.MaxClients must not be negative")
	}
	switch {
	case l.UnusedClientAge < 0:
		problems = append(problems, "Limits.UnusedClientAge must not be negative")
	case l.UnusedClientAge == 0 && l.MaxClients > 0:
		l.UnusedClientAge = DefaultUnusedClientAge
	}
	if l.IdleClientAge < 0 {
		problems = append(problems, "Limits.IdleClientAge must not be negative")
	}
	for i, p := range l.TrustedProxies {
		if !p.IsValid() {
			problems = append(problems, fmt.Sprintf("Limits.TrustedProxies[%d] is not a valid prefix", i))
		}
	}
	if _, ok := store.(tokens.RateLimiter); store != nil && !ok && l.anyRate() {
		problems = append(problems, fmt.Sprintf("Limits need a store that implements tokens.RateLimiter; %T does not", store))
	}
	return problems
}

// rateLimitTimeout bounds one limiter call: a slow store must not add
// more than this to a request.
const rateLimitTimeout = 2 * time.Second

// limiter applies Limits to requests. A nil *limiter, or one without a
// store, admits everything.
//
// When the store cannot count, the endpoints differ deliberately (issue
// 10.9). /register and /authorize fail closed, 503 with Retry-After: they
// are what strangers flood, a registration or pending sign-in is stored
// state, and a person can retry a sign-in in a minute. /token and /revoke
// fail open, with the failure logged: they serve clients already
// connected, their callers are authenticated, the per-address ceiling is
// all a stranger could use, and refusing refreshes would disconnect every
// client during a limiter outage; the endpoints fail on their own, with
// 503, when the store is really gone.
type limiter struct {
	Store   tokens.RateLimiter
	Limits  Limits
	Proxies proxyResolver
	Pages   *pages
	Logger  *slog.Logger
}

// newLimiter returns the limiter for cfg, or nil when nothing is limited.
func newLimiter(cfg Config, pg *pages) *limiter {
	rl, ok := cfg.Store.(tokens.RateLimiter)
	if !ok || !cfg.Limits.anyRate() {
		return nil
	}
	return &limiter{
		Store:   rl,
		Limits:  cfg.Limits,
		Proxies: proxyResolver{trusted: cfg.Limits.TrustedProxies},
		Pages:   pg,
		Logger:  cfg.Logger,
	}
}

// limitRule is one counter a request must fit in.
type limitRule struct {
	name string // for logs: the Limits field
	key  string
	rate Rate
}

// verdict is the outcome of check.
type verdict int

const (
	admitted verdict = iota
	limited
	limiterDown // the store could not count and the endpoint fails closed
)

// failMode says what a limiter failure means for an endpoint.
type failMode bool

const (
	failOpen   failMode = false
	failClosed failMode = true
)

// check runs the rules in order and returns the retry delay of the first
// one the request exceeds. Later rules are not counted for a refused
// request, so the most specific rule goes first: a browser or client that
// keeps hammering past its own limit does not also use up the ceiling it
// shares with everyone behind the same address.
func (l *limiter) check(ctx context.Context, mode failMode, rules ...limitRule) (time.Duration, verdict) {
	if l == nil || l.Store == nil {
		return 0, admitted
	}
	for _, rule := range rules {
		if !rule.rate.enabled() {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, rateLimitTimeout)
		ok, retry, err := l.Store.Allow(cctx, rule.key, rule.rate.Limit, rule.rate.Window)
		cancel()
		if err != nil {
			if mode == failClosed {
				l.Logger.LogAttrs(ctx, slog.LevelError, "rate limiter unavailable; request refused",
					slog.String("limit", rule.name), slog.String("error", err.Error()))
				return 0, limiterDown
			}
			l.Logger.LogAttrs(ctx, slog.LevelWarn, "rate limiter unavailable; request admitted",
				slog.String("limit", rule.name), slog.String("error", err.Error()))
			continue
		}
		if !ok {
			l.Logger.LogAttrs(ctx, slog.LevelInfo, "rate limit exceeded", slog.String("limit", rule.name),
				slog.Int("limit_requests", rule.rate.Limit), slog.Duration("limit_window", rule.rate.Window))
			return retry, limited
		}
	}
	return 0, admitted
}

// register admits a registration: per address (IPv6 /64), per network
// (IPv4 /24, IPv6 /48), then the optional global ceiling. It fails closed.
func (l *limiter) register(w http.ResponseWriter, r *http.Request) bool {
	if l == nil {
		return true
	}
	ip := l.Proxies.clientKey(r)
	return l.admitJSON(w, r, failClosed,
		limitRule{"RegisterPerIP", "register:ip:" + ip, l.Limits.RegisterPerIP},
		limitRule{"RegisterPerNetwork", "register:net:" + l.Proxies.networkKey(r), l.Limits.RegisterPerNetwork},
		limitRule{"RegisterGlobal", "register:all", l.Limits.RegisterGlobal},
	)
}

// endpointIP admits a /token or /revoke request under the per-address
// ceiling, before its body is read.
func (l *limiter) endpointIP(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	if l == nil {
		return true
	}
	return l.admitJSON(w, r, failOpen, limitRule{"TokenPerIP", endpoint + ":ip:" + l.Proxies.clientKey(r), l.Limits.TokenPerIP})
}

// endpointClient admits a /token or /revoke request of an authenticated
// client, whose form is form. A confidential client proved itself with
// its secret and counts per client. A public client presented only its
// client_id, which is no secret (it is in every authorization URL, and a
// client ID metadata document URL such as Claude's names one application
// for all its users): counting per client would let anyone who knows the
// ID spend every user's budget, so a public client counts per grant (the
// refresh-token family), as named by the code or token the request
// presents. A stranger who forges tokens naming grants spends those
// grants' budgets only as far as he knows their IDs, which only the
// grant's tokens, its owner and the operator's logs show; the per-address
// ceiling bounds a caller who invents them.
func (l *limiter) endpointClient(w http.ResponseWriter, r *http.Request, endpoint, clientID string, form url.Values) bool {
	if l == nil {
		return true
	}
	key := endpoint + ":client:" + rateKeyPart(clientID)
	if isMetadataURL(clientID) || !presentedSecret(r, form) {
		key += ":grant:" + rateKeyPart(presentedGrant(form))
	}
	return l.admitJSON(w, r, failOpen, limitRule{"TokenPerClient", key, l.Limits.TokenPerClient})
}

// presentedSecret reports whether the (authenticated) request carried a
// client secret: then the client is confidential, since a public client
// presenting one is refused before the limit is checked.
func presentedSecret(r *http.Request, form url.Values) bool {
	_, _, basic := r.BasicAuth()
	return basic || form.Get("client_secret") != ""
}

// presentedGrant is the grant ID inside the code, refresh token or token
// (revocation) of a form, or "" when it holds none that parses.
func presentedGrant(form url.Values) string {
	for _, name := range []string{"code", "refresh_token", "token"} {
		if _, grantID, err := tokens.Parse(form.Get(name)); err == nil && grantID != "" {
			return grantID
		}
	}
	return ""
}

// authorize admits an authorization request (GET, or the consent form's
// POST) for clientID, which the request names but nothing has checked yet.
// It fails closed, with a page.
func (l *limiter) authorize(w http.ResponseWriter, r *http.Request, clientID string) bool {
	if l == nil {
		return true
	}
	ip := l.Proxies.clientKey(r)
	retry, v := l.check(r.Context(), failClosed,
		limitRule{"AuthorizePerClientIP", "authorize:client:" + rateKeyPart(clientID) + ":ip:" + ip, l.Limits.AuthorizePerClientIP},
		limitRule{"AuthorizePerIP", "authorize:ip:" + ip, l.Limits.AuthorizePerIP},
	)
	switch v {
	case admitted:
		return true
	case limiterDown:
		w.Header().Set("Retry-After", wire.RetryAfterSeconds)
		l.Pages.errorPage(w, pageError{
			Status:  http.StatusServiceUnavailable,
			Title:   "Temporarily unavailable",
			Message: l.Pages.service + " cannot serve this request right now.",
			Hint:    "Try again in a minute.",
		})
		return false
	}
	secs := retrySeconds(retry)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	l.Pages.errorPage(w, pageError{
		Status:  http.StatusTooManyRequests,
		Title:   "Too many sign-in attempts",
		Message: "This browser has started too many authorizations in a short time.",
		Hint:    fmt.Sprintf("Wait %s, then start again from your app.", plural(secs, "second")),
	})
	return false
}

// admitJSON checks the rules and answers a refused request of a JSON
// endpoint itself: 429 with Retry-After and an RFC 6749 §5.2 body. The
// error code is temporarily_unavailable (RFC 6749 has no rate-limit code):
// MCP clients know it and retry later, whereas an unknown code is read as
// server_error, on which the TypeScript SDK drops its refresh token and
// starts a new authorization.
//
// A limiter failure of a failClosed endpoint is 503 temporarily_unavailable
// with Retry-After, as for any store outage.
func (l *limiter) admitJSON(w http.ResponseWriter, r *http.Request, mode failMode, rules ...limitRule) bool {
	retry, v := l.check(r.Context(), mode, rules...)
	switch v {
	case admitted:
		return true
	case limiterDown:
		writeOAuthError(w, storeUnavailable())
		return false
	}
	secs := retrySeconds(retry)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeOAuthError(w, &oauthError{
		Code:        wire.TemporarilyUnavailable,
		Description: fmt.Sprintf("too many requests; retry after %s", plural(secs, "second")),
		Status:      http.StatusTooManyRequests,
	})
	return false
}

// retrySeconds rounds a retry delay up to whole seconds (Retry-After,
// RFC 9110 §10.2.3), at least one.
func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// rateKeyPart keeps a request-supplied value (a client_id nobody has
// checked yet) short and plain inside a limiter key: a printable value of
// up to 64 bytes as it is, anything else as a SHA-256 prefix.
func rateKeyPart(s string) string {
	if len(s) <= 64 && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' || r == '{' || r == '}' }) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:16])
}
