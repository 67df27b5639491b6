package tokens

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		id := NewID()
		if !ValidID(id) {
			t.Fatalf("NewID() = %q, not a valid ID", id)
		}
		if len(id) != 26 || strings.ToLower(id) != id {
			t.Fatalf("NewID() = %q, want 26 lowercase characters", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestMintParseRoundTrip(t *testing.T) {
	grantID := NewID()
	tests := []struct {
		kind      Kind
		grantID   string
		prefix    string
		wantGrant string
		wantLen   int
	}{
		{KindCode, grantID, "mcpgate_ac_" + grantID + "_", grantID, 8 + 3 + 26 + 1 + 52},
		{KindAccess, grantID, "mcpgate_at_" + grantID + "_", grantID, 8 + 3 + 26 + 1 + 52},
		{KindRefresh, grantID, "mcpgate_rt_" + grantID + "_", grantID, 8 + 3 + 26 + 1 + 52},
		{KindClientSecret, "", "mcpgate_cs_", "", 8 + 3 + 52},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			tok := Mint(tc.kind, tc.grantID)
			if !strings.HasPrefix(tok, tc.prefix) || len(tok) != tc.wantLen {
				t.Fatalf("Mint = %q, want prefix %q and length %d", tok, tc.prefix, tc.wantLen)
			}
			kind, gid, err := Parse(tok)
			if err != nil || kind != tc.kind || gid != tc.wantGrant {
				t.Fatalf("Parse(Mint) = %q, %q, %v; want %q, %q, nil", kind, gid, err, tc.kind, tc.wantGrant)
			}
			if other := Mint(tc.kind, tc.grantID); other == tok {
				t.Fatalf("Mint returned the same token twice")
			}
		})
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	g := NewID()
	secret := strings.Repeat("a", 52)
	valid := "mcpgate_at_" + g + "_" + secret
	if _, _, err := Parse(valid); err != nil {
		t.Fatalf("Parse(%q) = %v; the table below relies on it being valid", valid, err)
	}
	tests := []struct {
		name, token string
	}{
		{"empty", ""},
		{"prefix only", "mcpgate_"},
		{"no prefix", "at_" + g + "_" + secret},
		{"other prefix", "ory_at_" + g + "_" + secret},
		{"upper-case prefix", "MCPGATE_at_" + g + "_" + secret},
		{"unknown kind", "mcpgate_xx_" + g + "_" + secret},
		{"upper-case kind", "mcpgate_AT_" + g + "_" + secret},
		{"one-letter kind", "mcpgate_a_" + g + "_" + secret},
		{"missing kind separator", "mcpgate_at" + g + "_" + secret},
		{"missing grant separator", "mcpgate_at_" + g + secret},
		{"grant too short", "mcpgate_at_" + g[:25] + "_" + secret},
		{"grant too long", "mcpgate_at_" + g + "a_" + secret},
		{"grant upper case", "mcpgate_at_" + strings.ToUpper(g) + "_" + secret},
		{"grant outside alphabet", "mcpgate_at_" + g[:25] + "1_" + secret},
		{"grant non-canonical", "mcpgate_at_" + strings.Repeat("a", 25) + "b_" + secret},
		{"secret too short", "mcpgate_at_" + g + "_" + secret[:51]},
		{"secret too long", "mcpgate_at_" + g + "_" + secret + "a"},
		{"secret outside alphabet", "mcpgate_at_" + g + "_" + secret[:51] + "8"},
		{"secret non-canonical", "mcpgate_at_" + g + "_" + secret[:51] + "b"},
		{"secret with padding", "mcpgate_at_" + g + "_" + secret[:48] + "===="},
		{"trailing space", valid + " "},
		{"leading space", " " + valid},
		{"trailing newline", valid + "\n"},
		{"client secret with grant", "mcpgate_cs_" + g + "_" + secret},
		{"client secret too short", "mcpgate_cs_" + secret[:51]},
		{"code without grant", "mcpgate_ac_" + secret},
		{"refresh without secret", "mcpgate_rt_" + g + "_"},
		{"non-ASCII", "mcpgate_at_" + g + "_" + secret[:50] + "é"},
		{"NUL byte", "mcpgate_at_" + g + "_" + secret[:51] + "\x00"},
		{"github token", "gho_16C7e42F292c6912E7710c838347Ae178B4a"},
		{"JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"},
		// The longer secrets belong to one kind each.
		{"generation-sized access token", "mcpgate_at_" + g + "_" + strings.Repeat("a", b32Len(refreshGenBytes))},
		{"fixed-sized refresh token", "mcpgate_rt_" + g + "_" + strings.Repeat("a", b32Len(fixedAccessBytes))},
		{"generation-sized code", "mcpgate_ac_" + g + "_" + strings.Repeat("a", b32Len(refreshGenBytes))},
		{"generation-sized client secret", "mcpgate_cs_" + strings.Repeat("a", b32Len(refreshGenBytes))},
		{"refresh token between the sizes", "mcpgate_rt_" + g + "_" + strings.Repeat("a", 60)},
	}
	for _, n := range []int{b32Len(refreshGenBytes), b32Len(fixedAccessBytes)} {
		kind := map[int]string{b32Len(refreshGenBytes): "rt", b32Len(fixedAccessBytes): "at"}[n]
		long := "mcpgate_" + kind + "_" + g + "_" + strings.Repeat("a", n)
		if k, id, err := Parse(long); err != nil || string(k) != kind || id != g {
			t.Fatalf("Parse(%q) = %q, %q, %v; want a valid %s token", long, k, id, err, kind)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, gid, err := Parse(tc.token)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q) = %q, %q, %v; want ErrMalformed", tc.token, kind, gid, err)
			}
			if kind != "" || gid != "" {
				t.Fatalf("Parse(%q) returned kind %q and grant %q with its error", tc.token, kind, gid)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	g := NewID()
	for _, seed := range []string{
		"", "mcpgate_", "mcpgate_at_", Mint(KindAccess, g), Mint(KindRefresh, g), Mint(KindCode, g),
		Mint(KindClientSecret, ""), "mcpgate_cs_" + g + "_" + g, "mcpgate_at_" + g + "_",
		"mcpgate_rt_" + g + "_" + strings.Repeat("a", b32Len(refreshGenBytes)),
		"mcpgate_at_" + g + "_" + strings.Repeat("a", b32Len(fixedAccessBytes)),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, gid, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || kind != "" || gid != "" {
				t.Fatalf("Parse(%q) = %q, %q, %v", s, kind, gid, err)
			}
			return
		}
		switch kind {
		case KindClientSecret:
			if gid != "" || len(s) != 63 {
				t.Fatalf("Parse(%q) accepted a client secret with grant %q", s, gid)
			}
		case KindCode, KindAccess, KindRefresh:
			secret := s[len("mcpgate_xx_")+len(gid)+1:]
			if !ValidID(gid) || s != "mcpgate_"+string(kind)+"_"+gid+"_"+secret {
				t.Fatalf("Parse(%q) = %q, %q: inconsistent", s, kind, gid)
			}
			if n := len(secret); n != secretChars && (kind != KindRefresh || n != b32Len(refreshGenBytes)) && (kind != KindAccess || n != b32Len(fixedAccessBytes)) {
				t.Fatalf("Parse(%q) accepted a %s secret of %d characters", s, kind, n)
			}
		default:
			t.Fatalf("Parse(%q) returned unknown kind %q", s, kind)
		}
	})
}

