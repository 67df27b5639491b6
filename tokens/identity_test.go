package tokens

import (
	"bytes"
	"testing"
)

func TestIdentityKeysAreDeterministicPerSecret(t *testing.T) {
	a := bytes.Repeat([]byte{1}, 32)
	b := bytes.Repeat([]byte{2}, 32)
	k1, _ := NewKeyring(a)
	k2, _ := NewKeyring(a)
	rotated, _ := NewKeyring(b, a)
	other, _ := NewKeyring(b)
	if !k1.IdentityKeys()[0].Private.Equal(k2.IdentityKeys()[0].Private) || k1.IdentityKeys()[0].ID != k2.IdentityKeys()[0].ID {
		t.Fatal("two replicas with one secret derive different identity keys")
	}
	if k1.IdentityKeys()[0].Private.Equal(other.IdentityKeys()[0].Private) || k1.IdentityKeys()[0].ID == other.IdentityKeys()[0].ID {
		t.Fatal("two secrets derive the same identity key")
	}
	rk := rotated.IdentityKeys()
	if len(rk) != 2 || !rk[1].Private.Equal(k1.IdentityKeys()[0].Private) || !rk[0].Private.Equal(other.IdentityKeys()[0].Private) {
		t.Fatal("after rotation the current key must come first and the previous one stay published")
	}
}
