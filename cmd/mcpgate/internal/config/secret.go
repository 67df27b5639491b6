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