// TestFixedAccessHint: MintPair marks access tokens with a fixed lifetime
// and only those; the hint is read from access tokens only.
func TestFixedAccessHint(t *testing.T) {
	k, err := NewKeyring([]byte("current secret, at least 32 bytes long"))
	if err != nil {
		t.Fatal(err)
	}
	g := Grant{ID: NewID(), UserID: "github:1"}
	pair := func(p Policy) Pair {
		t.Helper()
		out, err := k.MintPair(PairSpec{Grant: g, Key: NewDataKey(), Now: time.Now(), AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour, Policy: p})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	fixed, sliding := pair(Policy{}), pair(Policy{IdleTimeout: time.Hour})
	marked := "mcpgate_at_" + g.ID + "_" + b32.EncodeToString(append(fixedMarker[:], make([]byte, secretBytes)...))
	unmarked := "mcpgate_at_" + g.ID + "_" + b32.EncodeToString(make([]byte, fixedAccessBytes))
	legacy := "mcpgate_at_" + g.ID + "_" + b32.EncodeToString(append(fixedMarker[:], make([]byte, secretBytes-2)...))
	tests := []struct {
		name  string
		token string
		want  bool
	}{
		{"fixed lifetime", fixed.Access, true},
		{"sliding", sliding.Access, false},
		{"32 bytes", "mcpgate_at_" + g.ID + "_" + b32.EncodeToString(make([]byte, secretBytes)), false},
		{"marked", marked, true},
		{"34 bytes without the marker", unmarked, false},
		{"32 bytes that start like the marker (minted before it)", legacy, false},
		{"a refresh token with the marker (malformed)", "mcpgate_rt" + marked[len("mcpgate_at"):], false},
		{"malformed", marked + "a", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		if got := FixedAccess(tt.token); got != tt.want {
			t.Errorf("%s: FixedAccess = %v, want %v", tt.name, got, tt.want)
		}
	}
	if kind, id, err := Parse(fixed.Access); err != nil || kind != KindAccess || id != g.ID {
		t.Fatalf("Parse(a marked access token) = %q, %q, %v", kind, id, err)
	}
}
