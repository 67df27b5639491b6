package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 with common
// name cn, valid for an hour, and its key, to certFile and keyFile,
// stamped with mod.
func selfSigned(t *testing.T, cn, certFile, keyFile string, mod time.Time) {
	t.Helper()
	selfSignedUntil(t, cn, certFile, keyFile, mod, time.Now().Add(time.Hour))
}

// selfSignedUntil is selfSigned with the certificate valid until notAfter.
func selfSignedUntil(t *testing.T, cn, certFile, keyFile string, mod, notAfter time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, certFile, "CERTIFICATE", der, mod)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER, mod)
}

func writePEM(t *testing.T, path, typ string, der []byte, mod time.Time) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mod, mod); err != nil {
		t.Fatal(err)
	}
}

// manualClock is a clock the test moves.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestTLSReload serves HTTPS with a certificate from files, replaces the
// files, and sees the new certificate on the next connection once the
// check interval has passed; a half-written renewal keeps the old one.
func TestTLSReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	mod := time.Now().Add(-time.Hour).Truncate(time.Second)
	selfSigned(t, "first", certFile, keyFile, mod)

	clock := &manualClock{t: time.Now()}
	certs, err := newCertReloader(certFile, keyFile, slog.New(slog.DiscardHandler), clock.now)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })
	go func() {
		served <- serveHTTP(ctx, tls.NewListener(ln, serverTLSConfig(certs)), h, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-served:
		case <-time.After(30 * time.Second):
			t.Error("serveHTTP did not return within 30s of its context ending")
		}
	})
	url := "https://" + ln.Addr().String() + "/"

	// get makes a new connection and returns the served certificate's
	// common name and the protocol the handler saw.
	get := func(maxVersion uint16) (string, string) {
		t.Helper()
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true, MaxVersion: maxVersion},
			ForceAttemptHTTP2: true,
			DisableKeepAlives: true,
		}}
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.TLS.PeerCertificates[0].Subject.CommonName, string(body)
	}

	if cn, proto := get(0); cn != "first" || proto != "HTTP/2.0" {
		t.Fatalf("served %q over %s, want first over HTTP/2.0", cn, proto)
	}
	if cn, _ := get(tls.VersionTLS12); cn != "first" {
		t.Fatalf("TLS 1.2: served %q", cn)
	}

	// TLS 1.1 is refused.
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11})
	if err == nil {
		conn.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}

	// Renewal: new files. Before the interval passes, the cached pair.
	selfSigned(t, "second", certFile, keyFile, mod.Add(time.Minute))
	if cn, _ := get(0); cn != "first" {
		t.Fatalf("served %q before the check interval passed", cn)
	}
	clock.add(certCheckInterval)
	if cn, _ := get(0); cn != "second" {
		t.Fatalf("served %q after the files changed, want second", cn)
	}

	// A renewal caught half way (a new certificate, the old key) keeps
	// "second" in service, and the complete pair is picked up later.
	third, thirdKey := filepath.Join(dir, "third.pem"), filepath.Join(dir, "third-key.pem")
	selfSigned(t, "third", third, thirdKey, mod.Add(2*time.Minute))
	copyFile(t, third, certFile, mod.Add(2*time.Minute))
	clock.add(certCheckInterval)
	if cn, _ := get(0); cn != "second" {
		t.Fatalf("served %q with a mismatched pair on disk, want the previous certificate", cn)
	}
	copyFile(t, thirdKey, keyFile, mod.Add(2*time.Minute))
	clock.add(certCheckInterval)
	if cn, _ := get(0); cn != "third" {
		t.Fatalf("served %q after the renewal completed, want third", cn)
	}

	// Files gone: the last good certificate stays.
	os.Remove(certFile)
	clock.add(certCheckInterval)
	if cn, _ := get(0); cn != "third" {
		t.Fatalf("served %q with the files gone", cn)
	}
}

func copyFile(t *testing.T, from, to string, mod time.Time) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(to, mod, mod); err != nil {
		t.Fatal(err)
	}
}

func TestNewCertReloaderErrors(t *testing.T) {
	dir := t.TempDir()
	a, aKey := filepath.Join(dir, "a.pem"), filepath.Join(dir, "a-key.pem")
	b, bKey := filepath.Join(dir, "b.pem"), filepath.Join(dir, "b-key.pem")
	selfSigned(t, "a", a, aKey, time.Now())
	selfSigned(t, "b", b, bKey, time.Now())
	for _, tt := range []struct{ cert, key string }{
		{filepath.Join(dir, "missing.pem"), aKey},
		{a, filepath.Join(dir, "missing.pem")},
		{a, bKey},    // not a pair
		{aKey, aKey}, // a key is no certificate
	} {
		if _, err := newCertReloader(tt.cert, tt.key, slog.New(slog.DiscardHandler), time.Now); err == nil {
			t.Errorf("newCertReloader(%s, %s) succeeded", filepath.Base(tt.cert), filepath.Base(tt.key))
		}
	}
}

// TestServeCommandTLS: MCPGATE_TLS_CERT_FILE and MCPGATE_TLS_KEY_FILE make
// `mcpgate serve` answer HTTPS with that certificate.
func TestServeCommandTLS(t *testing.T) {
	clearConfigEnv(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	selfSigned(t, "served", certFile, keyFile, time.Now())
	addr := closedAddr(t)
	for name, v := range map[string]string{
		"MCPGATE_TLS_CERT_FILE": certFile, "MCPGATE_TLS_KEY_FILE": keyFile, "MCPGATE_ADDR": addr,
		"MCPGATE_PUBLIC_URL": "https://" + addr, "GITHUB_CLIENT_ID": "id", "GITHUB_CLIENT_SECRET": "secret",
	} {
		t.Setenv(name, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, io.Discard, io.Discard) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s")
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if cn := resp.TLS.PeerCertificates[0].Subject.CommonName; resp.StatusCode != http.StatusOK || cn != "served" {
				t.Fatalf("GET /healthz: %d with certificate %q", resp.StatusCode, cn)
			}
			return
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTPS answer from serve within 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
