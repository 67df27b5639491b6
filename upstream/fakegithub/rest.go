package fakegithub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	rateLimitAuthenticated   = 5000
	rateLimitUnauthenticated = 60
	rateWindow               = time.Hour
	maxBodyBytes             = 1 << 20
)

// call is one authenticated REST request. Handlers run with f.mu held, so
// they read and change the model freely and must not call exported
// methods of the fake.
type call struct {
	f     *Fake
	w     http.ResponseWriter
	r     *http.Request
	login string       // the token's user
	tok   *accessToken // the token
	rd    render
	// bucket is the token's rate-limit window: a 304 gives its request
	// back, as GitHub does for conditional requests.
	bucket *rateBucket
}

type rateBucket struct {
	reset time.Time
	used  int
}

// rest wraps a REST handler: counts the call, checks the token and the rate
// limit, sets GitHub's response headers and runs h under the lock.
func (f *Fake) rest(h func(*call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.counts.APICalls++
		now := f.now()

		hdr := w.Header()
		hdr.Set("X-GitHub-Media-Type", "github.v3; format=json")
		hdr.Set("X-GitHub-Request-Id", fmt.Sprintf("FAKE:%08X", f.counts.APICalls))

		login, tok, status, msg := f.authenticate(r, now)
		limit := rateLimitUnauthenticated
		if status == 0 {
			limit = rateLimitAuthenticated
		}
		b := f.buckets[login]
		if b == nil || !now.Before(b.reset) {
			b = &rateBucket{reset: now.Add(rateWindow)}
			f.buckets[login] = b
		}
		exhausted := b.used >= limit
		reset := b.reset
		if now.Before(f.rateLimited) {
			exhausted, reset = true, f.rateLimited
		}
		if !exhausted {
			b.used++
		}
		remaining := limit - b.used
		if exhausted {
			remaining = 0
		}
		hdr.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		hdr.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		hdr.Set("X-RateLimit-Used", strconv.Itoa(b.used))
		hdr.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		hdr.Set("X-RateLimit-Resource", "core")

		if status != 0 {
			writeJSON(w, status, apiError{Message: msg, DocumentationURL: docsREST, Status: strconv.Itoa(status)})
			return
		}
		if exhausted {
			writeJSON(w, http.StatusForbidden, apiError{
				Message:          fmt.Sprintf("API rate limit exceeded for user ID %d.", f.user(login).ID),
				DocumentationURL: docsRateLimit,
				Status:           "403",
			})
			return
		}
		if tok.scopes != nil {
			hdr.Set("X-OAuth-Scopes", strings.Join(tok.scopes, ", "))
		}
		if !tok.expires.IsZero() {
			hdr.Set("GitHub-Authentication-Token-Expiration", tok.expires.UTC().Format("2006-01-02 15:04:05 MST"))
		}
		h(&call{f: f, w: w, r: r, login: login, tok: tok, rd: f.renderer(r), bucket: b})
	})
}

// authenticate reads the Authorization header ("Bearer T" or "token T").
// It returns the user and token, or an HTTP status and GitHub's message.
// Tokens in the query string are ignored, as GitHub does since 2021.
func (f *Fake) authenticate(r *http.Request, now time.Time) (string, *accessToken, int, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", nil, http.StatusUnauthorized, "Requires authentication"
	}
	scheme, value, ok := strings.Cut(h, " ")
	value = strings.TrimSpace(value)
	if !ok || value == "" || !strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token") {
		return "", nil, http.StatusUnauthorized, "Bad credentials"
	}
	tok := f.tokens[value]
	if tok == nil || !tok.expires.IsZero() && !now.Before(tok.expires) || f.user(tok.login) == nil {
		return "", nil, http.StatusUnauthorized, "Bad credentials"
	}
	return f.user(tok.login).Login, tok, 0, ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// json writes a JSON answer. A 200 to a GET carries an ETag, and a GET
