package handlers

import (
	"bytes"
	"container/list"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/internal/safehttp"
	"github.com/mcpgate/mcpgate/tokens"
)

// Client ID metadata documents (CIMD; draft-ietf-oauth-client-id-metadata-
// document, adopted by MCP 2025-11-25 as "Client ID Metadata Documents").
//
// A client may skip registration and use as its client_id an https URL with
// a path, behind which it publishes its metadata as JSON. Claude does so
// (https://claude.ai/oauth/mcp-oauth-client-metadata) whenever the
// authorization server metadata says client_id_metadata_document_supported,
// and so does Claude Code. clientResolver makes such a client look like a
// registered one to /authorize, /token and /revoke:
//
//   - A client_id that is an https URL with a path other than "/" is a
//     document URL; every other client_id is looked up in the store.
//   - The document is fetched through an SSRF-safe client (see
//     internal/safehttp: https only, public addresses checked at dial time,
//     no redirects, time and size limits, application/json only), then
//     validated: one JSON object whose client_id equals the URL exactly
//     (draft §4.1), with a client_name and redirect_uris that pass the
//     same rules as a registration. CIMD clients are public clients:
//     token_endpoint_auth_method must be absent or "none" (private_key_jwt
//     is not supported). Unknown fields and unsupported values (Claude
//     lists the jwt-bearer grant) are ignored (draft §4.1).
//   - Valid documents are cached by URL in a bounded LRU cache for the
//     document's Cache-Control max-age, clamped to [1m, 24h] (1h without
//     one). The cache lives in each process: replicas fetch independently,
//     which costs a fetch per replica and hour, not correctness.
//   - Claude's and Claude Code's documents are pinned (pinned/*.json): when
//     the live document cannot be fetched or is invalid (a Cloudflare
//     challenge from a datacenter address is common), the pinned copy is
//     used, with a warning in the log. Once Claude has chosen CIMD it does
//     not fall back to registration, so without the copy it could not
//     connect at all.
//   - A document that cannot be used is "no such client" (tokens.ErrNotFound,
//     so /token answers 401 invalid_client), and /authorize shows a page
//     that says why (metadataErrorPage), never a redirect.
//
// The consent page names a CIMD client as "<client_name> (metadata from
// <host of the document URL>)", so the person sees who vouches for the
// name, next to the host it redirects to.

//go:embed pinned/*.json
var pinnedFS embed.FS

const (
	// cimdCacheSize bounds the number of cached documents.
	cimdCacheSize = 1000
	// cimdMinTTL, cimdMaxTTL and cimdDefaultTTL bound how long a document
	// is cached: max-age clamped to [min, max]; default without one.
	cimdMinTTL     = time.Minute
	cimdMaxTTL     = 24 * time.Hour
	cimdDefaultTTL = time.Hour
	// cimdFetchTimeout bounds one fetch, leaving the request that waits for
	// it time for its store calls (storeTimeout).
	cimdFetchTimeout = 3 * time.Second
	// maxMetadataURLLen bounds a document URL.
	maxMetadataURLLen = 2000
	// authMethodPrivateKeyJWT is the one authentication method a CIMD
	// client might ask for besides none (RFC 7523 §2.2).
	authMethodPrivateKeyJWT = "private_key_jwt"
)

// MetadataFetcher fetches a client ID metadata document: it returns the
// body and headers of a 200 application/json answer, or an error.
// safehttp.Client.Get is the production implementation.
type MetadataFetcher func(ctx context.Context, url string) ([]byte, http.Header, error)

// clientResolver is the tokens.ClientStore of the authorization, token and
// revocation endpoints: document URLs are resolved through CIMD, every
// other client ID through Store. Creating, deleting and listing go to
// Store.
type clientResolver struct {
	Store tokens.ClientStore
	// Fetch fetches documents (safehttp in production).
	Fetch MetadataFetcher
	// Pinned are the known documents used when a fetch fails, by URL.
	Pinned map[string]tokens.Client
	Cache  *clientCache
	Logger *slog.Logger
	Now    func() time.Time

	mu sync.Mutex
	// inflight lets concurrent requests for one URL share one fetch.
	inflight map[string]*metadataFetch
}

