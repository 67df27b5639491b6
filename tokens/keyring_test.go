package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func secret(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func mustKeyring(t *testing.T, current []byte, previous ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(current, previous...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

func TestParseSecret(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789abcdef\xff\xfe")
	long := bytes.Repeat([]byte{0xab}, 64)
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr string
	}{
		{"hex lower", hex.EncodeToString(raw), raw, ""},
		{"hex upper", strings.ToUpper(hex.EncodeToString(raw)), raw, ""},
		{"hex 64 bytes", hex.EncodeToString(long), long, ""},
		{"hex with newline", hex.EncodeToString(raw) + "\n", raw, ""},
		{"base64 std padded", base64.StdEncoding.EncodeToString(raw), raw, ""},
		{"base64 std raw", base64.RawStdEncoding.EncodeToString(raw), raw, ""},
		{"base64 url padded", base64.URLEncoding.EncodeToString(raw), raw, ""},
		{"base64 url raw", base64.RawURLEncoding.EncodeToString(raw), raw, ""},
		{"empty", "", nil, "empty"},
		{"blank", "  \n", nil, "empty"},
		{"hex too short", hex.EncodeToString(raw[:31]), nil, "31 bytes"},
		{"base64 too short", base64.StdEncoding.EncodeToString(raw[:20]), nil, "20 bytes"},
		{"neither", "this is not a secret!", nil, "neither hex nor base64"},
		{"base64 with bad padding", base64.StdEncoding.EncodeToString(raw[:32]) + "=", nil, "neither hex nor base64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSecret(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseSecret error = %v, want one containing %q", err, tc.wantErr)
				}
				if v := strings.TrimSpace(tc.in); v != "" && strings.Contains(err.Error(), v) {
					t.Fatalf("ParseSecret error %q contains the value", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("ParseSecret = %x, %v; want %x", got, err, tc.want)
			}
		})
	}
}

func TestNewKeyringRejectsShortSecrets(t *testing.T) {
	tests := []struct {
		name     string
		current  []byte
		previous [][]byte
	}{
		{"current nil", nil, nil},
		{"current short", secret(1)[:31], nil},
		{"previous short", secret(1), [][]byte{secret(2), secret(3)[:16]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewKeyring(tc.current, tc.previous...); err == nil {
				t.Fatal("NewKeyring accepted a short secret")
			}
		})
	}
}

func TestHashes(t *testing.T) {
	oldK := mustKeyring(t, secret(1))
	newK := mustKeyring(t, secret(2), secret(1))
	tok := Mint(KindAccess, NewID())

	h := newK.Hash(tok)
	if h != newK.Hash(tok) {
		t.Fatal("Hash is not deterministic")
	}
	if strings.Contains(h, tok) || strings.ContainsAny(h, "+/=") || len(h) != 43 {
		t.Fatalf("Hash = %q, want 43 base64url characters", h)
	}
	hs := newK.Hashes(tok)
	if len(hs) != 2 || hs[0] != h || hs[1] != oldK.Hash(tok) {
		t.Fatalf("Hashes = %q, want [current %q, previous %q]", hs, h, oldK.Hash(tok))
	}
	if h == oldK.Hash(tok) {
		t.Fatal("two secrets give the same hash")
	}
	if newK.Hash(Mint(KindAccess, NewID())) == h {
		t.Fatal("two tokens give the same hash")
	}
	if dup := mustKeyring(t, secret(1), secret(1)); len(dup.Hashes(tok)) != 1 {
		t.Fatal("a secret listed twice gives two hashes")
	}
}

