package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestErrorPage(t *testing.T) {
	p, err := newPages("Example <Gate>")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.errorPage(rec, pageError{Status: http.StatusBadRequest, Title: "Bad <b>thing</b>", Message: `It said "<script>"`, Hint: "Do & retry"})
	resp := rec.Result()
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", resp.StatusCode)
	}
	wantHTMLHeaders(t, resp)
	for _, want := range []string{"Bad &lt;b&gt;thing&lt;/b&gt;", "&lt;script&gt;", "Do &amp; retry", "Example &lt;Gate&gt;", `name="viewport"`, "Error 400"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>", "<b>", "http://", "https://", "<link", "<img"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q (unescaped or external)", bad)
		}
	}
}

func TestHTMLHeadersFormAction(t *testing.T) {
	rec := httptest.NewRecorder()
	setHTMLHeaders(rec, []string{"https://github.com", "http://localhost:3000"})
	want := "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self' https://github.com http://localhost:3000; frame-ancestors 'none'; base-uri 'none'"
	if got := rec.Header().Get("Content-Security-Policy"); got != want {
		t.Fatalf("CSP\n got %s\nwant %s", got, want)
	}
}

func TestEveryHTMLPageForbidsFraming(t *testing.T) {
	s := newTestServer(t, nil)
	c := s.register(authMethodNone, "http://localhost:7777/cb")
	_, challenge := pkce()
	for name, resp := range map[string]*http.Response{
		"consent":         s.browserGet("/authorize", authParams(c, challenge)),
		"unknown client":  s.browserGet("/authorize", nil),
		"expired sign-in": s.browserGet("/oauth/callback/github", nil),
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			wantHTMLHeaders(t, resp)
		})
	}
}