// metadataFetch is one fetch in progress; done closes when client and err
// are set.
type metadataFetch struct {
	done   chan struct{}
	client tokens.Client
	err    error
}

// newClientResolver builds the resolver over store. A nil fetch means the
// SSRF-safe production fetcher.
func newClientResolver(store tokens.ClientStore, fetch MetadataFetcher, logger *slog.Logger, now func() time.Time) (*clientResolver, error) {
	pinned, err := loadPinned()
	if err != nil {
		return nil, err
	}
	if fetch == nil {
		fetch = safehttp.New(safehttp.Options{Timeout: cimdFetchTimeout}).Get
	}
	return &clientResolver{
		Store:    store,
		Fetch:    fetch,
		Pinned:   pinned,
		Cache:    newClientCache(cimdCacheSize),
		Logger:   logger,
		Now:      now,
		inflight: map[string]*metadataFetch{},
	}, nil
}

// CreateClient stores a registration.
func (r *clientResolver) CreateClient(ctx context.Context, c tokens.Client) error {
	return r.Store.CreateClient(ctx, c)
}

// DeleteClient deletes a registration.
func (r *clientResolver) DeleteClient(ctx context.Context, id string) error {
	return r.Store.DeleteClient(ctx, id)
}

// ListClients lists the registrations (CIMD clients are not registered).
func (r *clientResolver) ListClients(ctx context.Context) ([]tokens.Client, error) {
	return r.Store.ListClients(ctx)
}

// TouchClient records the use of a registration. A CIMD client is not
// stored, so there is nothing to record and no registration to prune.
func (r *clientResolver) TouchClient(ctx context.Context, id string, at time.Time) error {
	if isMetadataURL(id) {
		return nil
	}
	return r.Store.TouchClient(ctx, id, at)
}

// CountClients counts the registrations.
func (r *clientResolver) CountClients(ctx context.Context) (int, error) {
	return r.Store.CountClients(ctx)
}

// GetClient returns the client named by id: from its metadata document
// when id is a document URL, else from the store.
func (r *clientResolver) GetClient(ctx context.Context, id string) (tokens.Client, error) {
	if !isMetadataURL(id) {
		return r.Store.GetClient(ctx, id)
	}
	if err := checkMetadataURL(id); err != nil {
		r.Logger.LogAttrs(ctx, slog.LevelInfo, "client ID metadata document URL refused", slog.String("reason", err.Error()))
		return tokens.Client{}, &metadataError{URL: id, Reason: "its address " + err.Error()}
	}
	if c, ok := r.Cache.get(id, r.Now()); ok {
		return c, nil
	}
	return r.load(ctx, id)
}

// load fetches the document at docURL, sharing the fetch with concurrent
// callers for the same URL.
func (r *clientResolver) load(ctx context.Context, docURL string) (tokens.Client, error) {
	r.mu.Lock()
	call, running := r.inflight[docURL]
	if !running {
		call = &metadataFetch{done: make(chan struct{})}
		r.inflight[docURL] = call
	}
	r.mu.Unlock()
	if !running {
		call.client, call.err = r.resolve(ctx, docURL)
		r.mu.Lock()
		delete(r.inflight, docURL)
		r.mu.Unlock()
		close(call.done)
		return call.client, call.err
	}
	select {
	case <-call.done:
		return call.client, call.err
	case <-ctx.Done():
		return tokens.Client{}, ctx.Err()
	}
}