// whose If-None-Match names it gets 304 Not Modified without a body, which
// does not count against the rate limit (GitHub, "Use conditional requests
// if appropriate").
func (c *call) json(status int, v any) {
	if status != http.StatusOK || c.r.Method != http.MethodGet {
		writeJSON(c.w, status, v)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	sum := sha256.Sum256(buf.Bytes())
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	hdr := c.w.Header()
	hdr.Set("ETag", etag)
	hdr.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
	if c.r.Header.Get("If-None-Match") == etag {
		c.f.counts.NotModified++
		if c.bucket != nil && c.bucket.used > 0 {
			c.bucket.used--
			if limit, err := strconv.Atoi(hdr.Get("X-RateLimit-Limit")); err == nil {
				hdr.Set("X-RateLimit-Remaining", strconv.Itoa(limit-c.bucket.used))
				hdr.Set("X-RateLimit-Used", strconv.Itoa(c.bucket.used))
			}
		}
		c.w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(buf.Bytes())
}

func (c *call) notFound() {
	c.json(http.StatusNotFound, apiError{Message: "Not Found", DocumentationURL: docsREST, Status: "404"})
}

func (c *call) invalid(resource, field, code string) {
	c.json(http.StatusUnprocessableEntity, apiError{
		Message:          "Validation Failed",
		Errors:           []fieldError{{Resource: resource, Field: field, Code: code}},
		DocumentationURL: docsREST,
		Status:           "422",
	})
}

func (c *call) badRequest(msg string) {
	c.json(http.StatusBadRequest, apiError{Message: msg, DocumentationURL: docsREST, Status: "400"})
}

// decode reads a JSON request body into v; on failure it answers 400 as
// GitHub does ("Problems parsing JSON") and returns false.
func (c *call) decode(v any) bool {
	body := http.MaxBytesReader(c.w, c.r.Body, maxBodyBytes)
	if err := json.NewDecoder(body).Decode(v); err != nil {
		c.badRequest("Problems parsing JSON")
		return false
	}
	return true
}

// repo finds the repository named by the path, answering 404 when it does
// not exist or the caller may not see it.
func (c *call) repo() *repo {
	rp := c.f.repos[repoKey(c.r.PathValue("owner"), c.r.PathValue("repo"))]
	if rp == nil || !rp.visibleTo(c.login) {
		c.notFound()
		return nil
	}
	return rp
}

// issue finds the issue or pull request named by the path.
func (c *call) issue(rp *repo) *issue {
	n, err := strconv.Atoi(c.r.PathValue("number"))
	if err != nil || n < 1 || n > len(rp.issues) {
		c.notFound()
		return nil
	}
	return rp.issues[n-1]
}

// page reads page and per_page (defaults 1 and 30, per_page at most 100),
// slices n items and sets the Link header. It returns the bounds to keep.
func (c *call) page(n int) (lo, hi int) {
	q := c.r.URL.Query()
	page := atoiDefault(q.Get("page"), 1)
	per := min(atoiDefault(q.Get("per_page"), 30), 100)
	last := max((n+per-1)/per, 1)
	c.link(page, per, last)
	lo = min((page-1)*per, n)
	hi = min(lo+per, n)
	return lo, hi
}

func atoiDefault(s string, def int) int {
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		return def
	}
	return v
}

// link sets the RFC 8288 Link header GitHub uses for pagination.
func (c *call) link(page, per, last int) {
	rel := func(p int, name string) string {
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		u := url.URL{Path: c.r.URL.Path, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s%s>; rel=%q", c.rd.web, u.String(), name)
	}
	var links []string
	if page < last {
		links = append(links, rel(page+1, "next"), rel(last, "last"))
	}
	if page > 1 {
		links = append(links, rel(1, "first"), rel(min(page-1, last), "prev"))
	}
	if len(links) > 0 {
		c.w.Header().Set("Link", strings.Join(links, ", "))
	}
}
