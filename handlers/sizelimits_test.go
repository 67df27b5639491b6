package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// regBody builds a registration body from a valid base and extra members.
func regBody(extra map[string]any) string {
	m := map[string]any{"redirect_uris": []string{"https://a.example/cb"}, "token_endpoint_auth_method": "none"}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// httpsURI returns an https URL of exactly n bytes.
func httpsURI(n int) string {
	const prefix = "https://a.example/"
	return prefix + strings.Repeat("p", n-len(prefix))
}

func repeated(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func distinctURIs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("https://a.example/cb%d", i)
	}
	return out
}

// TestRegisterSizeLimits: every registered field has a limit (issue 10.3);
// a value at the limit is accepted and one byte or entry more is refused
// with the RFC 7591 error for that field, so a stranger cannot make a
// registration store more than the README's figure.
func TestRegisterSizeLimits(t *testing.T) {
	tests := []struct {
		name string
		at   map[string]any // at the limit: accepted
		over map[string]any // one more: refused
		code string
	}{
		{"client_name", map[string]any{"client_name": strings.Repeat("n", maxClientNameLen)}, map[string]any{"client_name": strings.Repeat("n", maxClientNameLen+1)}, wire.InvalidClientMetadata},
		{"redirect URI length", map[string]any{"redirect_uris": []string{httpsURI(maxRedirectURILen)}}, map[string]any{"redirect_uris": []string{httpsURI(maxRedirectURILen + 1)}}, wire.InvalidRedirectURI},
		{"redirect URI count", map[string]any{"redirect_uris": distinctURIs(maxRedirectURIs)}, map[string]any{"redirect_uris": distinctURIs(maxRedirectURIs + 1)}, wire.InvalidRedirectURI},
		{"redirect URI count with duplicates", map[string]any{"redirect_uris": repeated("https://a.example/cb", maxRedirectURIs)}, map[string]any{"redirect_uris": repeated("https://a.example/cb", maxRedirectURIs+1)}, wire.InvalidRedirectURI},
		{"client_uri", map[string]any{"client_uri": httpsURI(maxWebURILen)}, map[string]any{"client_uri": httpsURI(maxWebURILen + 1)}, wire.InvalidClientMetadata},
		{"logo_uri", map[string]any{"logo_uri": httpsURI(maxWebURILen)}, map[string]any{"logo_uri": httpsURI(maxWebURILen + 1)}, wire.InvalidClientMetadata},
		{"tos_uri", map[string]any{"tos_uri": httpsURI(maxWebURILen)}, map[string]any{"tos_uri": httpsURI(maxWebURILen + 1)}, wire.InvalidClientMetadata},
		{"policy_uri", map[string]any{"policy_uri": httpsURI(maxWebURILen)}, map[string]any{"policy_uri": httpsURI(maxWebURILen + 1)}, wire.InvalidClientMetadata},
		{"jwks_uri", map[string]any{"jwks_uri": httpsURI(maxWebURILen)}, map[string]any{"jwks_uri": httpsURI(maxWebURILen + 1)}, wire.InvalidClientMetadata},
		{"contacts count", map[string]any{"contacts": repeated("a@b.example", maxContacts)}, map[string]any{"contacts": repeated("a@b.example", maxContacts+1)}, wire.InvalidClientMetadata},
		{"contact length", map[string]any{"contacts": []string{strings.Repeat("c", maxContactLen)}}, map[string]any{"contacts": []string{strings.Repeat("c", maxContactLen+1)}}, wire.InvalidClientMetadata},
		{"scope", map[string]any{"scope": "mcp:read" + strings.Repeat(" ", maxScopeParamLen-len("mcp:read"))}, map[string]any{"scope": "mcp:read" + strings.Repeat(" ", maxScopeParamLen+1-len("mcp:read"))}, wire.InvalidClientMetadata},
		{"software_id", map[string]any{"software_id": strings.Repeat("s", maxSoftwareLen)}, map[string]any{"software_id": strings.Repeat("s", maxSoftwareLen+1)}, wire.InvalidClientMetadata},
		{"software_version", map[string]any{"software_version": strings.Repeat("1", maxSoftwareLen)}, map[string]any{"software_version": strings.Repeat("1", maxSoftwareLen+1)}, wire.InvalidClientMetadata},
		{"grant_types count", map[string]any{"grant_types": repeated("authorization_code", maxTypeEntries)}, map[string]any{"grant_types": repeated("authorization_code", maxTypeEntries+1)}, wire.InvalidClientMetadata},
		{"response_types count", map[string]any{"response_types": repeated("code", maxTypeEntries)}, map[string]any{"response_types": repeated("code", maxTypeEntries+1)}, wire.InvalidClientMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			if resp := postRegister(s, regBody(tt.at)); resp.StatusCode != http.StatusCreated {
				t.Fatalf("at the limit: status %d: %s", resp.StatusCode, readBody(t, resp))
			}
			e := wantOAuthError(t, postRegister(s, regBody(tt.over)), http.StatusBadRequest, tt.code)
			if e.ErrorDescription == "" {
				t.Errorf("no error_description")
			}
		})
	}
}

