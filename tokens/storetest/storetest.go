package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/tokens"
)

// NewStoreFunc returns a fresh, empty store whose clock is the returned
// Clock. It registers its own cleanup with t.
type NewStoreFunc func(t *testing.T) (tokens.Store, *Clock)

// Run runs the conformance suite against the stores newStore makes. Every
// subtest gets its own store.
func Run(t *testing.T, newStore NewStoreFunc) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, *fixture)
	}{
		{"ClientCRUD", testClientCRUD},
		{"ClientsAreDurable", testClientsAreDurable},
		{"ListClientsSorted", testListClientsSorted},
		{"PendingSingleUse", testPendingSingleUse},
		{"PendingExpires", testPendingExpires},
		{"GrantRoundTrip", testGrantRoundTrip},
		{"GrantExpires", testGrantExpires},
		{"CodeSingleUse", testCodeSingleUse},
		{"CodeReuseReportsGrant", testCodeReuseReportsGrant},
		{"CodeExpires", testCodeExpires},
		{"CodeNeedsGrant", testCodeNeedsGrant},
		{"IssueAndGetAccess", testIssueAndGetAccess},
		{"AccessExpires", testAccessExpires},
		{"AccessRefusedAfterRevoke", testAccessRefusedAfterRevoke},
		{"AccessRefusedAfterGrantExpires", testAccessRefusedAfterGrantExpires},
		{"RefreshRotation", testRefreshRotation},
		{"RotatedRefreshLapses", testRotatedRefreshLapses},
		{"RotatedRefreshKeepsOnlyATombstone", testRotatedRefreshKeepsOnlyATombstone},
		{"TombstoneOfAGenerationEndsWithGrace", testTombstoneOfAGenerationEndsWithGrace},
		{"RotationRetiresTheAccessToken", testRotationRetiresTheAccessToken},
		{"GraceLastsOnlyItsWindow", testGraceLastsOnlyItsWindow},
		{"ZeroGraceKeepsNoResponse", testZeroGraceKeepsNoResponse},
		{"GraceEndsWhenSuccessorRotates", testGraceEndsWhenSuccessorRotates},
		{"RotateRaceOnlyOneWins", testRotateRaceOnlyOneWins},
		{"ReadRefresh", testReadRefresh},
		{"RotateAfterGrantChanged", testRotateAfterGrantChanged},
		{"RotateOfAStaleRead", testRotateOfAStaleRead},
		{"SetUpstream", testSetUpstream},
		{"ListGrantsFilters", testListGrantsFilters},
		{"ListGrantsByUserAndClientIndexes", testListGrantsByUserAndClientIndexes},
		{"LockExclusive", testLockExclusive},
		{"LockLapses", testLockLapses},
		{"LockKeysIndependent", testLockKeysIndependent},
		{"NotFoundIsSentinel", testNotFoundIsSentinel},
		{"ReturnedValuesAreCopies", testReturnedValuesAreCopies},
		{"Ping", testPing},
		{"TouchClient", testTouchClient},
		{"SetClientSecretHash", testSetClientSecretHash},
		{"CountClients", testCountClients},
		{"PruneUnusedClients", testPruneUnusedClients},
		{"ScanClients", testScanClients},
		{"PruneInBatches", testPruneInBatches},
		{"RateLimitExact", testRateLimitExact},
		{"RateLimitSlides", testRateLimitSlides},
		{"RateLimitKeysIndependent", testRateLimitKeysIndependent},
		{"RateLimitConcurrent", testRateLimitConcurrent},
		{"RateLimitBadArguments", testRateLimitBadArguments},
		{"ETagRoundTrip", testETagRoundTrip},
		{"ETagLapses", testETagLapses},
		{"ETagBounded", testETagBounded},
		{"ETagBadArguments", testETagBadArguments},
	}
	tests = append(tests, slidingCases...) // sliding.go
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clock := newStore(t)
			kr, err := tokens.NewKeyring([]byte("storetest secret, 32 bytes or more!"))
			if err != nil {
				t.Fatalf("NewKeyring: %v", err)
			}
			tc.fn(t, &fixture{s: s, clock: clock, kr: kr, ctx: t.Context()})
		})
	}
}

// fixture holds one subtest's store and helpers that build records.
type fixture struct {
	s     tokens.Store
	clock *Clock
	kr    *tokens.Keyring
	ctx   context.Context
	gen   uint32 // the last refresh token generation issue gave
	// pairs maps the hash of each refresh token issue made to the hash of
	// its access token, which rotate retires as the token endpoint does.
	pairs map[string]string
}

func (f *fixture) now() time.Time { return f.clock.Now() }

// read is ReadRefresh, which must not fail.
func (f *fixture) read(t *testing.T, clientID, grantID, hash string) tokens.RefreshRead {
	t.Helper()
	read, err := f.s.ReadRefresh(f.ctx, clientID, grantID, hash)
	if err != nil {
		t.Fatalf("ReadRefresh: %v", err)
	}
	return read
}

// rotate rotates refresh token hash of grant grantID as the token
// endpoint does: ReadRefresh, then RotateRefresh of what it read (which
// returns what the read found if that is not an active token), retiring
// the access token issued with it unless rot names others.
func (f *fixture) rotate(grantID, hash string, rot tokens.Rotation, next tokens.Issue) error {
	if rot.Retire == nil && f.pairs[hash] != "" {
		rot.Retire = []string{f.pairs[hash]}
	}
	read, err := f.s.ReadRefresh(f.ctx, "", grantID, hash)
	if err != nil {
		return err
	}
	return f.s.RotateRefresh(f.ctx, read, rot, next)
}

// rot is a rotation now, with a one-minute grace window.
func (f *fixture) rot(grace []byte) tokens.Rotation {
	return tokens.Rotation{At: f.now(), Grace: time.Minute, GraceResponse: grace}
}

