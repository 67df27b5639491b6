package config

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// Issue 10 item 8: an MCPGATE_SECRET that is obviously not random is
// refused at start-up with a message that says why (and never the value);
// random ones, including the tests' fixed one, pass.
func TestWeakServerSecretRefused(t *testing.T) {
	counting := make([]byte, 32)
	for i := range counting {
		counting[i] = byte(i)
	}
	fewDistinct := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 4)
	fewDistinct[5], fewDistinct[17] = 11, 12 // no period, no step
	tests := []struct {
		name, secret, want string
	}{
		{"all zero", strings.Repeat("00", 32), "one byte repeated"},
		{"one byte", strings.Repeat("ab", 32), "one byte repeated"},
		{"short pattern", strings.Repeat("deadbeef", 8), "repeats a 4-byte pattern"},
		{"half repeated", hex.EncodeToString(bytes.Repeat([]byte("0123456789abcdef"), 2)), "repeats a 16-byte pattern"},
		{"counting", hex.EncodeToString(counting), "counting sequence"},
		{"phrase in base64", base64.StdEncoding.EncodeToString([]byte("correct horse battery staple mcpgate!")), "printable text"},
		{"few distinct bytes", hex.EncodeToString(fewDistinct), "distinct byte values"},
		{"random", testSecret, ""},
		{"random base64", "q1P8l0m7Xv2cJt9Rz4Kb6NwYe3Hs5Ua+Gd0Fo8Li1Q4=", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Secret = NewSecret(tc.secret)
			err := cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate refused a random secret: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "MCPGATE_SECRET is not random")):
				t.Fatalf("Validate = %v, want an error saying %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), tc.secret):
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
}
