package protected

// Fuzz targets for the surfaces that parse what strangers send: client
// registration metadata, redirect URIs (validation and matching), the RFC
// 8707 resource parameter, token requests (form bodies and HTTP Basic
// credentials) and the Authorization header of /mcp. Each target checks
// properties of the answer, not only the absence of a panic. scripts/fuzz
// runs them for longer; scripts/test runs each for a few seconds. Inputs that
// once failed live in testdata/fuzz/<target>/ and run with every go test.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// FuzzBearerHeader sends arbitrary Authorization headers, query strings
// and Origin headers to /mcp. Only the live access token, alone after
// "Bearer", with no access_token in the query and an allowed (or no)
// Origin, gets through; everything else is 403 for a foreign Origin or 401
// with one parseable Bearer challenge naming the resource metadata. Never
// 5xx.
func FuzzBearerHeader(f *testing.F) {
	fx := newMCPFixture(f)
	// The SDK checks expiry against the wall clock: the token outlives any
	// fuzzing session.
	live := fx.issue(f, mcpIssueOptions{accessTTL: 30 * 24 * time.Hour})
	other := fx.issue(f, mcpIssueOptions{resource: "https://other.example/mcp"})
	methods := []string{http.MethodPost, http.MethodGet, http.MethodDelete}
	for _, seed := range []struct {
		method               uint8
		authz, query, origin string
	}{
		{0, "Bearer " + live.access, "", ""},
		{0, "bearer  " + live.access + " ", "", "http://localhost:6274"},
		{1, "Bearer " + live.access, "", ""},
		{2, "BEARER\t" + live.access, "", ""},
		{0, "Bearer " + live.access, "access_token=" + live.access, ""},
		{0, "Bearer " + live.access, "access%5Ftoken=x", ""},
		{0, "Bearer " + live.access, "", "https://evil.example"},
		// Origins that extend the allowed one (issue 15): a prefix match
		// would admit them.
		{0, "Bearer " + live.access, "", "http://localhost:6274.evil.example"},
		{0, "Bearer " + live.access, "", "http://localhost:62745"},
		{0, "Bearer " + live.access, "", "http://localhost:6274@evil.example"},
		{0, "Bearer " + live.access, "", "http://localhost:6274/"},
		{1, "Bearer " + live.access, "", "HTTP://LOCALHOST:6274:80"},
		{0, "Bearer " + live.access, "", "https://claude.ai.evil.example"},
		{0, "Bearer " + live.access, "", "https://claude.ai@evil.example"},
		{0, "Bearer " + live.refresh, "", ""},
		{0, "Bearer " + live.code, "", ""},
		{0, "Bearer " + other.access, "", ""},
		{0, "Bearer " + live.access[:len(live.access)-1] + "b", "", ""},
		{0, "Bearer " + live.access + " extra", "", ""},
		{0, "Basic " + live.access, "", ""},
		{0, "Bearer", "", ""},
		{0, "", "", ""},
		{0, "Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a", "", ""},
		{0, "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "", ""},
		{1, "Bearer \x00\"\\", "%zz;&=", ""},
	} {
		f.Add(seed.method, seed.authz, seed.query, seed.origin)
	}
	f.Fuzz(func(t *testing.T, m uint8, authz, query, origin string) {
		method := methods[int(m)%len(methods)]
		r := newMCPRequest(method, "/mcp", "")
		r.URL.RawQuery = query
		r.RequestURI = "/mcp?" + query
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		resp := fx.serve(r)
		body, _ := io.ReadAll(resp.Body)

		q, _ := url.ParseQuery(query)
		fields := strings.Fields(authz)
		exact := len(fields) == 2 && strings.EqualFold(fields[0], "bearer") && fields[1] == live.access && !q.Has("access_token")
		originOK := origin == "" || strings.EqualFold(origin, "http://localhost:6274")
		switch {
		case !originOK:
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("foreign Origin %q: status %d, want 403: %s", origin, resp.StatusCode, body)
			}
		case exact:
			if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
				t.Fatalf("the live token was refused: %d %s", resp.StatusCode, body)
			}
			if method == http.MethodPost && resp.StatusCode != http.StatusOK {
				t.Fatalf("initialize with the live token: %d %s", resp.StatusCode, body)
			}
		default:
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", resp.StatusCode, body)
			}
			wantBearerChallenge(t, resp)
			var e wire.ErrorBody
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
				t.Fatalf("401 body %q: %v", body, err)
			}
			if len(fields) > 1 && len(fields[1]) >= 8 && bytes.Contains(body, []byte(fields[1])) {
				t.Fatalf("the 401 echoes the presented token")
			}
		}
		if !strings.Contains(authz, live.access) && resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d without presenting the live token", resp.StatusCode)
		}
	})
}

// wantBearerChallenge checks the WWW-Authenticate of a 401 from /mcp: one
// challenge, starting "Bearer ", that parses, names the resource metadata
// and carries only RFC 6750 §3.1 error codes.
func wantBearerChallenge(t *testing.T, resp *http.Response) {
	t.Helper()
	values := resp.Header.Values("WWW-Authenticate")
	if len(values) != 1 || !strings.HasPrefix(values[0], "Bearer ") {
		t.Fatalf("WWW-Authenticate %q, want one Bearer challenge", values)
	}
	challenges, err := oauthex.ParseWWWAuthenticate(values)
	if err != nil || len(challenges) != 1 {
		t.Fatalf("WWW-Authenticate %q does not parse: %v", values[0], err)
	}
	p := challenges[0].Params
	if p["resource_metadata"] != mcpTestPRM {
		t.Fatalf("resource_metadata %q", p["resource_metadata"])
	}
	switch p["error"] {
	case "", wire.InvalidToken, wire.InvalidRequest:
	default:
		t.Fatalf("challenge error %q", p["error"])
	}
}