// grant creates and stores a grant for user and client, live for a day.
func (f *fixture) grant(t *testing.T, userID, clientID string) tokens.Grant {
	t.Helper()
	g := tokens.Grant{
		ID:        tokens.NewID(),
		ClientID:  clientID,
		UserID:    userID,
		Provider:  "github",
		Subject:   "12345",
		Login:     "octocat",
		Email:     "octocat@example.com",
		Name:      "The Octocat",
		Scopes:    []string{"repo", "read:org"},
		Resource:  "https://mcp.example.com/mcp",
		Upstream:  []byte("sealed upstream token"),
		CreatedAt: f.now(),
		ExpiresAt: f.now().Add(24 * time.Hour),
	}
	if err := f.s.CreateGrant(f.ctx, g); err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
	return g
}

// code mints, stores and returns an authorization code of g, with its hash.
func (f *fixture) code(t *testing.T, g tokens.Grant) (string, tokens.AuthCode) {
	t.Helper()
	hash := f.kr.Hash(tokens.Mint(tokens.KindCode, g.ID))
	c := tokens.AuthCode{
		GrantID:       g.ID,
		ClientID:      g.ClientID,
		RedirectURI:   "http://127.0.0.1:33418/callback",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		Resource:      g.Resource,
		Scopes:        []string{"repo"},
		WrappedKey:    []byte("wrapped data key (code)"),
		ExpiresAt:     f.now().Add(10 * time.Minute),
	}
	if err := f.s.PutCode(f.ctx, hash, c); err != nil {
		t.Fatalf("PutCode: %v", err)
	}
	return hash, c
}

// issue builds (but does not store) a fresh token pair for g: access for an
// hour, refresh for thirty days (of the next generation), and the grant
// extended to match.
func (f *fixture) issue(g tokens.Grant) tokens.Issue {
	now := f.now()
	accessHash := f.kr.Hash(tokens.Mint(tokens.KindAccess, g.ID))
	refreshHash := f.kr.Hash(tokens.Mint(tokens.KindRefresh, g.ID))
	if f.pairs == nil {
		f.pairs = map[string]string{}
	}
	f.pairs[refreshHash] = accessHash
	f.gen++
	return tokens.Issue{
		AccessHash: accessHash,
		Access: tokens.AccessToken{
			GrantID:    g.ID,
			ClientID:   g.ClientID,
			UserID:     g.UserID,
			Scopes:     []string{"repo"},
			Resource:   g.Resource,
			WrappedKey: []byte("wrapped data key (access)"),
			ExpiresAt:  now.Add(time.Hour),
		},
		RefreshHash: refreshHash,
		Refresh: tokens.RefreshToken{
			GrantID:    g.ID,
			ClientID:   g.ClientID,
			Scopes:     []string{"repo"},
			Resource:   g.Resource,
			WrappedKey: []byte("wrapped data key (refresh)"),
			ExpiresAt:  now.Add(30 * 24 * time.Hour),
			Generation: f.gen,
		},
		GrantExpiresAt: now.Add(30 * 24 * time.Hour),
	}
}

// issued stores a fresh token pair for g with IssueTokens.
func (f *fixture) issued(t *testing.T, g tokens.Grant) tokens.Issue {
	t.Helper()
	is := f.issue(g)
	if err := f.s.IssueTokens(f.ctx, g.ID, is); err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	return is
}

func client(id string, created time.Time) tokens.Client {
	return tokens.Client{
		ID:                      id,
		SecretHash:              "hash-of-secret",
		Name:                    "Claude",
		RedirectURIs:            []string{"https://claude.ai/api/mcp/auth_callback", "http://localhost/callback"},
		TokenEndpointAuthMethod: "client_secret_post",
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scope:                   "repo",
		ClientURI:               "https://claude.ai",
		LogoURI:                 "https://claude.ai/logo.png",
		SoftwareID:              "claude",
		SoftwareVersion:         "1.0",
		CreatedAt:               created,
	}
}

// same fails the test unless got and want have the same JSON encoding,
// which is how the Redis store keeps them (times compare by instant).
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: marshal got: %v", what, err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("%s: marshal want: %v", what, err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// wantErr fails the test unless errors.Is(err, want) (or err is nil when
// want is nil).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func testPing(t *testing.T, f *fixture) {
	wantErr(t, "Ping", f.s.Ping(f.ctx), nil)
}

func testClientCRUD(t *testing.T, f *fixture) {
	c := client(tokens.NewID(), f.now())
	wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
	got, err := f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient", err, nil)
	same(t, "GetClient", got, c)

	dup := c
	dup.Name = "impostor"
	wantErr(t, "CreateClient duplicate", f.s.CreateClient(f.ctx, dup), tokens.ErrAlreadyExists)
	got, err = f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient after duplicate", err, nil)
	same(t, "GetClient after duplicate", got, c)

	public := client(tokens.NewID(), f.now())
	public.SecretHash = ""
	public.TokenEndpointAuthMethod = "none"
	public.GrantTypes, public.ResponseTypes = nil, nil
	wantErr(t, "CreateClient public", f.s.CreateClient(f.ctx, public), nil)
	got, err = f.s.GetClient(f.ctx, public.ID)
	wantErr(t, "GetClient public", err, nil)
	same(t, "GetClient public", got, public)

	_, err = f.s.GetClient(f.ctx, tokens.NewID())
	wantErr(t, "GetClient unknown", err, tokens.ErrNotFound)

	wantErr(t, "DeleteClient", f.s.DeleteClient(f.ctx, c.ID), nil)
	_, err = f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient deleted", err, tokens.ErrNotFound)
	wantErr(t, "DeleteClient again", f.s.DeleteClient(f.ctx, c.ID), tokens.ErrNotFound)

	list, err := f.s.ListClients(f.ctx)
	wantErr(t, "ListClients", err, nil)
	if len(list) != 1 || list[0].ID != public.ID {
		t.Fatalf("ListClients after delete = %v, want only %s", clientIDs(list), public.ID)
	}
}

