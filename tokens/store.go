package tokens

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Stores return exactly these (possibly wrapped) for the
// conditions they name; any other error means the store itself failed
// (network, Redis down) and handlers answer 503.
var (
	// ErrNotFound: no such record, or it expired.
	ErrNotFound = errors.New("tokens: not found")
	// ErrAlreadyExists: a create collided with an existing record.
	ErrAlreadyExists = errors.New("tokens: already exists")
	// ErrCodeReused: the authorization code was already consumed once.
	// ConsumeCode returns it together with the code (whose GrantID names the
	// grant the first use issued, so the caller can revoke it).
	ErrCodeReused = errors.New("tokens: authorization code reused")
	// ErrRotated: the refresh token was already rotated. GetRefresh returns
	// it, and ReadRefresh reports it (RefreshRead.Err), together with the
	// record, whose RotatedAt and GraceResponse let the caller serve an
	// idempotent retry or detect reuse; RotateRefresh returns it when it
	// lost a race.
	ErrRotated = errors.New("tokens: refresh token already rotated")
	// ErrLocked: Lock could not obtain the lock before its context ended.
	ErrLocked = errors.New("tokens: lock not obtained")
)

// Client is a registered OAuth client (RFC 7591). Registrations are durable:
// they never expire with their tokens.
type Client struct {
	ID string `json:"id"`
	// SecretHash is the keyed hash of the client secret (see Hasher); empty
	// for public clients (token_endpoint_auth_method "none").
	SecretHash              string    `json:"secret_hash,omitempty"`
	Name                    string    `json:"name,omitempty"`
	RedirectURIs            []string  `json:"redirect_uris"`
	TokenEndpointAuthMethod string    `json:"token_endpoint_auth_method"`
	GrantTypes              []string  `json:"grant_types,omitempty"`
	ResponseTypes           []string  `json:"response_types,omitempty"`
	Scope                   string    `json:"scope,omitempty"`
	ClientURI               string    `json:"client_uri,omitempty"`
	LogoURI                 string    `json:"logo_uri,omitempty"`
	SoftwareID              string    `json:"software_id,omitempty"`
	SoftwareVersion         string    `json:"software_version,omitempty"`
	CreatedAt               time.Time `json:"created_at"`
	// LastUsedAt is when the client last exchanged an authorization code
	// (TouchClient); zero for a client that never completed an
	// authorization. PruneUnusedClients removes old clients that never did.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// Pending is an authorization request that the user approved on the consent
// page and that now waits for the upstream identity provider's callback. It is
// keyed by the hash of the upstream state parameter, is single use and
// expires (about ten minutes).
type Pending struct {
	ClientID      string   `json:"client_id"`
	RedirectURI   string   `json:"redirect_uri"`
	CodeChallenge string   `json:"code_challenge"`
	Resource      string   `json:"resource"`
	Scopes        []string `json:"scopes"`
	ClientState   string   `json:"client_state,omitempty"`
	// RedirectURISent records that the authorization request carried
	// redirect_uri (it may be left out when one URI is registered); the
	// token request must then repeat it (RFC 6749 §4.1.3).
	RedirectURISent bool   `json:"redirect_uri_sent,omitempty"`
	Provider        string `json:"provider"`
	// UpstreamVerifier is the PKCE verifier of the upstream leg.
	UpstreamVerifier string `json:"upstream_verifier"`
	// Nonce is the OIDC nonce of the upstream leg, when the provider uses one.
	Nonce string `json:"nonce,omitempty"`
	// Browser is the hash of the random value held in the browser's state
	// cookie; the callback must present the same cookie.
	Browser   string    `json:"browser"`
	CreatedAt time.Time `json:"created_at"`
	// Purpose says what the sign-in is for. Empty: an MCP client's
	// authorization, for which the callback creates a grant and mints a
	// code for ClientID. "connections": a person signing in to the
	// connected-apps page; the client fields are empty and the callback
	// starts a browser session instead, creating no grant and no code.
	Purpose string `json:"purpose,omitempty"`
}

// The msgpack names of the grant, code and token records are their field
// names in storage format v3 (records.go): short, since every record
// repeats them. A field added without one is stored under its json name.
// The grant ID is not stored ("-"): it is in the record's name, which the
// MAC binds, and the store sets it from there; nor are an access token's
// client and user IDs, which are its grant's, read with it.

// Grant is one user's authorization of one client: the unit that tokens
// belong to and that revocation removes. Upstream holds the user's upstream
// token sealed with the grant's data key; the data key itself is stored only
// wrapped, inside the code and token records, under keys derived from the
// client's tokens (see Keyring).
type Grant struct {
	ID       string `json:"id" msgpack:"-"`
	ClientID string `json:"client_id" msgpack:"c"`
	// UserID is Provider + ":" + Subject, the stable user identifier.
	UserID   string `json:"user_id" msgpack:"u"`
	Provider string `json:"provider" msgpack:"p"`
	Subject  string `json:"subject" msgpack:"s"`
	Login    string `json:"login,omitempty" msgpack:"l"`
	Email    string `json:"email,omitempty" msgpack:"e"`
	// EmailVerified says the provider verified Email at login; only a
	// verified address satisfies an allowlist, at refresh as at login.
	EmailVerified bool `json:"email_verified,omitempty" msgpack:"ev"`
	// HostedDomain is Google's "hd" claim at login (the Google Workspace
	// domain), for allowlists re-checked at refresh.
	HostedDomain string `json:"hosted_domain,omitempty" msgpack:"hd"`
	// ToolGroup is the tool group decided at sign-in (YAML tools.groups;
	// handlers' allowlist), empty for the deployment's default tools. The
	// MCP server serves the group's tools; a refresh that finds the
	// person in another group revokes the grant.
	ToolGroup string   `json:"tool_group,omitempty" msgpack:"tg"`
	Name      string   `json:"name,omitempty" msgpack:"n"`
	Scopes    []string `json:"scopes" msgpack:"sc"`
	Resource  string   `json:"resource" msgpack:"r"`
	// Upstream is the sealed upstream token (opaque to the store).
	Upstream  []byte    `json:"upstream" msgpack:"up"`
	CreatedAt time.Time `json:"created_at" msgpack:"ca"`
	// ExpiresAt is when the grant (and every token of it) lapses unless a
	// refresh extends it.
	ExpiresAt time.Time `json:"expires_at" msgpack:"x"`
	// LastUsedAt is updated at most once per refresh; informational.
	LastUsedAt time.Time `json:"last_used_at,omitzero" msgpack:"lu"`
	// RefreshGen is the generation of the grant's active refresh token
	// (generation.go), set by the stores from the pair they store; zero
	// before the first pair, and for pairs minted before generations.
	RefreshGen uint32 `json:"refresh_gen,omitempty" msgpack:"rg"`
}

// AuthCode is an authorization code record (OAuth 2.1 §4.1.2): single use,
// short-lived, bound to client, redirect URI, PKCE challenge, resource and
// scopes.
type AuthCode struct {
	GrantID       string    `json:"grant_id" msgpack:"-"`
	ClientID      string    `json:"client_id" msgpack:"c"`
	RedirectURI   string    `json:"redirect_uri" msgpack:"ru"`
	CodeChallenge string    `json:"code_challenge" msgpack:"cc"`
	Resource      string    `json:"resource" msgpack:"r"`
	Scopes        []string  `json:"scopes" msgpack:"sc"`
	WrappedKey    []byte    `json:"wrapped_key" msgpack:"k"`
	ExpiresAt     time.Time `json:"expires_at" msgpack:"x"`
	// RedirectURISent: see Pending.RedirectURISent.
	RedirectURISent bool `json:"redirect_uri_sent,omitempty" msgpack:"rs"`
}

// AccessToken is an access token record.
type AccessToken struct {
	GrantID    string   `json:"grant_id" msgpack:"-"`
	ClientID   string   `json:"client_id" msgpack:"-"`
	UserID     string   `json:"user_id" msgpack:"-"`
	Scopes     []string `json:"scopes" msgpack:"sc"`
	Resource   string   `json:"resource" msgpack:"r"`
	WrappedKey []byte   `json:"wrapped_key" msgpack:"k"`
	// ExpiresAt is the token's absolute end (never after its grant's
	// expiry at issue).
	ExpiresAt time.Time `json:"expires_at" msgpack:"x"`
	// IdleTimeout, when positive, makes the token sliding (Policy): it
	// also dies IdleTimeout after its last use, which the store records
	// apart from this MACed record (see LiveAt and TokenStore.UseAccess).
	IdleTimeout time.Duration `json:"idle,omitempty" msgpack:"i"`
}

// AccessUse is what TokenStore.UseAccess read and did.
type AccessUse struct {
	Access AccessToken
	Grant  Grant
	// Extended reports that this use moved a sliding token's recorded
	// last use forward (at most once per bucket): the caller re-checks
	// the allowlist then.
	Extended bool
}

// RefreshToken is a refresh token record. At rotation the record shrinks to
// a tombstone (Tombstone) that keeps only GrantID, ClientID, Generation,
// RotatedAt and its own end: its WrappedKey, Scopes and Resource are
// dropped, so an old refresh token opens nothing even with a copy of the
// store and the server secret. The response of the rotation
// (GraceResponse, sealed under a key derived from this very refresh token)
// is kept apart for the grace window only, and only until the successor is
// itself rotated, for a retry of a lost response.
type RefreshToken struct {
	GrantID    string    `json:"grant_id" msgpack:"-"`
	ClientID   string    `json:"client_id" msgpack:"c"`
	Scopes     []string  `json:"scopes,omitempty" msgpack:"sc"`
	Resource   string    `json:"resource,omitempty" msgpack:"r"`
	WrappedKey []byte    `json:"wrapped_key,omitempty" msgpack:"k"`
	ExpiresAt  time.Time `json:"expires_at" msgpack:"x"`
	// RotatedAt is zero while the token is the grant's active refresh token.
	RotatedAt time.Time `json:"rotated_at,omitzero" msgpack:"ra"`
	// GraceResponse is returned by GetRefresh for a rotated token while
	// its grace window lasts and its successor has not been used; stores
	// keep it apart from the tombstone (json "grace_response" only in
	// records of format v1).
	GraceResponse []byte `json:"grace_response,omitempty" msgpack:"gr"`
	// Predecessor is the hash of the refresh token this one replaced (set
	// by RotateRefresh): rotating this token withdraws the predecessor's
	// grace response, so an old token can no longer fetch a pair whose
	// refresh token was already used.
	Predecessor string `json:"predecessor,omitempty" msgpack:"pr"`
	// Generation is the token's place in its grant's chain (generation.go);
	// zero for a token minted before generations.
	Generation uint32 `json:"gen,omitempty" msgpack:"g"`
}

// Tombstone is what a rotated refresh token record keeps: enough to detect
// reuse (RFC 9700 §4.14) and to answer a retry within the grace window,
// and nothing that opens the grant. A token with a generation is
// recognised as rotated from its generation once its tombstone is gone
// (generation.go), so its tombstone ends with the grace window; one
// without keeps it until the token's own expiry.
func (r RefreshToken) Tombstone(rot Rotation) RefreshToken {
	end := r.ExpiresAt
	if r.Generation > 0 {
		end = minTime(end, rot.GraceUntil().Add(tombstoneMargin))
	}
	return RefreshToken{GrantID: r.GrantID, ClientID: r.ClientID, ExpiresAt: end, RotatedAt: rot.At, Generation: r.Generation}
}

// tombstoneMargin keeps a generational tombstone a little past its grace
// window (and alive at all when there is none), so that a concurrent
// rotation that lost the race still finds the token rotated.
const tombstoneMargin = time.Second

// Rotation describes a refresh token rotation: when it happened, the
// response that a retry with the old token gets during Grace after At (none
// when Grace is zero), and the access token issued with the old token.
type Rotation struct {
	At            time.Time
	Grace         time.Duration
	GraceResponse []byte
	// Retire are the hashes the access token issued with the old refresh
	// token may be stored under (Keyring.PairedAccessHashes: it is derived
	// from the refresh token, so nothing records it). Rotating retires it:
	// it dies when the grace window ends, used or not (Seen.Retired), so
	// that a refresh does not leave a token alive beside its successor
	// (for a sliding one, up to the grant's lifetime). Stores retire
	// those that exist.
	Retire []string
}

// GraceUntil is when the grace response lapses.
func (r Rotation) GraceUntil() time.Time { return r.At.Add(r.Grace) }

// Issue is a fresh access and refresh token pair for a grant, each keyed by
// the keyed hash of the token string.
type Issue struct {
	AccessHash  string
	Access      AccessToken
	RefreshHash string
	Refresh     RefreshToken
	// GrantExpiresAt becomes the grant's new ExpiresAt (and TTL).
	GrantExpiresAt time.Time
}

// ClientStore keeps registrations (RFC 7591).
type ClientStore interface {
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, id string) (Client, error)
	// DeleteClient removes the registration. It does not revoke grants; the
	// caller does (RevokeGrant for each of ListGrants).
	DeleteClient(ctx context.Context, id string) error
	ListClients(ctx context.Context) ([]Client, error)
	// ScanClients returns a batch of about count registrations starting at
	// cursor ("" for the first batch) and the cursor of the next batch
	// ("" when the scan is complete), so that a caller can walk every
	// registration without holding them all. A client may appear twice in
	// one scan; one created or deleted during the scan may or may not.
	ScanClients(ctx context.Context, cursor string, count int) (clients []Client, next string, err error)
	// TouchClient records that the client was used at at: LastUsedAt
	// becomes at unless it is already later. ErrNotFound if there is no
	// such client.
	TouchClient(ctx context.Context, id string, at time.Time) error
	// CountClients returns the number of registrations (cheap: it does not
	// read them).
	CountClients(ctx context.Context) (int, error)
	// SetClientSecretHash replaces the client's SecretHash by newHash if it
	// is still oldHash (compare-and-set; if another request re-hashed it
	// first, nothing changes and the answer is nil). The token endpoint
	// re-hashes a secret that matched only under a previous server secret,
	// so that dropping that secret later does not break the client.
	// ErrNotFound if there is no such client.
	SetClientSecretHash(ctx context.Context, id, oldHash, newHash string) error
}

