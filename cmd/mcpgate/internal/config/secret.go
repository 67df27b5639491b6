package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"go.yaml.in/yaml/v3"

	"github.com/mcpgate/mcpgate/tokens"
)

// Secret holds secret material: a server secret, a client secret, a password
// or a URL that may carry one. Every way of printing, logging or encoding it
// (fmt verbs, slog, JSON, YAML) yields "[redacted]", or "" when it is empty;
// only Reveal and Bytes give the value.
type Secret struct {
	value string
}

const redacted = "[redacted]"

// NewSecret wraps a secret value, e.g. in code that builds a Config.
func NewSecret(value string) Secret { return Secret{value: value} }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// Reveal returns the secret as written, for the one place that must use it
// (an OAuth client secret, a Redis password). Never log it.
func (s Secret) Reveal() string { return s.value }

// Bytes decodes a server secret (MCPGATE_SECRET, MCPGATE_PREVIOUS_SECRETS)
// with tokens.ParseSecret: hex or base64, at least 32 bytes. It returns nil
// for an empty secret, and also for an invalid one, which Validate reports:
// call it only on a validated Config.
func (s Secret) Bytes() []byte {
	if s.value == "" {
		return nil
	}
	b, err := tokens.ParseSecret(s.value)
	if err != nil {
		return nil
	}
	return b
}

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// GoString is String, so %#v does not reveal the value either.
func (s Secret) GoString() string { return s.String() }

// Format prints String for every verb (%v, %+v, %#v, %s, %q, %x, %d…).
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue makes slog print String.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes String.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML encodes String.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// UnmarshalYAML reads a secret from a YAML string scalar.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a secret must be a string", n.Line)
	}
	s.value = n.Value
	return nil
}

// minDistinctBytes is the fewest distinct byte values a server secret may
// have. 32 random bytes have about 30 (the chance of fewer than 16 is below
// 10^-20), so a secret under it was not drawn at random.
const minDistinctBytes = 16

// weakSecret says why a decoded server secret is obviously not random (one
// byte repeated, a short pattern repeated, a counting sequence, too few
// distinct bytes, or printable text such as a word or phrase), or "" when
// nothing gives it away. It refuses what a person types instead of
// `openssl rand -hex 32`; it cannot prove a secret random. The reasons
// never contain the value.
func weakSecret(b []byte) string {
	if p := period(b); p <= len(b)/2 {
		if p == 1 {
			return "it is one byte repeated"
		}
		return fmt.Sprintf("it repeats a %d-byte pattern", p)
	}
	if counting(b) {
		return "it is a counting sequence"
	}
	if printable(b) {
		return "it is printable text (a word or phrase), not random bytes"
	}
	seen := map[byte]bool{}
	for _, c := range b {
		seen[c] = true
	}
	if len(seen) < minDistinctBytes {
		return fmt.Sprintf("it has only %d distinct byte values (random bytes have about 30)", len(seen))
	}
	return ""
}

// period is the length of the shortest pattern whose repetition is b.
func period(b []byte) int {
	for p := 1; p < len(b); p++ {
		repeats := true
		for i := p; i < len(b); i++ {
			if b[i] != b[i-p] {
				repeats = false
				break
			}
		}
		if repeats {
			return p
		}
	}
	return len(b)
}

// counting reports whether consecutive bytes differ by one constant step.
func counting(b []byte) bool {
	if len(b) < 3 {
		return false
	}
	step := b[1] - b[0]
	for i := 2; i < len(b); i++ {
		if b[i]-b[i-1] != step {
			return false
		}
	}
	return true
}

// printable reports whether every byte is printable ASCII.
func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