func testClientsAreDurable(t *testing.T, f *fixture) {
	c := client(tokens.NewID(), f.now())
	wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
	f.clock.Advance(400 * 24 * time.Hour)
	got, err := f.s.GetClient(f.ctx, c.ID)
	wantErr(t, "GetClient a year later", err, nil)
	same(t, "GetClient a year later", got, c)
}

func testListClientsSorted(t *testing.T, f *fixture) {
	list, err := f.s.ListClients(f.ctx)
	wantErr(t, "ListClients empty", err, nil)
	if len(list) != 0 {
		t.Fatalf("ListClients on empty store = %v", clientIDs(list))
	}
	base := f.now()
	offsets := []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour}
	ids := make([]string, len(offsets))
	for i, off := range offsets {
		c := client(tokens.NewID(), base.Add(off))
		ids[i] = c.ID
		wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
	}
	list, err = f.s.ListClients(f.ctx)
	wantErr(t, "ListClients", err, nil)
	want := []string{ids[1], ids[2], ids[0]}
	if got := clientIDs(list); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ListClients order = %v, want %v (by CreatedAt)", got, want)
	}
}

func clientIDs(cs []tokens.Client) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func pending(now time.Time) tokens.Pending {
	return tokens.Pending{
		ClientID:         tokens.NewID(),
		RedirectURI:      "http://localhost:6274/oauth/callback",
		CodeChallenge:    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		Resource:         "https://mcp.example.com/mcp",
		Scopes:           []string{"repo"},
		ClientState:      "client-state",
		Provider:         "github",
		UpstreamVerifier: "upstream-verifier",
		Nonce:            "nonce",
		Browser:          "browser-hash",
		CreatedAt:        now,
	}
}

func testPendingSingleUse(t *testing.T, f *fixture) {
	p := pending(f.now())
	wantErr(t, "PutPending", f.s.PutPending(f.ctx, "state-hash", p, 10*time.Minute), nil)
	wantErr(t, "PutPending duplicate", f.s.PutPending(f.ctx, "state-hash", p, 10*time.Minute), tokens.ErrAlreadyExists)
	got, err := f.s.TakePending(f.ctx, "state-hash")
	wantErr(t, "TakePending", err, nil)
	same(t, "TakePending", got, p)
	_, err = f.s.TakePending(f.ctx, "state-hash")
	wantErr(t, "TakePending twice", err, tokens.ErrNotFound)
}

func testPendingExpires(t *testing.T, f *fixture) {
	tests := []struct {
		name    string
		advance time.Duration
		want    error
	}{
		{"before expiry", 10*time.Minute - time.Second, nil},
		{"at expiry", 10 * time.Minute, tokens.ErrNotFound},
		{"after expiry", 11 * time.Minute, tokens.ErrNotFound},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprintf("state-%d", i)
			wantErr(t, "PutPending", f.s.PutPending(f.ctx, key, pending(f.now()), 10*time.Minute), nil)
			f.clock.Advance(tc.advance)
			_, err := f.s.TakePending(f.ctx, key)
			wantErr(t, "TakePending", err, tc.want)
		})
	}
}

func testGrantRoundTrip(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	got, err := f.s.GetGrant(f.ctx, g.ID)
	wantErr(t, "GetGrant", err, nil)
	same(t, "GetGrant", got, g)

	dup := g
	dup.UserID = "github:2"
	wantErr(t, "CreateGrant duplicate", f.s.CreateGrant(f.ctx, dup), tokens.ErrAlreadyExists)
	got, err = f.s.GetGrant(f.ctx, g.ID)
	wantErr(t, "GetGrant after duplicate", err, nil)
	same(t, "GetGrant after duplicate", got, g)
}

func testGrantExpires(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	f.clock.Advance(24*time.Hour - time.Second)
	_, err := f.s.GetGrant(f.ctx, g.ID)
	wantErr(t, "GetGrant before expiry", err, nil)
	f.clock.Advance(time.Second)
	_, err = f.s.GetGrant(f.ctx, g.ID)
	wantErr(t, "GetGrant at expiry", err, tokens.ErrNotFound)
	list, err := f.s.ListGrants(f.ctx, "", "")
	wantErr(t, "ListGrants", err, nil)
	if len(list) != 0 {
		t.Fatalf("ListGrants lists an expired grant: %v", grantIDs(list))
	}
}

func testCodeSingleUse(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	hash, c := f.code(t, g)
	wantErr(t, "PutCode duplicate", f.s.PutCode(f.ctx, hash, c), tokens.ErrAlreadyExists)

	got, err := f.s.ConsumeCode(f.ctx, g.ID, hash)
	wantErr(t, "ConsumeCode", err, nil)
	same(t, "ConsumeCode", got, c)

	for i := range 3 {
		got, err = f.s.ConsumeCode(f.ctx, g.ID, hash)
		wantErr(t, fmt.Sprintf("ConsumeCode reuse %d", i+1), err, tokens.ErrCodeReused)
		sameReused(t, got, c)
	}

	_, err = f.s.ConsumeCode(f.ctx, g.ID, f.kr.Hash(tokens.Mint(tokens.KindCode, g.ID)))
	wantErr(t, "ConsumeCode unknown", err, tokens.ErrNotFound)
	other := f.grant(t, "github:1", "client-1")
	_, err = f.s.ConsumeCode(f.ctx, other.ID, hash)
	wantErr(t, "ConsumeCode under another grant", err, tokens.ErrNotFound)
}