// PendingStore keeps approved authorization requests between the redirect
// to the upstream identity provider and its callback.
type PendingStore interface {
	PutPending(ctx context.Context, stateHash string, p Pending, ttl time.Duration) error
	// TakePending atomically reads and deletes; a second call gets ErrNotFound.
	TakePending(ctx context.Context, stateHash string) (Pending, error)
}

// GrantStore keeps grants and their tokens. Every record of one grant is
// keyed under that grant's ID (a Redis hash tag), so RevokeGrant removes the
// grant and all its codes and tokens at once, and no token of a revoked grant
// can be read again.
type GrantStore interface {
	// CreateGrant stores a new grant; it lapses at g.ExpiresAt.
	CreateGrant(ctx context.Context, g Grant) error
	GetGrant(ctx context.Context, id string) (Grant, error)
	// SetUpstream replaces the grant's sealed upstream token (after an
	// upstream refresh). ErrNotFound if the grant is gone.
	SetUpstream(ctx context.Context, grantID string, sealed []byte) error
	// RevokeGrant deletes the grant and every code and token of it: at
	// once, so that none can be read again (a store may leave access
	// tokens, and what lives only for a rotation's grace window, to lapse
	// by themselves, as the Redis store does, since no token is read
	// without its grant). Revoking a grant that does not exist is not an
	// error.
	RevokeGrant(ctx context.Context, grantID string) error
	// ListGrants lists live grants, filtered by user ID and/or client ID when
	// those are non-empty.
	ListGrants(ctx context.Context, userID, clientID string) ([]Grant, error)
}