func TestHashEqual(t *testing.T) {
	k := mustKeyring(t, secret(1))
	a, b := k.Hash("a"), k.Hash("b")
	tests := []struct {
		x, y string
		want bool
	}{
		{a, a, true},
		{a, b, false},
		{a, a[:len(a)-1], false},
		{"", "", true},
		{a, "", false},
	}
	for _, tc := range tests {
		if got := HashEqual(tc.x, tc.y); got != tc.want {
			t.Errorf("HashEqual(%q, %q) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

func TestCookieKeyPairs(t *testing.T) {
	k := mustKeyring(t, secret(1), secret(2))
	pairs := k.CookieKeyPairs()
	if len(pairs) != 4 {
		t.Fatalf("CookieKeyPairs returned %d keys, want 4", len(pairs))
	}
	for i, p := range pairs {
		want := 64
		if i%2 == 1 {
			want = 32
		}
		if len(p) != want {
			t.Errorf("key %d has %d bytes, want %d", i, len(p), want)
		}
	}
	if bytes.Equal(pairs[0], pairs[2]) || bytes.Equal(pairs[1], pairs[3]) {
		t.Fatal("two secrets give the same cookie keys")
	}
	if first := mustKeyring(t, secret(1)).CookieKeyPairs(); !bytes.Equal(first[0], pairs[0]) {
		t.Fatal("current secret's cookie keys are not first")
	}
	pairs[0][0] ^= 0xff
	if bytes.Equal(k.CookieKeyPairs()[0], pairs[0]) {
		t.Fatal("CookieKeyPairs returned the keyring's own memory")
	}
}

func TestSealWithToken(t *testing.T) {
	k := mustKeyring(t, secret(1))
	g := NewID()
	tok := Mint(KindAccess, g)
	aad := "datakey:" + g
	plain := []byte("32 bytes of data key material...")
	sealed, err := k.sealWithToken(tok, aad, plain)
	if err != nil {
		t.Fatalf("sealWithToken: %v", err)
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed output contains the plaintext")
	}
	got, err := k.openWithToken(tok, aad, sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("openWithToken = %q, %v; want %q", got, err, plain)
	}
	again, _ := k.sealWithToken(tok, aad, plain)
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of the same plaintext are equal (nonce reuse)")
	}

	tests := []struct {
		name   string
		k      *Keyring
		token  string
		aad    string
		sealed []byte
	}{
		{"wrong token", k, Mint(KindAccess, g), aad, sealed},
		{"wrong aad", k, tok, "datakey:" + NewID(), sealed},
		{"wrong secret", mustKeyring(t, secret(2)), tok, aad, sealed},
		{"tampered ciphertext", k, tok, aad, flip(sealed, len(sealed)-1)},
		{"tampered nonce", k, tok, aad, flip(sealed, 10)},
		{"tampered key ID", k, tok, aad, flip(sealed, 1)},
		{"tampered version", k, tok, aad, flip(sealed, 0)},
		{"truncated", k, tok, aad, sealed[:len(sealed)-1]},
		{"header only", k, tok, aad, sealed[:9]},
		{"empty", k, tok, aad, nil},
		{"data-key format", k, tok, aad, mustSealWithKey(t, DataKey{}, aad, plain)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.k.openWithToken(tc.token, tc.aad, tc.sealed)
			if !errors.Is(err, ErrSealBroken) || got != nil {
				t.Fatalf("openWithToken = %q, %v; want ErrSealBroken", got, err)
			}
		})
	}
}

func TestSealWithTokenAfterRotation(t *testing.T) {
	oldK := mustKeyring(t, secret(1))
	tok := Mint(KindRefresh, NewID())
	sealedOld, err := oldK.sealWithToken(tok, "aad", []byte("key"))
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustKeyring(t, secret(2), secret(1))
	got, err := rotated.openWithToken(tok, "aad", sealedOld)
	if err != nil || string(got) != "key" {
		t.Fatalf("rotated keyring opening an old seal = %q, %v", got, err)
	}
	sealedNew, err := rotated.sealWithToken(tok, "aad", []byte("key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oldK.openWithToken(tok, "aad", sealedNew); !errors.Is(err, ErrSealBroken) {
		t.Fatalf("old keyring opened a seal made under the new secret: %v", err)
	}
	if got, err := mustKeyring(t, secret(2)).openWithToken(tok, "aad", sealedNew); err != nil || string(got) != "key" {
		t.Fatalf("new seal did not use the current secret: %q, %v", got, err)
	}
	retired := mustKeyring(t, secret(2))
	if _, err := retired.openWithToken(tok, "aad", sealedOld); !errors.Is(err, ErrSealBroken) {
		t.Fatalf("keyring without the old secret opened an old seal: %v", err)
	}
}

func mustSealWithKey(t *testing.T, dk DataKey, aad string, plain []byte) []byte {
	t.Helper()
	s, err := sealWithKey(dk, aad, plain)
	if err != nil {
		t.Fatalf("sealWithKey: %v", err)
	}
	return s
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x01
	return out
}

func TestSealWithKey(t *testing.T) {
	dk := NewDataKey()
	if dk == (DataKey{}) || dk == NewDataKey() {
		t.Fatal("NewDataKey is not random")
	}
	g := NewID()
	aad := "upstream:" + g
	plain := []byte(`{"access_token":"gho_x","refresh_token":"ghr_y"}`)
	sealed := mustSealWithKey(t, dk, aad, plain)
	if bytes.Contains(sealed, []byte("gho_x")) {
		t.Fatal("sealed output contains the plaintext")
	}
	got, err := openWithKey(dk, aad, sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("openWithKey = %q, %v", got, err)
	}
	empty := mustSealWithKey(t, dk, aad, nil)
	if got, err := openWithKey(dk, aad, empty); err != nil || len(got) != 0 {
		t.Fatalf("openWithKey of an empty plaintext = %q, %v", got, err)
	}

	k := mustKeyring(t, secret(1))
	tokenSealed, _ := k.sealWithToken("t", aad, plain)
	tests := []struct {
		name   string
		dk     DataKey
		aad    string
		sealed []byte
	}{
		{"wrong key", NewDataKey(), aad, sealed},
		{"wrong aad", dk, "upstream:" + NewID(), sealed},
		{"tampered ciphertext", dk, aad, flip(sealed, len(sealed)-1)},
		{"tampered nonce", dk, aad, flip(sealed, 1)},
		{"tampered version", dk, aad, flip(sealed, 0)},
		{"truncated", dk, aad, sealed[:20]},
		{"empty", dk, aad, nil},
		{"token-wrap format", dk, aad, tokenSealed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := openWithKey(tc.dk, tc.aad, tc.sealed)
			if !errors.Is(err, ErrSealBroken) || got != nil {
				t.Fatalf("openWithKey = %q, %v; want ErrSealBroken", got, err)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	k := mustKeyring(t, secret(0x41), secret(0x42))
	dk := NewDataKey()
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "keyring", k, "datakey", dk)
	outputs := []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k),
		fmt.Sprint(dk), fmt.Sprintf("%v %+v %#v %s %x", dk, dk, dk, dk, dk),
		logged.String(),
	}
	leaks := []string{"AAAA", "BBBB", hex.EncodeToString(dk[:8])}
	for _, out := range outputs {
		if !strings.Contains(out, "redacted") {
			t.Errorf("output %q is not redacted", out)
		}
		for _, leak := range leaks {
			if strings.Contains(out, leak) {
				t.Errorf("output %q contains key material %q", out, leak)
			}
		}
	}
}