// sameReused checks what ConsumeCode returns for a reused code: at least
// the code's GrantID and ExpiresAt (a store may keep no more of a
// consumed code), and any other field it returns as stored.
func sameReused(t *testing.T, got, want tokens.AuthCode) {
	t.Helper()
	if got.ClientID == "" {
		want = tokens.AuthCode{GrantID: want.GrantID, ExpiresAt: want.ExpiresAt}
	}
	same(t, "ConsumeCode reuse", got, want)
}

func testCodeReuseReportsGrant(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	hash, _ := f.code(t, g)
	if _, err := f.s.ConsumeCode(f.ctx, g.ID, hash); err != nil {
		t.Fatalf("ConsumeCode: %v", err)
	}
	is := f.issued(t, g)

	got, err := f.s.ConsumeCode(f.ctx, g.ID, hash)
	wantErr(t, "ConsumeCode reuse", err, tokens.ErrCodeReused)
	if got.GrantID != g.ID {
		t.Fatalf("reused code names grant %q, want %q", got.GrantID, g.ID)
	}
	// What the caller does with it: revoke what the first use issued.
	wantErr(t, "RevokeGrant", f.s.RevokeGrant(f.ctx, got.GrantID), nil)
	_, err = f.s.GetAccess(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccess after reuse revocation", err, tokens.ErrNotFound)
	_, err = f.s.ConsumeCode(f.ctx, g.ID, hash)
	wantErr(t, "ConsumeCode after revocation", err, tokens.ErrNotFound)
}

func testCodeExpires(t *testing.T, f *fixture) {
	tests := []struct {
		name    string
		consume bool // consume once before the clock moves
		advance time.Duration
		want    error
	}{
		{"fresh before expiry", false, 10*time.Minute - time.Second, nil},
		{"fresh at expiry", false, 10 * time.Minute, tokens.ErrNotFound},
		{"tombstone before expiry", true, 10*time.Minute - time.Second, tokens.ErrCodeReused},
		{"tombstone at expiry", true, 10 * time.Minute, tokens.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := f.grant(t, "github:1", "client-1")
			hash, _ := f.code(t, g)
			if tc.consume {
				if _, err := f.s.ConsumeCode(f.ctx, g.ID, hash); err != nil {
					t.Fatalf("ConsumeCode: %v", err)
				}
			}
			f.clock.Advance(tc.advance)
			_, err := f.s.ConsumeCode(f.ctx, g.ID, hash)
			wantErr(t, "ConsumeCode", err, tc.want)
		})
	}
}

func testCodeNeedsGrant(t *testing.T, f *fixture) {
	g := tokens.Grant{ID: tokens.NewID(), Resource: "https://mcp.example.com/mcp"}
	c := tokens.AuthCode{GrantID: g.ID, ExpiresAt: f.now().Add(time.Minute)}
	wantErr(t, "PutCode without grant", f.s.PutCode(f.ctx, "code-hash", c), tokens.ErrNotFound)
}