// CodeStore keeps authorization codes.
type CodeStore interface {
	// PutCode stores a code of an existing grant until c.ExpiresAt.
	PutCode(ctx context.Context, codeHash string, c AuthCode) error
	// ConsumeCode atomically takes the code and leaves a tombstone until the
	// code's expiry: the first call returns the code; a later call returns
	// the code (at least its GrantID and ExpiresAt: the tombstone may keep
	// no more) with ErrCodeReused; an unknown code is ErrNotFound.
	ConsumeCode(ctx context.Context, grantID, codeHash string) (AuthCode, error)
}

// TokenStore keeps access and refresh tokens.
type TokenStore interface {
	// IssueTokens stores a first token pair for a grant (code exchange) and
	// extends the grant to is.GrantExpiresAt. ErrNotFound if the grant is gone.
	IssueTokens(ctx context.Context, grantID string, is Issue) error
	// GetAccess returns a live access token of a live grant: one round trip.
	GetAccess(ctx context.Context, grantID, accessHash string) (AccessToken, error)
	// GetAccessGrant is GetAccess that also returns the grant it read in
	// the same round trip, so that an MCP request needs no other read
	// (its tools get the grant on the Caller).
	GetAccessGrant(ctx context.Context, grantID, accessHash string) (AccessToken, Grant, error)
	// UseAccess is GetAccessGrant for a request that uses the token, in
	// one round trip too: a sliding token (IdleTimeout > 0) must be live by
	// its recorded last use (AccessToken.LiveAt), and the use is recorded
	// when the last record is older than the store's bucket
	// (DefaultSlidingBucket), so at most one write per token per bucket.
	// A dead sliding token is never revived. ErrNotFound if the token or
	// the grant is gone or lapsed.
	UseAccess(ctx context.Context, grantID, accessHash string) (AccessUse, error)
	// GetRefresh returns a refresh token record; for a rotated one it returns
	// the record together with ErrRotated.
	GetRefresh(ctx context.Context, grantID, refreshHash string) (RefreshToken, error)
	// ReadRefresh reads, in one round trip, everything a refresh grant
	// needs: the client clientID (none when clientID is "": a client that
	// is not in the store, such as a metadata-document client), the grant,
	// the refresh token refreshHash and, for a rotated token, its grace
	// response. What it did not find is reported in the RefreshRead, not
	// as an error: the error is the store's own failure only. The caller
	// authenticates the client before it uses anything else of the read.
	ReadRefresh(ctx context.Context, clientID, grantID, refreshHash string) (RefreshRead, error)
	// RotateRefresh atomically replaces the active refresh token that read
	// found (read.Err nil) by its tombstone (rotated at rot.At), keeps
	// rot.GraceResponse for rot.Grace, withdraws the grace response of the
	// token's own predecessor, retires the access tokens of rot.Retire,
	// stores the new pair (whose refresh record
	// names the old hash as its Predecessor) and extends the grant, in one
	// round trip unless another writer changed the token or the grant
	// since read (compare-and-set). If the token was rotated meanwhile
	// (another replica won), it changes nothing and returns ErrRotated.
	// ErrNotFound if the token or the grant is gone.
	RotateRefresh(ctx context.Context, read RefreshRead, rot Rotation, next Issue) error
}

