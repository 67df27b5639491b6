package safehttp

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// docServer is a local TLS server with one handler per path; it counts
// requests.
type docServer struct {
	*httptest.Server
	requests atomic.Int64
}

func newDocServer(t *testing.T, routes map[string]http.HandlerFunc) *docServer {
	t.Helper()
	s := &docServer{}
	mux := http.NewServeMux()
	for path, h := range routes {
		mux.HandleFunc(path, h)
	}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *docServer) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return pool
}

// testClient trusts s and may reach loopback (test only).
func (s *docServer) testClient(opts Options) *Client {
	opts.AllowLoopback = true
	opts.RootCAs = s.roots()
	return New(opts)
}

func jsonDoc(body string, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "max-age=600")
		w.Write([]byte(body))
	}
}

func TestGetDocument(t *testing.T) {
	var gotHeaders http.Header
	s := newDocServer(t, map[string]http.HandlerFunc{
		"/doc.json": func(w http.ResponseWriter, r *http.Request) {
			gotHeaders = r.Header.Clone()
			jsonDoc(`{"ok":true}`, "application/json; charset=utf-8")(w, r)
		},
	})
	body, header, err := s.testClient(Options{}).Get(context.Background(), s.URL+"/doc.json")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(body) != `{"ok":true}` || header.Get("Cache-Control") != "max-age=600" {
		t.Fatalf("body %q, headers %v", body, header)
	}
	if gotHeaders.Get("Accept") != "application/json" || gotHeaders.Get("User-Agent") != DefaultUserAgent {
		t.Errorf("request headers %v", gotHeaders)
	}
	for _, h := range []string{"Authorization", "Cookie"} {
		if gotHeaders.Get(h) != "" {
			t.Errorf("request carried %s", h)
		}
	}
}

func TestGetRefusals(t *testing.T) {
	big := `{"pad":"` + strings.Repeat("x", 2000) + `"}`
	s := newDocServer(t, map[string]http.HandlerFunc{
		"/redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/doc.json", http.StatusFound)
		},
		"/doc.json": jsonDoc(`{}`, "application/json"),
		"/big":      jsonDoc(big, "application/json"),
		"/big-chunked": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			for range 10 {
				w.Write([]byte(strings.Repeat(" ", 500)))
				w.(http.Flusher).Flush() // no Content-Length: the cap must hold while reading
			}
		},
		"/html":    jsonDoc(`<html>challenge</html>`, "text/html; charset=utf-8"),
		"/no-type": func(w http.ResponseWriter, r *http.Request) { w.Header()["Content-Type"] = nil; w.Write([]byte(`{}`)) },
		"/jsonish": jsonDoc(`{}`, "application/jsonp"),
		"/forbidden": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
		},
	})
	client := s.testClient(Options{MaxBytes: 1024})
	tests := []struct {
		name string
		url  string
		want error
	}{
		{"redirect refused", s.URL + "/redirect", ErrRedirect},
		{"oversize refused (Content-Length)", s.URL + "/big", ErrTooLarge},
		{"oversize refused (chunked)", s.URL + "/big-chunked", ErrTooLarge},
		{"wrong content type", s.URL + "/html", ErrContentType},
		{"missing content type", s.URL + "/no-type", ErrContentType},
		{"similar content type", s.URL + "/jsonish", ErrContentType},
		{"status other than 200", s.URL + "/forbidden", ErrStatus},
		{"http scheme", strings.Replace(s.URL, "https://", "http://", 1) + "/doc.json", ErrNotHTTPS},
		{"relative URL", "/doc.json", ErrNotHTTPS},
		{"no host", "https:///doc.json", ErrNotHTTPS},
		{"user info", strings.Replace(s.URL, "https://", "https://user:pass@", 1) + "/doc.json", ErrCredentials},
		{"unparsable", "https://[::1", ErrNotHTTPS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _, err := client.Get(context.Background(), tt.url)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Get(%s) = %q, %v; want %v", tt.url, body, err, tt.want)
			}
			if body != nil {
				t.Errorf("a refused fetch returned a body")
			}
		})
	}
	// The redirect target was never requested: only the 302 itself.
	if n := s.requests.Load(); n != int64(len(tests)-5) {
		t.Errorf("server saw %d requests, want %d (one per fetch that reached it, no redirect followed)", n, len(tests)-5)
	}
}

