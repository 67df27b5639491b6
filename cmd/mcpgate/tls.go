package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckInterval is how often, at most, the certificate files are
// stat'ed for a change: a handshake never waits for more than two stats,
// and a renewed certificate is served within this long.
const certCheckInterval = 5 * time.Second

// certReloader serves a certificate and key read from PEM files, re-read
// when either file's modification time or size changes (checked at most
// every interval, on a handshake). A renewal that writes the two files one
// after the other may be seen half done: a pair that does not load keeps
// the last good certificate in service and is tried again at the next
// check, so the server never loses its certificate to a renewal.
type certReloader struct {
	certFile, keyFile string
	interval          time.Duration
	now               func() time.Time
	logger            *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   fileStamp // of the pair in cert
	checked time.Time
}

// fileStamp identifies a version of the two files.
type fileStamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// newCertReloader loads the pair now; an error here stops the start-up.
func newCertReloader(certFile, keyFile string, logger *slog.Logger, now func() time.Time) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, interval: certCheckInterval, now: now, logger: logger}
	stamp, err := r.stat()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	r.cert, r.stamp, r.checked = &cert, stamp, now()
	return r, nil
}

func (r *certReloader) stat() (fileStamp, error) {
	c, err := os.Stat(r.certFile)
	if err != nil {
		return fileStamp{}, fmt.Errorf("TLS certificate: %w", err)
	}
	k, err := os.Stat(r.keyFile)
	if err != nil {
		return fileStamp{}, fmt.Errorf("TLS key: %w", err)
	}
	return fileStamp{certMod: c.ModTime(), keyMod: k.ModTime(), certSize: c.Size(), keySize: k.Size()}, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.checked) >= r.interval {
		r.checked = now
		r.reload()
	}
	return r.cert, nil
}

// reload re-reads the pair when the files changed; r.mu is held.
func (r *certReloader) reload() {
	stamp, err := r.stat()
	if err != nil {
		r.logger.Warn("TLS certificate files unreadable; serving the previous certificate", "error", err)
		return
	}
	if stamp == r.stamp {
		return
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.logger.Warn("TLS certificate files changed but do not load (yet); serving the previous certificate",
			"cert_file", r.certFile, "key_file", r.keyFile, "error", err)
		return
	}
	r.cert, r.stamp = &cert, stamp
	r.logger.Info("TLS certificate reloaded", "cert_file", r.certFile, "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
}

// serverTLSConfig is the listener's TLS configuration: TLS 1.2 or newer,
// HTTP/2 and HTTP/1.1, the certificate from r.
func serverTLSConfig(r *certReloader) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}
