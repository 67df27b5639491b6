package tokens

import (
	"errors"
	"testing"
)

func TestSessionIDSeal(t *testing.T) {
	secret := make([]byte, 32)
	other := make([]byte, 32)
	other[0] = 1
	k, err := NewKeyring(secret)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := NewKeyring(other, secret)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := NewKeyring(other)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.SealSessionID("github", "github:1", "backend-session-1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		keys             *Keyring
		backend, user, s string
		want             string
	}{
		{"same binding", k, "github", "github:1", sealed, "backend-session-1"},
		{"after rotation", rotated, "github", "github:1", sealed, "backend-session-1"},
		{"another person", k, "github", "github:2", sealed, ""},
		{"another backend", k, "jira", "github:1", sealed, ""},
		{"unknown secret", stranger, "github", "github:1", sealed, ""},
		{"not base64", k, "github", "github:1", "%%%", ""},
		{"truncated", k, "github", "github:1", sealed[:10], ""},
		{"backend ID itself", k, "github", "github:1", "backend-session-1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.keys.OpenSessionID(tt.backend, tt.user, tt.s)
			if tt.want == "" {
				if !errors.Is(err, ErrSealBroken) {
					t.Fatalf("OpenSessionID = %q, %v; want ErrSealBroken", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("OpenSessionID = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