func TestGetRefusesLoopbackByDefault(t *testing.T) {
	s := newDocServer(t, map[string]http.HandlerFunc{"/doc.json": jsonDoc(`{}`, "application/json")})
	_, port, err := net.SplitHostPort(s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client := New(Options{RootCAs: s.roots()}) // AllowLoopback false: the production policy
	for _, u := range []string{
		s.URL + "/doc.json",
		"https://localhost:" + port + "/doc.json", // a name that resolves to loopback is refused at dial time
		"https://[::ffff:127.0.0.1]:" + port + "/doc.json",
	} {
		t.Run(u, func(t *testing.T) {
			_, _, err := client.Get(context.Background(), u)
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("Get(%s) = %v, want ErrForbiddenAddress", u, err)
			}
		})
	}
	if n := s.requests.Load(); n != 0 {
		t.Fatalf("the loopback server was reached %d times", n)
	}
}

func TestGetTimesOut(t *testing.T) {
	release := make(chan struct{})
	s := newDocServer(t, map[string]http.HandlerFunc{
		// The handlers wait for the test's end only, not for the request's
		// context: a handler that returned when the client went away would
		// finish the chunked body, and a client racing its own time-out
		// could read that end as a complete (short) document.
		"/slow": func(w http.ResponseWriter, r *http.Request) {
			<-release
		},
		"/slow-body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"a":`))
			w.(http.Flusher).Flush()
			<-release
		},
	})
	t.Cleanup(func() { close(release) }) // runs before s.Close (cleanups are LIFO)
	client := s.testClient(Options{Timeout: 200 * time.Millisecond})
	for _, path := range []string{"/slow", "/slow-body"} {
		t.Run(path, func(t *testing.T) {
			_, _, err := client.Get(context.Background(), s.URL+path)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("Get(%s) = %v, want a timeout", path, err)
			}
		})
	}
}

func TestGetHonoursContext(t *testing.T) {
	s := newDocServer(t, map[string]http.HandlerFunc{"/doc.json": jsonDoc(`{}`, "application/json")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.testClient(Options{}).Get(ctx, s.URL+"/doc.json"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled context = %v", err)
	}
}

func TestNewClientPolicy(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	s := newDocServer(t, map[string]http.HandlerFunc{"/doc.json": jsonDoc(`{}`, "application/json")})
	c := NewClient(Options{AllowLoopback: true, RootCAs: s.roots()})
	if c.Jar != nil || c.Timeout != DefaultTimeout || c.CheckRedirect == nil {
		t.Fatalf("client %+v", c)
	}
	// The proxy from the environment is ignored: the request reaches the server directly.
	resp, err := c.Get(s.URL + "/doc.json")
	if err != nil {
		t.Fatalf("Get through an environment proxy setting: %v", err)
	}
	resp.Body.Close()

	// Credentials are refused even on a hand-built request.
	for _, h := range []string{"Authorization", "Cookie"} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/doc.json", nil)
		req.Header.Set(h, "secret")
		if _, err := c.Do(req); !errors.Is(err, ErrCredentials) {
			t.Errorf("request with %s: %v", h, err)
		}
	}
	if _, err := c.Get(strings.Replace(s.URL, "https://", "http://", 1)); !errors.Is(err, ErrNotHTTPS) {
		t.Errorf("http request: %v", err)
	}
	c.CloseIdleConnections()
}

func TestStatusErrorTemporary(t *testing.T) {
	for code, want := range map[int]bool{403: false, 404: false, 410: false, 429: true, 500: true, 502: true, 503: true} {
		err := error(&StatusError{Code: code})
		if !errors.Is(err, ErrStatus) {
			t.Errorf("%d: not ErrStatus", code)
		}
		if got := err.(*StatusError).Temporary(); got != want {
			t.Errorf("%d: Temporary() = %v, want %v", code, got, want)
		}
	}
}