// RefreshRead is what TokenStore.ReadRefresh found.
type RefreshRead struct {
	// Client is the client asked for; ClientErr is ErrNotFound when no
	// client was asked for or none is registered under that ID.
	Client    Client
	ClientErr error
	// GrantID and Hash name the grant and the refresh token read.
	GrantID, Hash string
	// Grant and Token are the live grant and the refresh token record.
	// Err is nil for an active token; ErrRotated for a rotated one (Token
	// is then its tombstone, with the grace response while it lasts);
	// ErrNotFound when the grant or the token is missing, lapsed or fails
	// its MAC (Token is then zero, and so is Grant unless the grant is
	// live: a token missing from a live grant may be an old generation of
	// it, generation.go).
	Grant Grant
	Token RefreshToken
	Err   error
	// CAS is the store's compare-and-set state of what it read, opaque to
	// callers; RotateRefresh applies only if it still holds.
	CAS any
}

// Locker provides short mutual exclusion across replicas (the upstream
// refresh of one grant runs once however many calls need it).
type Locker interface {
	// Lock blocks until it holds key or ctx ends (ErrLocked). The lock lapses
	// by itself after ttl if its holder dies. unlock releases it only if it
	// is still held by this caller.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, err error)
}

// Store is everything mcpgate keeps. Implementations: memory (one process)
// and redis (several replicas). Both pass the conformance suite in storetest.
type Store interface {
	ClientStore
	PendingStore
	GrantStore
	CodeStore
	TokenStore
	Locker
	// Ping reports whether the store can serve requests (readiness).
	Ping(ctx context.Context) error
	Close() error
}