// resolve fetches and validates the document, caches the result, and
// falls back to a pinned copy when there is one.
func (r *clientResolver) resolve(ctx context.Context, docURL string) (tokens.Client, error) {
	// The fetch may serve other waiting requests: it ends on its own
	// timeout, not when this request does.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cimdFetchTimeout)
	defer cancel()
	log := r.Logger.With(slog.String("client_id", docURL))

	body, header, err := r.Fetch(fctx, docURL)
	var client tokens.Client
	var merr *metadataError
	if err != nil {
		merr = &metadataError{URL: docURL, Fetch: true, Reason: fetchFailure(err), Transient: transientFetchFailure(err)}
	} else if client, err = parseMetadataDocument(docURL, body); err != nil {
		merr = &metadataError{URL: docURL, Reason: err.Error()}
	}
	now := r.Now()
	if merr == nil {
		ttl := cacheTTL(header)
		r.Cache.put(docURL, client, now.Add(ttl))
		log.LogAttrs(ctx, slog.LevelInfo, "client ID metadata document fetched", slog.String("client_name", client.Name), slog.Duration("cache_ttl", ttl))
		return cloneClient(client), nil
	}
	if pinned, ok := r.Pinned[docURL]; ok {
		// Cached briefly, so that a host that keeps failing does not slow
		// every request down by a fetch.
		r.Cache.put(docURL, pinned, now.Add(cimdMinTTL))
		log.LogAttrs(ctx, slog.LevelWarn, "client ID metadata document unusable; using the pinned copy",
			slog.String("reason", merr.Reason), slog.String("error", errString(err)))
		return cloneClient(pinned), nil
	}
	log.LogAttrs(ctx, slog.LevelWarn, "client ID metadata document unusable",
		slog.String("reason", merr.Reason), slog.String("error", errString(err)))
	return tokens.Client{}, merr
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// metadataError says why a document URL does not name a usable client. It
// is a tokens.ErrNotFound, so every endpoint treats it as an unknown
// client, unless it is Transient; /authorize shows its page
// (metadataErrorPage).
type metadataError struct {
	URL string
	// Reason is shown to the person: our own words, never document content.
	Reason string
	// Fetch is true when the document could not be fetched (as opposed to
	// fetched and invalid).
	Fetch bool
	// Transient is true when the document's host did not answer (timeout,
	// unreachable). Such an error is not a tokens.ErrNotFound: the token
	// endpoint answers 503, which clients retry, instead of 401
	// invalid_client, which makes them discard their tokens.
	Transient bool
}

func (e *metadataError) Error() string {
	return "client ID metadata document: " + e.Reason
}

func (e *metadataError) Unwrap() error {
	if e.Transient {
		return nil
	}
	return tokens.ErrNotFound
}

// metadataErrorPage is the page for an authorization request whose client
// is a metadata document that cannot be used, or nil when err is not such
// an error.
func metadataErrorPage(err error, service string) *pageError {
	var me *metadataError
	if !errors.As(err, &me) {
		return nil
	}
	where := "on the web"
	if u, perr := url.Parse(me.URL); perr == nil && u.Host != "" {
		where = "at " + u.Host
	}
	if me.Fetch {
		return &pageError{
			Status: http.StatusBadGateway,
			Title:  "Application details unavailable",
			Message: "This application identifies itself with a metadata document published " + where +
				". The metadata document could not be fetched (" + me.Reason + "), so " + service +
				" cannot check where the application may send you back. You were not redirected.",
			Hint: "Try again in a minute. If it keeps failing, tell the operator of " + service + ".",
		}
	}
	return &pageError{
		Status: http.StatusBadRequest,
		Title:  "Invalid application details",
		Message: "This application identifies itself with a metadata document published " + where +
			", but " + service + " cannot use the document: " + me.Reason + ". You were not redirected.",
		Hint: "Contact the application's developer.",
	}
}

// fetchFailure describes a fetch error for the error page, without
// addresses or other details (those go to the log).
func fetchFailure(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, safehttp.ErrForbiddenAddress):
		return "its address is not on the public internet"
	case errors.Is(err, safehttp.ErrNotHTTPS):
		return "it is not an https address"
	case errors.Is(err, safehttp.ErrRedirect):
		return "the server answered with a redirect, which is not followed"
	case errors.Is(err, safehttp.ErrTooLarge):
		return "it is too large"
	case errors.Is(err, safehttp.ErrContentType):
		return "it is not served as application/json"
	case errors.Is(err, safehttp.ErrStatus):
		return "the server answered with an error status"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "the server did not answer in time"
	}
	return "the server could not be reached"
}

