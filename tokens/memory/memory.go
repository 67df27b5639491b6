package memory

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

var _ tokens.Store = (*Store)(nil)

// Store is an in-memory tokens.Store for one process. The zero value is not
// usable; call New.
type Store struct {
	now func() time.Time

	mu      sync.Mutex
	clients map[string]tokens.Client
	pending map[string]pendingEntry
	grants  map[string]*grantEntry
	// byUser and byClient index grants by user and client ID (index.go).
	byUser   grantIndex
	byClient grantIndex
	locks    map[string]lockEntry
	// unlocked is closed and replaced whenever a lock is released, waking
	// every waiting Lock call.
	unlocked chan struct{}
	// lockSeq numbers lock holders, so unlock releases only its own hold.
	lockSeq uint64
	// lastSweep is when expired records were last removed.
	lastSweep time.Time
	// rates are the rate limiter's counters (ratelimit.go).
	rates rateTable
	// bucket is how often the use of a sliding access token is recorded
	// (SetSlidingBucket; default tokens.DefaultSlidingBucket).
	bucket time.Duration
	// etags are the conditional cache's entries (etag.go).
	etags etagTable
}

type pendingEntry struct {
	p         tokens.Pending
	expiresAt time.Time
}

type grantEntry struct {
	grant   tokens.Grant
	codes   map[string]codeEntry
	access  map[string]tokens.AccessToken
	refresh map[string]tokens.RefreshToken
	// graces holds the grace responses of rotated refresh tokens, by the
	// old token's hash, until their window ends or the successor rotates.
	graces map[string]graceEntry
	// seen is what is recorded of access tokens beside their records, by
	// their hash: a sliding token's last use, a retired token's end
	// (access.go).
	seen map[string]tokens.Seen
}

type graceEntry struct {
	response []byte
	until    time.Time
}

type codeEntry struct {
	code     tokens.AuthCode
	consumed bool
}

type lockEntry struct {
	holder    uint64
	expiresAt time.Time
}

// sweepEvery is how often (by the store's clock) expired records are
// removed; between sweeps every read still checks expiry itself.
const sweepEvery = time.Minute

// New returns an empty store whose expiry decisions use now (time.Now when
// nil).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{
		now:      now,
		clients:  make(map[string]tokens.Client),
		pending:  make(map[string]pendingEntry),
		grants:   make(map[string]*grantEntry),
		byUser:   make(grantIndex),
		byClient: make(grantIndex),
		locks:    make(map[string]lockEntry),
		unlocked: make(chan struct{}),
		bucket:   tokens.DefaultSlidingBucket,
	}
}

// expired reports whether a record lapsing at t is gone at now.
func expired(t, now time.Time) bool { return !now.Before(t) }

// lockedNow takes the lock and returns the current time, sweeping expired
// records now and then. The caller must unlock s.mu.
func (s *Store) lockedNow() time.Time {
	s.mu.Lock()
	now := s.now()
	if now.Sub(s.lastSweep) >= sweepEvery || now.Before(s.lastSweep) {
		s.sweep(now)
		s.lastSweep = now
	}
	return now
}

func (s *Store) sweep(now time.Time) {
	for k, p := range s.pending {
		if expired(p.expiresAt, now) {
			delete(s.pending, k)
		}
	}
	for id, g := range s.grants {
		if expired(g.grant.ExpiresAt, now) {
			s.dropGrant(id)
			continue
		}
		for h, c := range g.codes {
			if expired(c.code.ExpiresAt, now) {
				delete(g.codes, h)
			}
		}
		for h, a := range g.access {
			if !a.LiveAt(g.seen[h], now) { // lapsed, or a sliding token left idle
				delete(g.access, h)
				delete(g.seen, h)
			}
		}
		for h, r := range g.refresh {
			if expired(r.ExpiresAt, now) {
				delete(g.refresh, h)
			}
		}
		for h, e := range g.graces {
			if expired(e.until, now) {
				delete(g.graces, h)
			}
		}
	}
	for k, l := range s.locks {
		if expired(l.expiresAt, now) {
			delete(s.locks, k)
		}
	}
}

// liveGrant returns the grant entry if it exists and has not lapsed.
func (s *Store) liveGrant(id string, now time.Time) *grantEntry {
	g := s.grants[id]
	if g == nil {
		return nil
	}
	if expired(g.grant.ExpiresAt, now) {
		s.dropGrant(id)
		return nil
	}
	return g
}

// Ping always succeeds: the store is in this process.
func (s *Store) Ping(context.Context) error { return nil }

// Close does nothing; the data goes when the process does.
func (s *Store) Close() error { return nil }

// CreateClient stores a registration; ErrAlreadyExists if the ID is taken.
func (s *Store) CreateClient(_ context.Context, c tokens.Client) error {
	s.lockedNow()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return tokens.ErrAlreadyExists
	}
	s.clients[c.ID] = cloneClient(c)
	return nil
}

// GetClient returns a registration or ErrNotFound.
func (s *Store) GetClient(_ context.Context, id string) (tokens.Client, error) {
	s.lockedNow()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return tokens.Client{}, tokens.ErrNotFound
	}
	return cloneClient(c), nil
}

