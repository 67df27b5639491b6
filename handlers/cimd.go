package handlers

import (
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
	// cimdNegativeTTL is how long a document that could not be fetched or
	// is invalid stays refused without a new fetch.
	cimdNegativeTTL = 30 * time.Second
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

// SetClientSecretHash re-hashes a registration's secret. A CIMD client
// has no secret (it is public).
func (r *clientResolver) SetClientSecretHash(ctx context.Context, id, oldHash, newHash string) error {
	if isMetadataURL(id) {
		return nil
	}
	return r.Store.SetClientSecretHash(ctx, id, oldHash, newHash)
}

// ScanClients walks the registrations (CIMD clients are not stored).
func (r *clientResolver) ScanClients(ctx context.Context, cursor string, count int) ([]tokens.Client, string, error) {
	return r.Store.ScanClients(ctx, cursor, count)
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
	if c, failure, ok := r.Cache.lookup(id, r.Now()); ok {
		if failure != nil {
			return tokens.Client{}, failure
		}
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
	r.Cache.putFailure(docURL, merr, now.Add(cimdNegativeTTL))
	log.LogAttrs(ctx, slog.LevelWarn, "client ID metadata document unusable",
		slog.String("reason", merr.Reason), slog.String("error", errString(err)), slog.Duration("retry_after", cimdNegativeTTL))
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