func TestRegisterBodyLimit(t *testing.T) {
	s := newTestServer(t, nil)
	base := regBody(nil)
	pad := func(n int) string { // a body of exactly n bytes with an ignored member
		filler := `,"x":""}`
		return base[:len(base)-1] + filler[:len(filler)-2] + strings.Repeat("a", n-len(base)-len(filler)+1) + `"}`
	}
	if b := pad(maxRegistrationBytes); len(b) != maxRegistrationBytes {
		t.Fatalf("test body of %d bytes", len(b))
	}
	if resp := postRegister(s, pad(maxRegistrationBytes)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("a body of %d bytes: %d %s", maxRegistrationBytes, resp.StatusCode, readBody(t, resp))
	}
	e := wantOAuthError(t, postRegister(s, pad(maxRegistrationBytes+1)), http.StatusBadRequest, wire.InvalidClientMetadata)
	if !strings.Contains(e.ErrorDescription, "bytes") {
		t.Errorf("description %q does not say the body is too large", e.ErrorDescription)
	}
}

// TestRegistrationStoredSizeBound: a registration with every field at its
// limit stores no more than maxStoredClientBytes (the README's figure).
func TestRegistrationStoredSizeBound(t *testing.T) {
	s := newTestServer(t, nil)
	uris := make([]string, maxRedirectURIs)
	for i := range uris {
		uris[i] = httpsURI(maxRedirectURILen-2) + fmt.Sprintf("%02d", i)
	}
	resp := postRegister(s, regBody(map[string]any{
		"redirect_uris": uris, "token_endpoint_auth_method": "client_secret_post",
		"client_name": strings.Repeat("n", maxClientNameLen), "client_uri": httpsURI(maxWebURILen), "logo_uri": httpsURI(maxWebURILen),
		"software_id": strings.Repeat("s", maxSoftwareLen), "software_version": strings.Repeat("v", maxSoftwareLen),
		"scope": "mcp:read mcp:write", "grant_types": []string{"authorization_code", "refresh_token"},
	}))
	var reg registrationResponse
	decodeJSON(t, resp, &reg)
	c, err := s.store.GetClient(context.Background(), reg.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c)
	if len(b) > maxStoredClientBytes {
		t.Errorf("a registration at every limit stores %d bytes of JSON, more than %d", len(b), maxStoredClientBytes)
	}
	t.Logf("a registration at every limit: %d bytes", len(b))
}

// TestAuthorizeStateAndScopeLimits: state and scope are bounded at
// /authorize; over the limit the error goes back to the (validated)
// redirect URI as invalid_request, without the oversized state.
func TestAuthorizeStateAndScopeLimits(t *testing.T) {
	tests := []struct {
		name      string
		param     string
		at, over  string
		wantState string // state echoed with the error
	}{
		{"state", "state", strings.Repeat("s", maxStateLen), strings.Repeat("s", maxStateLen+1), ""},
		{"scope", "scope", "mcp:read" + strings.Repeat(" ", maxScopeParamLen-len("mcp:read")), "mcp:read" + strings.Repeat(" ", maxScopeParamLen+1-len("mcp:read")), "client-state-123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := s.register(authMethodNone, "https://app.example.com/cb")
			_, challenge := pkce()
			q := authParams(c, challenge)
			q.Set(tt.param, tt.at)
			if resp := s.browserGet("/authorize", q); resp.StatusCode != http.StatusOK {
				t.Fatalf("%s at the limit: status %d", tt.param, resp.StatusCode)
			}
			q.Set(tt.param, tt.over)
			wantRedirectError(t, s.browserGet("/authorize", q), "https://app.example.com/cb", wire.InvalidRequest, tt.wantState)
		})
	}
}