// transientFetchFailure reports whether a fetch failed because the host
// did not answer, or answered that it is down or overloaded (a timeout, a
// network error, 5xx, 429), rather than with something unusable.
func transientFetchFailure(err error) bool {
	if se, ok := errors.AsType[*safehttp.StatusError](err); ok {
		return se.Temporary()
	}
	for _, definite := range []error{safehttp.ErrForbiddenAddress, safehttp.ErrNotHTTPS, safehttp.ErrCredentials,
		safehttp.ErrRedirect, safehttp.ErrTooLarge, safehttp.ErrContentType, safehttp.ErrStatus} {
		if errors.Is(err, definite) {
			return false
		}
	}
	return true
}

// isMetadataURL reports whether a client_id names a metadata document: an
// https URL with a path other than "/" (MCP 2025-11-25, "Client ID
// Metadata Documents").
func isMetadataURL(id string) bool {
	if !strings.HasPrefix(id, "https://") {
		return false
	}
	u, err := url.Parse(id)
	return err == nil && u.Host != "" && u.Path != "" && u.Path != "/"
}

// checkMetadataURL applies the rest of the draft's rules for client
// identifier URLs (§3): no fragment, no user info, no dot segments, and
// (ours) bounded length and no spaces or control characters. The message
// completes "its address …".
func checkMetadataURL(id string) error {
	if len(id) > maxMetadataURLLen {
		return fmt.Errorf("is longer than %d characters", maxMetadataURLLen)
	}
	for _, c := range id {
		if c <= ' ' || c == 0x7f {
			return errors.New("contains spaces or control characters")
		}
	}
	u, err := url.Parse(id)
	switch {
	case err != nil || u.Hostname() == "":
		return errors.New("is not a valid https URL")
	case strings.Contains(id, "#"):
		return errors.New("must not contain a fragment")
	case u.User != nil:
		return errors.New("must not contain user information")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return errors.New("must not contain . or .. path segments")
		}
	}
	return nil
}

// metadataDocument is the part of a client ID metadata document we use.
// Every other member is ignored (draft §4.1). client_uri and logo_uri are
// cosmetic: a bad value is dropped rather than refused.
type metadataDocument struct {
	ClientID                string          `json:"client_id"`
	ClientName              string          `json:"client_name"`
	RedirectURIs            []string        `json:"redirect_uris"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	ClientURI               json.RawMessage `json:"client_uri"`
	LogoURI                 json.RawMessage `json:"logo_uri"`
}

// parseMetadataDocument validates the document fetched from docURL and
// returns the client it describes. Errors are our own words (they reach
// the error page) and never quote the document.
func parseMetadataDocument(docURL string, body []byte) (tokens.Client, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return tokens.Client{}, errors.New("it is not a JSON object")
	}
	var doc metadataDocument
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&doc); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return tokens.Client{}, fmt.Errorf("its %s has the wrong JSON type", typeErr.Field)
		}
		return tokens.Client{}, errors.New("it is not valid JSON")
	}
	if dec.More() {
		return tokens.Client{}, errors.New("it holds more than one JSON value")
	}
	if doc.ClientID != docURL {
		return tokens.Client{}, errors.New("its client_id does not equal the address it was fetched from")
	}
	name, oerr := cleanText("client_name", doc.ClientName, maxClientNameLen)
	if oerr != nil {
		return tokens.Client{}, errors.New(oerr.Description)
	}
	if name == "" {
		return tokens.Client{}, errors.New("it has no client_name")
	}
	if len(doc.RedirectURIs) == 0 {
		return tokens.Client{}, errors.New("it lists no redirect_uris")
	}
	if len(doc.RedirectURIs) > maxRedirectURIs {
		return tokens.Client{}, fmt.Errorf("it lists more than %d redirect_uris", maxRedirectURIs)
	}
	var uris []string
	for i, u := range doc.RedirectURIs {
		if err := validateRedirectURI(u); err != nil {
			return tokens.Client{}, fmt.Errorf("its redirect_uris[%d] %v", i, err)
		}
		if !slices.Contains(uris, u) {
			uris = append(uris, u)
		}
	}
	switch doc.TokenEndpointAuthMethod {
	case "", authMethodNone:
	case authMethodPrivateKeyJWT:
		return tokens.Client{}, errors.New("its token_endpoint_auth_method private_key_jwt is not supported; clients identified by a metadata document must be public clients (none) that use PKCE")
	default:
		return tokens.Client{}, errors.New("its token_endpoint_auth_method must be none; clients identified by a metadata document are public clients (none) that use PKCE")
	}
	u, err := url.Parse(docURL)
	if err != nil {
		return tokens.Client{}, errors.New("its address is not a valid https URL")
	}
	return tokens.Client{
		ID:                      docURL,
		Name:                    name + " (metadata from " + u.Host + ")",
		RedirectURIs:            uris,
		TokenEndpointAuthMethod: authMethodNone,
		GrantTypes:              []string{grantAuthorizationCode, grantRefreshToken},
		ResponseTypes:           []string{"code"},
		ClientURI:               optionalWebURL("client_uri", doc.ClientURI),
		LogoURI:                 optionalWebURL("logo_uri", doc.LogoURI),
	}, nil
}

// optionalWebURL returns raw when it is a JSON string holding an absolute
// http(s) URL, and "" otherwise.
func optionalWebURL(field string, raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	if v, oerr := webURL(field, s); oerr == nil {
		return v
	}
	return ""
}

// cacheTTL is how long a document may be cached: its Cache-Control
// max-age clamped to [cimdMinTTL, cimdMaxTTL]; no-store, no-cache and
// max-age=0 get the minimum (a document is needed twice within one
// authorization: at /authorize and at /token); cimdDefaultTTL without
// any of these.
func cacheTTL(h http.Header) time.Duration {
	ttl := cimdDefaultTTL
	for _, directive := range strings.Split(strings.Join(h.Values("Cache-Control"), ","), ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "no-store", "no-cache":
			return cimdMinTTL
		case "max-age":
			secs, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(value), `"`), 10, 64)
			if err != nil || secs < 0 {
				continue
			}
			if secs > int64(cimdMaxTTL/time.Second) {
				secs = int64(cimdMaxTTL / time.Second)
			}
			ttl = time.Duration(secs) * time.Second
		}
	}
	return min(max(ttl, cimdMinTTL), cimdMaxTTL)
}

