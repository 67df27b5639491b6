package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writePair writes a self-signed certificate and its key into dir.
func writePair(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, keyFile := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	for path, b := range map[string]*pem.Block{cert: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, keyFile
}

func TestValidateTLS(t *testing.T) {
	dir := t.TempDir()
	a, aKey := writePair(t, dir, "a")
	_, bKey := writePair(t, dir, "b")
	tests := []struct {
		name, cert, key string
		problem         string
	}{
		{"off", "", "", ""},
		{"pair", a, aKey, ""},
		{"cert only", a, "", "must be set together"},
		{"key only", "", aKey, "must be set together"},
		{"missing file", filepath.Join(dir, "nope.pem"), aKey, "not a usable certificate and private key"},
		{"mismatched key", a, bKey, "not a usable certificate and private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.TLS = TLSConfig{CertFile: tt.cert, KeyFile: tt.key}
			err := cfg.Validate()
			switch {
			case tt.problem == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
				t.Fatalf("Validate: %v, want a problem containing %q", err, tt.problem)
			}
		})
	}
}

func TestTLSFromEnvironmentAndYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("tls:\n  cert_file: /etc/mcpgate/cert.pem\n  key_file: /etc/mcpgate/key.pem\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, func(name string) string {
		return map[string]string{"MCPGATE_TLS_KEY_FILE": "/run/secrets/key.pem"}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (TLSConfig{CertFile: "/etc/mcpgate/cert.pem", KeyFile: "/run/secrets/key.pem"}); cfg.TLS != want {
		t.Errorf("TLS = %+v, want %+v", cfg.TLS, want)
	}
}
