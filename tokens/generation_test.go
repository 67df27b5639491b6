package tokens

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// goldenGenerationToken was minted by MintRefresh (generation 7, grant
// "aaaa…") under goldenGenerationSecret when generations were introduced:
// refresh tokens in clients' hands must keep being recognised, so the key
// label, the layout and the MAC are part of the format.
// goldenPairedFixed and goldenPairedSliding are the access tokens paired
// with it, derived the same day: rotating that refresh token must name
// them.
const (
	goldenGenerationSecret = "golden secret for generations, 32+ bytes"
	goldenGenerationToken  = "mcpgate_rt_aaaaaaaaaaaaaaaaaaaaaaaaaa_c4m3vscgudtxg4c256bf3zkniib7qhptyfgymrik42rvhlwy3gxqaaaaa67rfn5k6enngry"
	goldenPairedFixed      = "mcpgate_at_aaaaaaaaaaaaaaaaaaaaaaaaaa_6hw67nhjwkkw3jnxcy2or6h7ite4evrjpqtyb2dykf6girzqxjw25ty"
	goldenPairedSliding    = "mcpgate_at_aaaaaaaaaaaaaaaaaaaaaaaaaa_562otmuvnws3ofru5d4p6rgjyjlcs7bhqduhqul4mrdtbotnv3hq"
)

func TestGoldenPairedAccess(t *testing.T) {
	k, err := NewKeyring([]byte(goldenGenerationSecret))
	if err != nil {
		t.Fatal(err)
	}
	got := k.PairedAccessHashes(goldenGenerationToken, k.Hash(goldenGenerationToken))
	want := []string{k.Hash(goldenPairedFixed), k.Hash(goldenPairedSliding)}
	if !slices.Equal(got, want) {
		t.Fatalf("PairedAccessHashes(golden) = %v, want the hashes of the golden access tokens %v", got, want)
	}
	if !FixedAccess(goldenPairedFixed) || FixedAccess(goldenPairedSliding) {
		t.Fatal("the golden fixed access token must carry the hint, the sliding one not")
	}
}

func TestRefreshGeneration(t *testing.T) {
	current, err := NewKeyring([]byte("current secret, at least 32 bytes long"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewKeyring([]byte("another secret, at least 32 bytes long"))
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := NewKeyring([]byte("the next secret, at least 32 bytes long"), []byte("current secret, at least 32 bytes long"))
	if err != nil {
		t.Fatal(err)
	}
	golden, err := NewKeyring([]byte(goldenGenerationSecret))
	if err != nil {
		t.Fatal(err)
	}
	grant := NewID()
	minted := current.MintRefresh(grant, 42)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name    string
		keys    *Keyring
		token   string
		wantGen uint32
		wantOK  bool
	}{
		{"minted", current, minted, 42, true},
		{"first generation", current, current.MintRefresh(grant, 1), 1, true},
		{"largest generation", current, current.MintRefresh(grant, 1<<32-1), 1<<32 - 1, true},
		{"under a previous secret", rotated, minted, 42, true},
		{"golden", golden, goldenGenerationToken, 7, true},
		{"another server's secret", other, minted, 0, false},
		{"generation zero is never one", current, current.MintRefresh(grant, 0), 0, false},
		{"random secret (before generations)", current, Mint(KindRefresh, grant), 0, false},
		{"moved to another grant", current, strings.Replace(minted, grant, NewID(), 1), 0, false},
		{"a random byte changed", current, flip(minted, len(minted)-40), 0, false},
		{"the generation changed", current, flip(minted, len(minted)-20), 0, false},
		{"the MAC changed", current, flip(minted, len(minted)-5), 0, false},
		{"an access token", current, "mcpgate_at" + strings.TrimPrefix(minted, "mcpgate_rt"), 0, false},
		{"malformed", current, minted + "a", 0, false},
		{"empty", current, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gen, ok := tt.keys.RefreshGeneration(tt.token)
			if gen != tt.wantGen || ok != tt.wantOK {
				t.Fatalf("RefreshGeneration = %d, %v; want %d, %v", gen, ok, tt.wantGen, tt.wantOK)
			}
		})
	}
	if kind, id, err := Parse(minted); err != nil || kind != KindRefresh || id != grant {
		t.Fatalf("Parse(MintRefresh) = %q, %q, %v; want a refresh token of grant %s", kind, id, err, grant)
	}
	if a, b := current.MintRefresh(grant, 42), current.MintRefresh(grant, 42); a == b {
		t.Fatal("two tokens of one generation are equal: the random part is missing")
	}
}

// TestMintPairChainsGenerations: each pair's refresh token is the
// generation after its grant's, in the token and in its record.
func TestMintPairChainsGenerations(t *testing.T) {
	k, err := NewKeyring([]byte("current secret, at least 32 bytes long"))
	if err != nil {
		t.Fatal(err)
	}
	g := Grant{ID: NewID(), UserID: "github:1"}
	for want := uint32(1); want <= 3; want++ {
		p, err := k.MintPair(PairSpec{Grant: g, Key: NewDataKey(), AccessTTL: 1, RefreshTTL: 2})
		if err != nil {
			t.Fatal(err)
		}
		gen, ok := k.RefreshGeneration(p.Refresh)
		if !ok || gen != want || p.Issue.Refresh.Generation != want {
			t.Fatalf("pair %d: token generation %d (%v), record %d", want, gen, ok, p.Issue.Refresh.Generation)
		}
		g.RefreshGen = p.Issue.Refresh.Generation // as a store does
	}
}

// TestPairedAccessHashes: the access token of a pair is found from its
// refresh token alone, under the secret the pair was minted with, in
// either lifetime's form.
func TestPairedAccessHashes(t *testing.T) {
	old, err := NewKeyring([]byte("current secret, at least 32 bytes long"))
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := NewKeyring([]byte("the next secret, at least 32 bytes long"), []byte("current secret, at least 32 bytes long"))
	if err != nil {
		t.Fatal(err)
	}
	g := Grant{ID: NewID(), UserID: "github:1"}
	for _, p := range []Policy{{}, {IdleTimeout: time.Hour}} {
		pair, err := old.MintPair(PairSpec{Grant: g, Key: NewDataKey(), Now: time.Now(), AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour, Policy: p})
		if err != nil {
			t.Fatal(err)
		}
		for name, k := range map[string]*Keyring{"same secret": old, "after a secret rotation": rotated} {
			rtHash := pair.Issue.RefreshHash
			if k == rotated {
				rtHash = k.Hashes(pair.Refresh)[1] // stored under the previous secret
			}
			got := k.PairedAccessHashes(pair.Refresh, rtHash)
			if !slices.Contains(got, pair.Issue.AccessHash) {
				t.Errorf("%s, sliding %v: PairedAccessHashes = %v, want it to name %s", name, p.Sliding(), got, pair.Issue.AccessHash)
			}
		}
		if got := old.PairedAccessHashes(pair.Refresh, old.Hash(pair.Access)); got != nil {
			t.Errorf("with a hash the refresh token was not stored under: %v, want none", got)
		}
		if got := old.PairedAccessHashes(pair.Access, pair.Issue.AccessHash); got != nil {
			t.Errorf("for an access token: %v, want none", got)
		}
		other, err := old.MintPair(PairSpec{Grant: g, Key: NewDataKey(), Now: time.Now(), AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour, Policy: p})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(old.PairedAccessHashes(pair.Refresh, pair.Issue.RefreshHash), other.Issue.AccessHash) {
			t.Error("a refresh token names another pair's access token")
		}
	}
}