// DeleteClient removes a registration; ErrNotFound if there is none.
func (s *Store) DeleteClient(_ context.Context, id string) error {
	s.lockedNow()
	defer s.mu.Unlock()
	if _, ok := s.clients[id]; !ok {
		return tokens.ErrNotFound
	}
	delete(s.clients, id)
	return nil
}

// ListClients returns every registration, oldest first.
func (s *Store) ListClients(context.Context) ([]tokens.Client, error) {
	s.lockedNow()
	defer s.mu.Unlock()
	out := make([]tokens.Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, cloneClient(c))
	}
	slices.SortFunc(out, func(a, b tokens.Client) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// PutPending stores an approved request for ttl.
func (s *Store) PutPending(_ context.Context, stateHash string, p tokens.Pending, ttl time.Duration) error {
	now := s.lockedNow()
	defer s.mu.Unlock()
	if e, ok := s.pending[stateHash]; ok && !expired(e.expiresAt, now) {
		return tokens.ErrAlreadyExists
	}
	s.pending[stateHash] = pendingEntry{p: clonePending(p), expiresAt: now.Add(ttl)}
	return nil
}

// TakePending returns and deletes a pending request.
func (s *Store) TakePending(_ context.Context, stateHash string) (tokens.Pending, error) {
	now := s.lockedNow()
	defer s.mu.Unlock()
	e, ok := s.pending[stateHash]
	if !ok {
		return tokens.Pending{}, tokens.ErrNotFound
	}
	delete(s.pending, stateHash)
	if expired(e.expiresAt, now) {
		return tokens.Pending{}, tokens.ErrNotFound
	}
	return e.p, nil
}

// CreateGrant stores a new grant; ErrAlreadyExists if its ID is live.
func (s *Store) CreateGrant(_ context.Context, g tokens.Grant) error {
	now := s.lockedNow()
	defer s.mu.Unlock()
	if s.liveGrant(g.ID, now) != nil {
		return tokens.ErrAlreadyExists
	}
	s.putGrant(&grantEntry{
		grant:   cloneGrant(g),
		codes:   make(map[string]codeEntry),
		access:  make(map[string]tokens.AccessToken),
		refresh: make(map[string]tokens.RefreshToken),
		graces:  make(map[string]graceEntry),
		seen:    make(map[string]tokens.Seen),
	})
	return nil
}

// GetGrant returns a live grant or ErrNotFound.
func (s *Store) GetGrant(_ context.Context, id string) (tokens.Grant, error) {
	now := s.lockedNow()
	defer s.mu.Unlock()
	g := s.liveGrant(id, now)
	if g == nil {
		return tokens.Grant{}, tokens.ErrNotFound
	}
	return cloneGrant(g.grant), nil
}

// SetUpstream replaces the grant's sealed upstream token.
func (s *Store) SetUpstream(_ context.Context, grantID string, sealed []byte) error {
	now := s.lockedNow()
	defer s.mu.Unlock()
	g := s.liveGrant(grantID, now)
	if g == nil {
		return tokens.ErrNotFound
	}
	g.grant.Upstream = clone(sealed)
	return nil
}

// RevokeGrant deletes the grant with all its codes and tokens.
func (s *Store) RevokeGrant(_ context.Context, grantID string) error {
	s.lockedNow()
	defer s.mu.Unlock()
	s.dropGrant(grantID)
	return nil
}

// ListGrants returns live grants, oldest first, filtered by user and client
// when those are non-empty. With a filter it reads only the grants of that
// user (or client), through the index.
func (s *Store) ListGrants(_ context.Context, userID, clientID string) ([]tokens.Grant, error) {
	now := s.lockedNow()
	defer s.mu.Unlock()
	out := []tokens.Grant{}
	for _, id := range s.grantCandidates(userID, clientID) {
		g := s.liveGrant(id, now)
		if g == nil {
			continue
		}
		if (userID != "" && g.grant.UserID != userID) || (clientID != "" && g.grant.ClientID != clientID) {
			continue
		}
		out = append(out, cloneGrant(g.grant))
	}
	slices.SortFunc(out, func(a, b tokens.Grant) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// PutCode stores an authorization code of a live grant.
func (s *Store) PutCode(_ context.Context, codeHash string, c tokens.AuthCode) error {
	now := s.lockedNow()
	defer s.mu.Unlock()
	g := s.liveGrant(c.GrantID, now)
	if g == nil {
		return tokens.ErrNotFound
	}
	if e, ok := g.codes[codeHash]; ok && !expired(e.code.ExpiresAt, now) {
		return tokens.ErrAlreadyExists
	}
	g.codes[codeHash] = codeEntry{code: cloneCode(c)}
	return nil
}

// ConsumeCode takes a code once, leaving a tombstone until it expires.
func (s *Store) ConsumeCode(_ context.Context, grantID, codeHash string) (tokens.AuthCode, error) {
	now := s.lockedNow()
	defer s.mu.Unlock()
	g := s.liveGrant(grantID, now)
	if g == nil {
		return tokens.AuthCode{}, tokens.ErrNotFound
	}
	e, ok := g.codes[codeHash]
	if !ok || expired(e.code.ExpiresAt, now) {
		delete(g.codes, codeHash)
		return tokens.AuthCode{}, tokens.ErrNotFound
	}
	if e.consumed {
		return cloneCode(e.code), tokens.ErrCodeReused
	}
	e.consumed = true
	g.codes[codeHash] = e
	return cloneCode(e.code), nil
}