func testIssueAndGetAccess(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.issued(t, g)

	at, err := f.s.GetAccess(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccess", err, nil)
	same(t, "GetAccess", at, is.Access)
	rt, err := f.s.GetRefresh(f.ctx, g.ID, is.RefreshHash)
	wantErr(t, "GetRefresh", err, nil)
	same(t, "GetRefresh", rt, is.Refresh)

	got, err := f.s.GetGrant(f.ctx, g.ID)
	wantErr(t, "GetGrant", err, nil)
	if !got.ExpiresAt.Equal(is.GrantExpiresAt) {
		t.Fatalf("grant ExpiresAt = %v, want it extended to %v", got.ExpiresAt, is.GrantExpiresAt)
	}
	// GetAccessGrant answers the token and the grant of the same read.
	at2, g2, err := f.s.GetAccessGrant(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccessGrant", err, nil)
	same(t, "GetAccessGrant access", at2, is.Access)
	same(t, "GetAccessGrant grant", g2, got)
	_, _, err = f.s.GetAccessGrant(f.ctx, g.ID, is.RefreshHash)
	wantErr(t, "GetAccessGrant with a refresh hash", err, tokens.ErrNotFound)
	// The extension is real: the grant outlives its original day.
	f.clock.Advance(48 * time.Hour)
	_, err = f.s.GetRefresh(f.ctx, g.ID, is.RefreshHash)
	wantErr(t, "GetRefresh after the original grant expiry", err, nil)

	// Tokens are keyed under their grant.
	_, err = f.s.GetRefresh(f.ctx, f.grant(t, "github:1", "client-1").ID, is.RefreshHash)
	wantErr(t, "GetRefresh under another grant", err, tokens.ErrNotFound)
	// The hash of one kind is not found as another.
	_, err = f.s.GetAccess(f.ctx, g.ID, is.RefreshHash)
	wantErr(t, "GetAccess with a refresh hash", err, tokens.ErrNotFound)

	gone := tokens.Grant{ID: tokens.NewID()}
	wantErr(t, "IssueTokens without grant", f.s.IssueTokens(f.ctx, gone.ID, f.issue(gone)), tokens.ErrNotFound)
}

func testAccessExpires(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.issued(t, g)
	f.clock.Advance(time.Hour - time.Second)
	_, err := f.s.GetAccess(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccess before expiry", err, nil)
	f.clock.Advance(time.Second)
	_, err = f.s.GetAccess(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccess at expiry", err, tokens.ErrNotFound)
	_, err = f.s.GetRefresh(f.ctx, g.ID, is.RefreshHash)
	wantErr(t, "GetRefresh after access expiry", err, nil)
}

func testAccessRefusedAfterRevoke(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	codeHash, _ := f.code(t, g)
	if _, err := f.s.ConsumeCode(f.ctx, g.ID, codeHash); err != nil {
		t.Fatalf("ConsumeCode: %v", err)
	}
	first := f.issued(t, g)
	second := f.issue(g)
	if err := f.rotate(g.ID, first.RefreshHash, f.rot([]byte("grace")), second); err != nil {
		t.Fatalf("RotateRefresh: %v", err)
	}
	unused, _ := f.code(t, g)
	keep := f.grant(t, "github:1", "client-1")
	keepIssue := f.issued(t, keep)

	wantErr(t, "RevokeGrant", f.s.RevokeGrant(f.ctx, g.ID), nil)

	checks := []struct {
		name string
		call func() error
	}{
		{"GetGrant", func() error { _, err := f.s.GetGrant(f.ctx, g.ID); return err }},
		{"GetAccess first", func() error { _, err := f.s.GetAccess(f.ctx, g.ID, first.AccessHash); return err }},
		{"GetAccess second", func() error { _, err := f.s.GetAccess(f.ctx, g.ID, second.AccessHash); return err }},
		{"GetRefresh rotated", func() error { _, err := f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash); return err }},
		{"GetRefresh active", func() error { _, err := f.s.GetRefresh(f.ctx, g.ID, second.RefreshHash); return err }},
		{"ConsumeCode consumed", func() error { _, err := f.s.ConsumeCode(f.ctx, g.ID, codeHash); return err }},
		{"ConsumeCode unused", func() error { _, err := f.s.ConsumeCode(f.ctx, g.ID, unused); return err }},
		{"RotateRefresh", func() error {
			return f.rotate(g.ID, second.RefreshHash, f.rot(nil), f.issue(g))
		}},
		{"IssueTokens", func() error { return f.s.IssueTokens(f.ctx, g.ID, f.issue(g)) }},
		{"SetUpstream", func() error { return f.s.SetUpstream(f.ctx, g.ID, []byte("x")) }},
		{"PutCode", func() error {
			return f.s.PutCode(f.ctx, "new-code", tokens.AuthCode{GrantID: g.ID, ExpiresAt: f.now().Add(time.Minute)})
		}},
	}
	for _, c := range checks {
		wantErr(t, c.name+" after revoke", c.call(), tokens.ErrNotFound)
	}

	wantErr(t, "RevokeGrant again", f.s.RevokeGrant(f.ctx, g.ID), nil)
	wantErr(t, "RevokeGrant unknown", f.s.RevokeGrant(f.ctx, tokens.NewID()), nil)
	_, err := f.s.GetAccess(f.ctx, keep.ID, keepIssue.AccessHash)
	wantErr(t, "GetAccess of another grant", err, nil)
	list, err := f.s.ListGrants(f.ctx, "", "")
	wantErr(t, "ListGrants", err, nil)
	if ids := grantIDs(list); len(ids) != 1 || ids[0] != keep.ID {
		t.Fatalf("ListGrants after revoke = %v, want only %s", ids, keep.ID)
	}
}

func testAccessRefusedAfterGrantExpires(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.issue(g)
	is.Access.ExpiresAt = f.now().Add(72 * time.Hour)
	is.GrantExpiresAt = f.now().Add(48 * time.Hour)
	if err := f.s.IssueTokens(f.ctx, g.ID, is); err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	f.clock.Advance(48 * time.Hour)
	_, err := f.s.GetAccess(f.ctx, g.ID, is.AccessHash)
	wantErr(t, "GetAccess of a lapsed grant", err, tokens.ErrNotFound)
	_, err = f.s.GetRefresh(f.ctx, g.ID, is.RefreshHash)
	wantErr(t, "GetRefresh of a lapsed grant", err, tokens.ErrNotFound)
}

func testRefreshRotation(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issued(t, g)
	f.clock.Advance(time.Hour)
	rotatedAt := f.now()
	second := f.issue(g)
	grace := []byte(`sealed {"access_token":"..."}`)
	wantErr(t, "RotateRefresh", f.rotate(g.ID, first.RefreshHash, tokens.Rotation{At: rotatedAt, Grace: time.Minute, GraceResponse: grace}, second), nil)

	old, err := f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	wantErr(t, "GetRefresh old", err, tokens.ErrRotated)
	if !old.RotatedAt.Equal(rotatedAt) {
		t.Errorf("old RotatedAt = %v, want %v", old.RotatedAt, rotatedAt)
	}
	if string(old.GraceResponse) != string(grace) {
		t.Errorf("old GraceResponse = %q, want %q", old.GraceResponse, grace)
	}
	wantOld := first.Refresh.Tombstone(tokens.Rotation{At: rotatedAt, Grace: time.Minute})
	wantOld.GraceResponse = grace
	same(t, "GetRefresh old", old, wantOld)

	// A second rotation of the same token changes nothing.
	third := f.issue(g)
	wantErr(t, "RotateRefresh old again", f.rotate(g.ID, first.RefreshHash, f.rot([]byte("other")), third), tokens.ErrRotated)
	old, _ = f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	same(t, "GetRefresh old after second rotation", old, wantOld)
	_, err = f.s.GetRefresh(f.ctx, g.ID, third.RefreshHash)
	wantErr(t, "GetRefresh of the losing pair", err, tokens.ErrNotFound)
	_, err = f.s.GetAccess(f.ctx, g.ID, third.AccessHash)
	wantErr(t, "GetAccess of the losing pair", err, tokens.ErrNotFound)

	rt, err := f.s.GetRefresh(f.ctx, g.ID, second.RefreshHash)
	wantErr(t, "GetRefresh new", err, nil)
	wantNew := second.Refresh
	wantNew.Predecessor = first.RefreshHash
	same(t, "GetRefresh new", rt, wantNew)
	at, err := f.s.GetAccess(f.ctx, g.ID, second.AccessHash)
	wantErr(t, "GetAccess new", err, nil)
	same(t, "GetAccess new", at, second.Access)

	got, err := f.s.GetGrant(f.ctx, g.ID)
	wantErr(t, "GetGrant", err, nil)
	if !got.ExpiresAt.Equal(second.GrantExpiresAt) {
		t.Errorf("grant ExpiresAt = %v, want %v", got.ExpiresAt, second.GrantExpiresAt)
	}

	// The new token rotates in turn.
	wantErr(t, "RotateRefresh new", f.rotate(g.ID, second.RefreshHash, f.rot(nil), third), nil)
	_, err = f.s.GetRefresh(f.ctx, g.ID, third.RefreshHash)
	wantErr(t, "GetRefresh third", err, nil)

	unknown := f.kr.Hash(tokens.Mint(tokens.KindRefresh, g.ID))
	wantErr(t, "RotateRefresh unknown", f.rotate(g.ID, unknown, f.rot(nil), f.issue(g)), tokens.ErrNotFound)
}

// testRotatedRefreshLapses: a refresh token minted before generations
// keeps its tombstone until its own expiry.
func testRotatedRefreshLapses(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	first := f.issue(g)
	first.Refresh.Generation = 0
	first.Refresh.ExpiresAt = f.now().Add(2 * time.Hour)
	if err := f.s.IssueTokens(f.ctx, g.ID, first); err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	second := f.issue(g)
	if err := f.rotate(g.ID, first.RefreshHash, f.rot([]byte("grace")), second); err != nil {
		t.Fatalf("RotateRefresh: %v", err)
	}
	f.clock.Advance(2*time.Hour - time.Second)
	_, err := f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	wantErr(t, "GetRefresh rotated before its expiry", err, tokens.ErrRotated)
	f.clock.Advance(time.Second)
	_, err = f.s.GetRefresh(f.ctx, g.ID, first.RefreshHash)
	wantErr(t, "GetRefresh rotated at its expiry", err, tokens.ErrNotFound)
	_, err = f.s.GetRefresh(f.ctx, g.ID, second.RefreshHash)
	wantErr(t, "GetRefresh new", err, nil)
}

func testRotateRaceOnlyOneWins(t *testing.T, f *fixture) {
	const (
		rounds = 8
		racers = 16
	)
	g := f.grant(t, "github:1", "client-1")
	active := f.issued(t, g).RefreshHash
	for round := range rounds {
		nexts := make([]tokens.Issue, racers)
		for i := range nexts {
			nexts[i] = f.issue(g)
		}
		// Every racer reads before any rotates: all hold the same
		// compare-and-set state.
		reads := make([]tokens.RefreshRead, racers)
		for i := range reads {
			reads[i] = f.read(t, "", g.ID, active)
		}
		errs := make(chan error, racers)
		start := make(chan struct{})
		for i := range racers {
			go func() {
				<-start
				errs <- f.s.RotateRefresh(f.ctx, reads[i], f.rot(fmt.Appendf(nil, "grace %d", i)), nexts[i])
			}()
		}
		close(start)
		won := 0
		for range racers {
			switch err := <-errs; {
			case err == nil:
				won++
			case errors.Is(err, tokens.ErrRotated):
			default:
				t.Errorf("round %d: RotateRefresh: unexpected error %v", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d concurrent rotations succeeded, want exactly 1", round, won)
		}
		live := 0
		for _, next := range nexts {
			_, rtErr := f.s.GetRefresh(f.ctx, g.ID, next.RefreshHash)
			_, atErr := f.s.GetAccess(f.ctx, g.ID, next.AccessHash)
			if (rtErr == nil) != (atErr == nil) {
				t.Fatalf("round %d: half a pair stored: refresh %v, access %v", round, rtErr, atErr)
			}
			if rtErr == nil {
				live++
				active = next.RefreshHash
			}
		}
		if live != 1 {
			t.Fatalf("round %d: %d new token pairs stored, want exactly 1", round, live)
		}
	}
}

func testSetUpstream(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	is := f.issued(t, g)
	sealed := []byte("newly sealed upstream token")
	wantErr(t, "SetUpstream", f.s.SetUpstream(f.ctx, g.ID, sealed), nil)
	got, err := f.s.GetGrant(f.ctx, g.ID)
	wantErr(t, "GetGrant", err, nil)
	want := g
	want.Upstream = sealed
	want.ExpiresAt = is.GrantExpiresAt
	want.RefreshGen = is.Refresh.Generation
	want.LastUsedAt = got.LastUsedAt // informational; not specified here
	same(t, "GetGrant after SetUpstream", got, want)
	wantErr(t, "SetUpstream unknown", f.s.SetUpstream(f.ctx, tokens.NewID(), sealed), tokens.ErrNotFound)
}

func testListGrantsFilters(t *testing.T, f *fixture) {
	a := f.grant(t, "github:1", "client-1")
	f.clock.Advance(time.Second)
	b := f.grant(t, "github:1", "client-2")
	f.clock.Advance(time.Second)
	c := f.grant(t, "github:2", "client-1")
	short := tokens.Grant{
		ID: tokens.NewID(), ClientID: "client-1", UserID: "github:1",
		CreatedAt: f.now(), ExpiresAt: f.now().Add(time.Minute),
	}
	wantErr(t, "CreateGrant short", f.s.CreateGrant(f.ctx, short), nil)
	revoked := f.grant(t, "github:1", "client-1")
	wantErr(t, "RevokeGrant", f.s.RevokeGrant(f.ctx, revoked.ID), nil)
	f.clock.Advance(time.Minute)

	tests := []struct {
		user, client string
		want         []string
	}{
		{"", "", []string{a.ID, b.ID, c.ID}},
		{"github:1", "", []string{a.ID, b.ID}},
		{"", "client-1", []string{a.ID, c.ID}},
		{"github:1", "client-1", []string{a.ID}},
		{"github:2", "client-2", []string{}},
		{"nobody", "", []string{}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("user=%q client=%q", tc.user, tc.client), func(t *testing.T) {
			list, err := f.s.ListGrants(f.ctx, tc.user, tc.client)
			wantErr(t, "ListGrants", err, nil)
			if got := grantIDs(list); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("ListGrants = %v, want %v (oldest first)", got, tc.want)
			}
		})
	}
	list, _ := f.s.ListGrants(f.ctx, "github:1", "client-1")
	if len(list) == 1 {
		same(t, "listed grant", list[0], a)
	}
}

func grantIDs(gs []tokens.Grant) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.ID
	}
	return out
}

// tryLock attempts key with a short deadline: the deadline bounds only how
// long a failing attempt takes, nothing is asserted about time.
func tryLock(f *fixture, key string) (func(context.Context) error, error) {
	ctx, cancel := context.WithTimeout(f.ctx, 100*time.Millisecond)
	defer cancel()
	return f.s.Lock(ctx, key, time.Minute)
}

func testLockExclusive(t *testing.T, f *fixture) {
	unlock, err := f.s.Lock(f.ctx, "refresh:grant-1", time.Minute)
	wantErr(t, "Lock", err, nil)

	_, err = tryLock(f, "refresh:grant-1")
	wantErr(t, "Lock while held", err, tokens.ErrLocked)

	released := make(chan struct{})
	acquired := make(chan error, 1)
	go func() {
		unlock2, err := f.s.Lock(f.ctx, "refresh:grant-1", time.Minute)
		if err != nil {
			acquired <- err
			return
		}
		select {
		case <-released:
			acquired <- unlock2(f.ctx)
		default:
			acquired <- errors.New("second Lock returned before the first holder unlocked")
		}
	}()
	close(released)
	wantErr(t, "unlock", unlock(f.ctx), nil)
	wantErr(t, "second Lock", <-acquired, nil)

	unlock3, err := tryLock(f, "refresh:grant-1")
	wantErr(t, "Lock after both released", err, nil)
	wantErr(t, "unlock", unlock3(f.ctx), nil)

	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	held, err := f.s.Lock(f.ctx, "refresh:grant-1", time.Minute)
	wantErr(t, "Lock", err, nil)
	_, err = f.s.Lock(ctx, "refresh:grant-1", time.Minute)
	wantErr(t, "Lock with a cancelled context", err, tokens.ErrLocked)
	wantErr(t, "unlock", held(f.ctx), nil)
}

func testLockLapses(t *testing.T, f *fixture) {
	// A store may let the lock lapse by its clock (memory) or by a server
	// TTL in real time (Redis, so that replicas with skewed clocks never
	// share it): the hold is short and both clocks move past it.
	const hold = 300 * time.Millisecond
	first, err := f.s.Lock(f.ctx, "refresh:grant-1", hold)
	wantErr(t, "Lock", err, nil)
	f.clock.Advance(hold)
	time.Sleep(hold + 100*time.Millisecond)

	second, err := tryLock(f, "refresh:grant-1")
	wantErr(t, "Lock after the first hold lapsed", err, nil)
	// The first holder's late unlock must not release the second's hold.
	if err := first(f.ctx); err != nil {
		t.Fatalf("late unlock: %v", err)
	}
	_, err = tryLock(f, "refresh:grant-1")
	wantErr(t, "Lock after a late unlock", err, tokens.ErrLocked)
	wantErr(t, "unlock", second(f.ctx), nil)
	third, err := tryLock(f, "refresh:grant-1")
	wantErr(t, "Lock after unlock", err, nil)
	wantErr(t, "unlock", third(f.ctx), nil)
}

func testLockKeysIndependent(t *testing.T, f *fixture) {
	a, err := tryLock(f, "refresh:grant-a")
	wantErr(t, "Lock a", err, nil)
	b, err := tryLock(f, "refresh:grant-b")
	wantErr(t, "Lock b while a is held", err, nil)
	wantErr(t, "unlock a", a(f.ctx), nil)
	wantErr(t, "unlock b", b(f.ctx), nil)
}

func testNotFoundIsSentinel(t *testing.T, f *fixture) {
	g := f.grant(t, "github:1", "client-1")
	missing := tokens.NewID()
	calls := []struct {
		name string
		call func() error
	}{
		{"GetClient", func() error { _, err := f.s.GetClient(f.ctx, missing); return err }},
		{"DeleteClient", func() error { return f.s.DeleteClient(f.ctx, missing) }},
		{"TakePending", func() error { _, err := f.s.TakePending(f.ctx, "no-such-state"); return err }},
		{"GetGrant", func() error { _, err := f.s.GetGrant(f.ctx, missing); return err }},
		{"SetUpstream", func() error { return f.s.SetUpstream(f.ctx, missing, []byte("x")) }},
		{"ConsumeCode no grant", func() error { _, err := f.s.ConsumeCode(f.ctx, missing, "h"); return err }},
		{"ConsumeCode no code", func() error { _, err := f.s.ConsumeCode(f.ctx, g.ID, "h"); return err }},
		{"GetAccess no grant", func() error { _, err := f.s.GetAccess(f.ctx, missing, "h"); return err }},
		{"GetAccess no token", func() error { _, err := f.s.GetAccess(f.ctx, g.ID, "h"); return err }},
		{"GetRefresh no grant", func() error { _, err := f.s.GetRefresh(f.ctx, missing, "h"); return err }},
		{"GetRefresh no token", func() error { _, err := f.s.GetRefresh(f.ctx, g.ID, "h"); return err }},
		{"RotateRefresh no grant", func() error {
			return f.rotate(missing, "h", f.rot(nil), f.issue(g))
		}},
		{"RotateRefresh no token", func() error { return f.rotate(g.ID, "h", f.rot(nil), f.issue(g)) }},
		{"IssueTokens no grant", func() error { return f.s.IssueTokens(f.ctx, missing, f.issue(g)) }},
		{"PutCode no grant", func() error {
			return f.s.PutCode(f.ctx, "h", tokens.AuthCode{GrantID: missing, ExpiresAt: f.now().Add(time.Minute)})
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if !errors.Is(err, tokens.ErrNotFound) {
				t.Fatalf("error %v, want one that errors.Is ErrNotFound", err)
			}
		})
	}
}

func testReturnedValuesAreCopies(t *testing.T, f *fixture) {
	// Inputs: mutating what was stored must not change the store.
	c := client(tokens.NewID(), f.now())
	wantC := client(c.ID, c.CreatedAt)
	wantErr(t, "CreateClient", f.s.CreateClient(f.ctx, c), nil)
	c.RedirectURIs[0] = "https://evil.example/cb"
	c.GrantTypes[0] = "implicit"

	g := tokens.Grant{
		ID: tokens.NewID(), ClientID: c.ID, UserID: "github:1", Scopes: []string{"repo"},
		Upstream: []byte("sealed"), CreatedAt: f.now(), ExpiresAt: f.now().Add(time.Hour),
	}
	wantG := g
	wantG.Scopes, wantG.Upstream = []string{"repo"}, []byte("sealed")
	wantErr(t, "CreateGrant", f.s.CreateGrant(f.ctx, g), nil)
	g.Scopes[0] = "admin"
	g.Upstream[0] = 'X'

	is := f.issue(wantG)
	wantIs := f.issue(wantG)
	wantIs.AccessHash, wantIs.RefreshHash = is.AccessHash, is.RefreshHash
	wantIs.Refresh.Generation = is.Refresh.Generation
	wantIs.Access.WrappedKey = append([]byte(nil), is.Access.WrappedKey...)
	wantIs.Refresh.WrappedKey = append([]byte(nil), is.Refresh.WrappedKey...)
	wantErr(t, "IssueTokens", f.s.IssueTokens(f.ctx, g.ID, is), nil)
	is.Access.Scopes[0] = "admin"
	is.Access.WrappedKey[0] = 'X'
	is.Refresh.Scopes[0] = "admin"
	is.Refresh.WrappedKey[0] = 'X'

	// Outputs: mutating what was returned must not change the store.
	for i := range 2 {
		gotC, err := f.s.GetClient(f.ctx, c.ID)
		wantErr(t, "GetClient", err, nil)
		same(t, fmt.Sprintf("GetClient #%d", i), gotC, wantC)
		gotC.RedirectURIs[0] = "https://evil.example/cb"
		gotC.ResponseTypes[0] = "token"

		list, err := f.s.ListClients(f.ctx)
		wantErr(t, "ListClients", err, nil)
		same(t, fmt.Sprintf("ListClients #%d", i), list, []tokens.Client{wantC})
		list[0].RedirectURIs[0] = "https://evil.example/cb"

		gotG, err := f.s.GetGrant(f.ctx, g.ID)
		wantErr(t, "GetGrant", err, nil)
		if string(gotG.Upstream) != "sealed" || gotG.Scopes[0] != "repo" {
			t.Fatalf("GetGrant #%d shares memory with a caller: %+v", i, gotG)
		}
		gotG.Upstream[0] = 'Y'
		gotG.Scopes[0] = "admin"

		grants, err := f.s.ListGrants(f.ctx, "", "")
		wantErr(t, "ListGrants", err, nil)
		if len(grants) != 1 || string(grants[0].Upstream) != "sealed" {
			t.Fatalf("ListGrants #%d shares memory with a caller: %+v", i, grants)
		}
		grants[0].Upstream[0] = 'Z'

		at, err := f.s.GetAccess(f.ctx, g.ID, is.AccessHash)
		wantErr(t, "GetAccess", err, nil)
		same(t, fmt.Sprintf("GetAccess #%d", i), at, wantIs.Access)
		at.Scopes[0] = "admin"
		at.WrappedKey[0] = 'Y'

		rt, err := f.s.GetRefresh(f.ctx, g.ID, is.RefreshHash)
		wantErr(t, "GetRefresh", err, nil)
		same(t, fmt.Sprintf("GetRefresh #%d", i), rt, wantIs.Refresh)
		rt.Scopes[0] = "admin"
		rt.WrappedKey[0] = 'Y'
	}

	grace := []byte("grace")
	next := f.issue(wantG)
	wantErr(t, "RotateRefresh", f.rotate(g.ID, is.RefreshHash, f.rot(grace), next), nil)
	grace[0] = 'X'
	for i := range 2 {
		old, err := f.s.GetRefresh(f.ctx, g.ID, is.RefreshHash)
		wantErr(t, "GetRefresh rotated", err, tokens.ErrRotated)
		if string(old.GraceResponse) != "grace" {
			t.Fatalf("GraceResponse #%d = %q, want %q", i, old.GraceResponse, "grace")
		}
		old.GraceResponse[0] = 'Y'
	}

	hash, code := f.code(t, wantG)
	wantCode := code
	wantCode.Scopes = []string{"repo"}
	wantCode.WrappedKey = []byte("wrapped data key (code)")
	code.Scopes[0] = "admin"
	code.WrappedKey[0] = 'X'
	got, err := f.s.ConsumeCode(f.ctx, g.ID, hash)
	wantErr(t, "ConsumeCode", err, nil)
	same(t, "ConsumeCode", got, wantCode)
	got.WrappedKey[0] = 'Y'
	got, err = f.s.ConsumeCode(f.ctx, g.ID, hash)
	wantErr(t, "ConsumeCode reuse", err, tokens.ErrCodeReused)
	sameReused(t, got, wantCode)

	p := pending(f.now())
	wantP := p
	wantP.Scopes = []string{"repo"}
	wantErr(t, "PutPending", f.s.PutPending(f.ctx, "state", p, time.Minute), nil)
	p.Scopes[0] = "admin"
	gotP, err := f.s.TakePending(f.ctx, "state")
	wantErr(t, "TakePending", err, nil)
	same(t, "TakePending", gotP, wantP)
}
