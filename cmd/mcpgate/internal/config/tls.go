package config

import (
	"crypto/tls"
	"fmt"
)

// TLSConfig is optional direct TLS, for a deployment without a reverse
// proxy: mcpgate then serves HTTPS on Addr with this certificate, re-read
// when the files change (a renewal by certbot or cert-manager needs no
// restart). Behind a proxy that terminates TLS leave it empty: nothing
// changes there. Both files are PEM; the certificate file holds the chain,
// leaf first.
type TLSConfig struct {
	// CertFile is the certificate (chain) file. MCPGATE_TLS_CERT_FILE.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the private key file. MCPGATE_TLS_KEY_FILE.
	KeyFile string `yaml:"key_file"`
}

// Enabled reports whether direct TLS is configured.
func (t TLSConfig) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// validateTLS checks that both files are named and that they hold a
// matching certificate and key now (a reload later keeps the last good
// pair when they do not).
func (c *Config) validateTLS(p *problems) {
	t := c.TLS
	switch {
	case !t.Enabled():
	case t.CertFile == "" || t.KeyFile == "":
		p.add("MCPGATE_TLS_CERT_FILE and MCPGATE_TLS_KEY_FILE must be set together (both PEM files), or neither behind a TLS-terminating proxy")
	default:
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			p.add("MCPGATE_TLS_CERT_FILE %s and MCPGATE_TLS_KEY_FILE %s: %v", t.CertFile, t.KeyFile, tlsProblem(err))
		}
	}
}

// tlsProblem phrases a key pair error; crypto/tls's messages never
// contain key material.
func tlsProblem(err error) string {
	return fmt.Sprintf("not a usable certificate and private key: %v", err)
}
