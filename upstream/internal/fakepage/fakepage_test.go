package fakepage

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	tmpl := template.Must(template.New("p").Parse(`{{if .Error}}error: {{.Error}}{{else}}{{.AppName}}{{range .Users}} [{{.}}]{{end}} {{.Request}}{{end}}`))
	tests := []struct {
		name   string
		status int
		data   Data[string]
		want   string
	}{
		{"sign-in", http.StatusOK, Data[string]{AppName: "App", Users: []string{"mona", "<hubot>"}, Request: "r1"}, "App [mona] [&lt;hubot&gt;] r1"},
		{"error", http.StatusBadRequest, Data[string]{Error: `bad "x"`}, "error: bad &#34;x&#34;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, tt.status, tmpl, tt.data)
			if rec.Code != tt.status || rec.Body.String() != tt.want {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tt.status, tt.want)
			}
			for name, want := range map[string]string{
				"Content-Type":            "text/html; charset=utf-8",
				"Cache-Control":           "no-store",
				"X-Frame-Options":         "DENY",
				"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
				"Referrer-Policy":         "no-referrer",
			} {
				if got := rec.Header().Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("a", maxQuoted+5)
	tests := []struct{ in, want string }{
		{"", `""`},
		{"client-1", `"client-1"`},
		{long[:maxQuoted], `"` + long[:maxQuoted] + `"`},
		{long, `"` + long[:maxQuoted] + `…"`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedirect(t *testing.T) {
	tests := []struct {
		name, redirectURI, state string
		params                   map[string][]string
		want                     string
	}{
		{"code and state", "http://127.0.0.1:9/cb", "st", map[string][]string{"code": {"c1"}}, "http://127.0.0.1:9/cb?code=c1&state=st"},
		{"the client's own query is kept", "https://app.example/cb?tenant=a", "", map[string][]string{"error": {"access_denied"}}, "https://app.example/cb?error=access_denied&tenant=a"},
		{"state overrides a state in the URI", "http://127.0.0.1:9/cb?state=old", "new", nil, "http://127.0.0.1:9/cb?state=new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Redirect(rec, httptest.NewRequest(http.MethodGet, "/authorize", nil), tt.redirectURI, tt.state, tt.params)
			if rec.Code != http.StatusFound || rec.Header().Get("Location") != tt.want {
				t.Errorf("got %d %q, want 302 %q", rec.Code, rec.Header().Get("Location"), tt.want)
			}
		})
	}
}

func TestParseRedirectURI(t *testing.T) {
	tests := []struct {
		raw string
		ok  bool
	}{
		{"http://127.0.0.1:9/cb", true},
		{"https://app.example/cb?x=1", true},
		{"", false},
		{"/cb", false},
		{"ftp://app.example/cb", false},
		{"javascript:alert(1)", false},
		{"https:///cb", false},
		{"https://app.example/cb#frag", false},
		{"http://[::1", false},
	}
	for _, tt := range tests {
		u, ok := ParseRedirectURI(tt.raw)
		if ok != tt.ok || ok && u.String() != tt.raw {
			t.Errorf("ParseRedirectURI(%q) = %v, %v; want ok %v", tt.raw, u, ok, tt.ok)
		}
	}
}