// loadPinned parses the embedded pinned documents with the same rules as
// fetched ones.
func loadPinned() (map[string]tokens.Client, error) {
	names, err := fs.Glob(pinnedFS, "pinned/*.json")
	if err != nil {
		return nil, fmt.Errorf("handlers: pinned metadata documents: %w", err)
	}
	out := make(map[string]tokens.Client, len(names))
	for _, name := range names {
		body, err := pinnedFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("handlers: pinned metadata document %s: %w", name, err)
		}
		var head struct {
			ClientID string `json:"client_id"`
		}
		if err := json.Unmarshal(body, &head); err != nil || !isMetadataURL(head.ClientID) {
			return nil, fmt.Errorf("handlers: pinned metadata document %s has no client_id URL", name)
		}
		client, err := parseMetadataDocument(head.ClientID, body)
		if err != nil {
			return nil, fmt.Errorf("handlers: pinned metadata document %s: %w", name, err)
		}
		out[head.ClientID] = client
	}
	return out, nil
}

// clientCache is a bounded LRU cache of resolved clients with per-entry
// expiry.
type clientCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *cacheEntry, most recently used first
	entries map[string]*list.Element
}

type cacheEntry struct {
	key     string
	client  tokens.Client
	expires time.Time
}

func newClientCache(max int) *clientCache {
	return &clientCache{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns a live entry and marks it used; an expired one is dropped.
func (c *clientCache) get(key string, now time.Time) (tokens.Client, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return tokens.Client{}, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return tokens.Client{}, false
	}
	c.order.MoveToFront(el)
	return cloneClient(e.client), true
}

// put stores an entry, evicting the least recently used beyond max.
func (c *clientCache) put(key string, client tokens.Client, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	entry := &cacheEntry{key: key, client: cloneClient(client), expires: expires}
	if el, ok := c.entries[key]; ok {
		el.Value = entry
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(entry)
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
	}
}

// len is the number of entries (live or not yet noticed as expired).
func (c *clientCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// cloneClient copies c's slices, so that callers cannot change a cached
// entry.
func cloneClient(c tokens.Client) tokens.Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.ResponseTypes = slices.Clone(c.ResponseTypes)
	return c
}
