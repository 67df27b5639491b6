package github

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestETagSealer: a shared entry opens only with the token that sealed it
// and under the name it was sealed for; names depend on the token, the
// Accept header and the URL; a changed byte is refused.
func TestETagSealer(t *testing.T) {
	mona, err := newETagSealer("gho_monatoken0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	hubot, err := newETagSealer("gho_hubottoken0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	req := func(url, accept string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, url, nil)
		r.Header.Set("Accept", accept)
		return r
	}
	issue := req("https://api.github.com/repos/mona/hello-world/issues/1", "application/vnd.github+json")
	entry := mona.entry(issue)
	e := &etagEntry{etag: `W/"abc"`, header: http.Header{"Link": {`<https://api.github.com/x?page=2>; rel="next"`}}, body: []byte(`{"title":"secret"}`)}
	sealed, err := mona.seal(entry, e)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("the sealed entry holds the body in clear")
	}
	got, err := mona.open(entry, sealed)
	if err != nil || got.etag != e.etag || string(got.body) != string(e.body) || got.header.Get("Link") != e.header.Get("Link") {
		t.Fatalf("open = %+v, %v; want the entry back", got, err)
	}

	names := map[string]string{
		"same request":      mona.entry(req("https://api.github.com/repos/mona/hello-world/issues/1", "application/vnd.github+json")),
		"another token":     hubot.entry(issue),
		"another Accept":    mona.entry(req("https://api.github.com/repos/mona/hello-world/issues/1", "application/vnd.github.diff")),
		"another URL":       mona.entry(req("https://api.github.com/repos/mona/hello-world/issues/2", "application/vnd.github+json")),
		"another user name": hubot.user,
	}
	if names["same request"] != entry {
		t.Errorf("the same request is named %s then %s", entry, names["same request"])
	}
	for what, name := range names {
		if what != "same request" && (name == entry || name == mona.user) {
			t.Errorf("%s gets the same name", what)
		}
	}

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for what, open := range map[string]func() (*etagEntry, error){
		"another token":      func() (*etagEntry, error) { return hubot.open(entry, sealed) },
		"another entry name": func() (*etagEntry, error) { return mona.open(names["another URL"], sealed) },
		"a changed byte":     func() (*etagEntry, error) { return mona.open(entry, tampered) },
		"a short value":      func() (*etagEntry, error) { return mona.open(entry, sealed[:5]) },
	} {
		if _, err := open(); err == nil {
			t.Errorf("open with %s succeeded", what)
		}
	}
}
