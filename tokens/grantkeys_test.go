package tokens

import (
	"bytes"
	"errors"
	"testing"
)

// TestDataKeyWrapFlow is the flow doc.go describes: the data key travels
// wrapped under the code, then under the access and refresh tokens, and
// opens the grant's upstream token at the end.
func TestDataKeyWrapFlow(t *testing.T) {
	k := mustKeyring(t, secret(1))
	g := NewID()
	dk := NewDataKey()
	sealedUpstream, err := SealUpstream(dk, g, []byte("upstream token"))
	if err != nil {
		t.Fatalf("SealUpstream: %v", err)
	}
	code := Mint(KindCode, g)
	wrapped, err := k.WrapGrantKey(code, g, dk)
	if err != nil {
		t.Fatalf("WrapGrantKey: %v", err)
	}
	access := Mint(KindAccess, g)
	fromCode, err := k.UnwrapGrantKey(code, g, wrapped)
	if err != nil {
		t.Fatalf("UnwrapGrantKey(code): %v", err)
	}
	rewrapped, err := k.WrapGrantKey(access, g, fromCode)
	if err != nil {
		t.Fatalf("WrapGrantKey(access): %v", err)
	}
	got, err := k.UnwrapGrantKey(access, g, rewrapped)
	if err != nil || got != dk {
		t.Fatalf("UnwrapGrantKey(access) = %v; want the grant's data key", err)
	}
	plain, err := OpenUpstream(got, g, sealedUpstream)
	if err != nil || string(plain) != "upstream token" {
		t.Fatalf("upstream token after re-wrapping = %q, %v", plain, err)
	}
	if _, err := k.UnwrapGrantKey(code, g, rewrapped); !errors.Is(err, ErrSealBroken) {
		t.Fatal("the code opens the key wrapped for the access token")
	}
}

// TestGrantSealsAreBound checks that each purpose-named seal opens only for
// its own purpose, grant and token: a ciphertext moved to another grant, or
// presented as another kind of value, is ErrSealBroken.
func TestGrantSealsAreBound(t *testing.T) {
	k := mustKeyring(t, secret(1))
	g, other := NewID(), NewID()
	rt := Mint(KindRefresh, g)
	dk := NewDataKey()
	wrapped, err := k.WrapGrantKey(rt, g, dk)
	if err != nil {
		t.Fatal(err)
	}
	grace, err := k.SealGrace(rt, g, []byte(`{"access_token":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	up, err := SealUpstream(dk, g, []byte(`{"access_token":"gho_x"}`))
	if err != nil {
		t.Fatal(err)
	}
	// A 32-byte grace response has the length of a data key: only the
	// associated data tells the two apart.
	grace32, err := k.SealGrace(rt, g, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		open func() error
	}{
		{"data key under another grant", func() error { _, err := k.UnwrapGrantKey(rt, other, wrapped); return err }},
		{"data key under another token", func() error { _, err := k.UnwrapGrantKey(Mint(KindRefresh, g), g, wrapped); return err }},
		{"grace response as a data key", func() error { _, err := k.UnwrapGrantKey(rt, g, grace32); return err }},
		{"data key as a grace response", func() error { _, err := k.OpenGrace(rt, g, wrapped); return err }},
		{"grace response of another grant", func() error { _, err := k.OpenGrace(rt, other, grace); return err }},
		{"upstream token of another grant", func() error { _, err := OpenUpstream(dk, other, up); return err }},
		{"upstream token under another data key", func() error { _, err := OpenUpstream(NewDataKey(), g, up); return err }},
		{"token wrap as an upstream token", func() error { _, err := OpenUpstream(dk, g, wrapped); return err }},
		{"upstream token as a data key", func() error { _, err := k.UnwrapGrantKey(rt, g, up); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.open(); !errors.Is(err, ErrSealBroken) {
				t.Fatalf("opened: %v; want ErrSealBroken", err)
			}
		})
	}

	if body, err := k.OpenGrace(rt, g, grace); err != nil || string(body) != `{"access_token":"x"}` {
		t.Fatalf("OpenGrace = %q, %v", body, err)
	}
}

// TestUnwrapGrantKeyWrongLength: a wrap that opens but does not hold a
// data key (here: made with the right purpose and 16 bytes) is refused.
func TestUnwrapGrantKeyWrongLength(t *testing.T) {
	k := mustKeyring(t, secret(1))
	g := NewID()
	at := Mint(KindAccess, g)
	for _, n := range []int{0, 16, 31, 33} {
		short, err := k.sealWithToken(at, aadDataKey+g, make([]byte, n))
		if err != nil {
			t.Fatal(err)
		}
		if dk, err := k.UnwrapGrantKey(at, g, short); !errors.Is(err, ErrSealBroken) || dk != (DataKey{}) {
			t.Errorf("%d-byte plaintext: UnwrapGrantKey = %v; want ErrSealBroken and a zero key", n, err)
		}
	}
}
