package protected

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mcpgate/mcpgate/tokens"
)

// A backend with the identity credential gets a JWT signed by mcpgate,
// verifiable with the key set at /.well-known/jwks.json, naming the person
// and the backend as audience; never an upstream or mcpgate token.
func TestGatewayIdentityCredential(t *testing.T) {
	b := newGWBackend(t, gwBackendOptions{})
	var issuer *IdentityIssuer
	f := newGWFixture(t, b.srv.URL+"/mcp", func(g *Gateway) {
		g.Backend.Credential = CredentialIdentity
		issuer = &IdentityIssuer{Issuer: mcpTestIssuer, Keys: g.Keys, Grants: g.Upstream.(*UpstreamTokens).Store, Now: g.Now}
		g.Identity = issuer
	})
	mux := http.NewServeMux()
	issuer.Mount(mux)
	jwks := httptest.NewServer(mux)
	t.Cleanup(jwks.Close)

	alice := f.signIn(t, "github:1", "up-alice", gwRead, gwWrite)
	bob := f.signIn(t, "github:2", "up-bob", gwRead)
	for _, tt := range []struct{ token, user string }{{alice, "github:1"}, {bob, "github:2"}} {
		cs := f.connect(t, tt.token)
		auth := callText(t, cs, "echo_auth")
		raw, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || strings.Contains(raw, "up-") {
			t.Fatalf("backend got %q, want an identity JWT", auth)
		}
		std, extra := verifyIdentity(t, jwks.URL+PathJWKS, raw)
		now := f.clock.Now()
		if std.Issuer != mcpTestIssuer || std.Subject != tt.user || len(std.Audience) != 1 || std.Audience[0] != mcpTestResource ||
			std.Expiry == nil || !std.Expiry.Time().After(now) || std.Expiry.Time().After(now.Add(DefaultIdentityTTL)) {
			t.Fatalf("claims %+v", std)
		}
		if extra["provider"] != "github" || extra["client_id"] != mcpTestClientID {
			t.Fatalf("extra claims %v", extra)
		}
	}
	for _, h := range b.seen() {
		if a := h.Get("Authorization"); strings.Contains(a, "up-") || strings.Contains(a, alice) || strings.Contains(a, bob) {
			t.Fatal("an upstream or mcpgate token reached an identity backend")
		}
	}
	// A JWT signed by another secret does not verify with this JWKS.
	otherKeys, err := tokens.NewKeyring([]byte("ffffffffffffffffffffffffffffffff"))
	if err != nil {
		t.Fatal(err)
	}
	other := &IdentityIssuer{Issuer: mcpTestIssuer, Keys: otherKeys, Grants: issuer.Grants, Now: issuer.Now}
	_, grantID, err := tokens.Parse(alice)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.Mint(t.Context(), &tokens.Caller{GrantID: grantID}, mcpTestResource)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(forged, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	set := issuer.JWKS()
	if keys := set.Key(tok.Headers[0].KeyID); len(keys) != 0 {
		t.Fatal("another secret's key ID is in the JWKS")
	}
	var std jwt.Claims
	if err := tok.Claims(set.Keys[0].Key, &std); err == nil {
		t.Fatal("a JWT signed under another secret verified")
	}
}

func verifyIdentity(t *testing.T, jwksURL, raw string) (jwt.Claims, map[string]any) {
	t.Helper()
	resp, err := http.Get(jwksURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS: %v %+v", err, set)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatalf("parse identity JWT: %v", err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", tok.Headers[0].KeyID)
	}
	var std jwt.Claims
	var extra map[string]any
	if err := tok.Claims(keys[0].Key, &std, &extra); err != nil {
		t.Fatalf("identity JWT does not verify with the JWKS: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Time: time.Now()}, time.Minute); err != nil {
		t.Fatalf("identity JWT times: %v", err)
	}
	return std, extra
}
