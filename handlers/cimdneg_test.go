package handlers

import (
	"net/http"
	"testing"
	"time"
)

// TestCIMDNegativeCache: a document that cannot be used is not fetched
// again for cimdNegativeTTL (a flood of /authorize requests naming a
// failing or invalid document costs one fetch per TTL, not one each), and
// is fetched again after it, when a fixed document takes effect.
func TestCIMDNegativeCache(t *testing.T) {
	tests := []struct {
		name   string
		broken cimdDoc
		phrase string
	}{
		{"not found", cimdDoc{status: http.StatusNotFound, body: "no"}, ""},
		{"invalid JSON", cimdDoc{body: "{not json"}, ""},
		{"server error", cimdDoc{status: http.StatusBadGateway, body: "down"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newCIMDDocServer(t)
			path := "/clients/app.json"
			docURL := d.serve(path, tt.broken)
			s := newCIMDServer(t, d)
			get := func() *http.Response {
				_, challenge := pkce()
				return s.browserGet("/authorize", authParams(cimdClient(docURL, cimdAppRedirect), challenge))
			}
			for range 3 {
				if resp := get(); resp.StatusCode == http.StatusOK {
					t.Fatalf("a broken document was accepted")
				}
			}
			if n := d.fetchCount(path); n != 1 {
				t.Fatalf("a failing document was fetched %d times within the negative TTL, want 1", n)
			}
			d.serveFile(t, path, "app.json", "")
			s.clock.Advance(cimdNegativeTTL + time.Second)
			if resp := get(); resp.StatusCode != http.StatusOK {
				t.Fatalf("after the negative TTL the fixed document is not used: %d %s", resp.StatusCode, readBody(t, resp))
			}
			if n := d.fetchCount(path); n != 2 {
				t.Fatalf("fetched %d times, want 2", n)
			}
		})
	}
}
