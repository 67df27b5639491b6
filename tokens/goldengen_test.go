package tokens

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeGolden makes TestWriteStoredGolden write a new golden file (for a
// new format version).
var writeGolden = flag.String("tokens.write-golden", "", "write a stored-records golden file to this path (for a new format version; never overwrite "+storedV1+")")

// TestWriteStoredGolden writes a golden file with today's code when
// -tokens.write-golden names a path; without the flag it does nothing.
// stored-v1.json was written by this generator's twin at commit b4e4fe5
// (SealWithKey and SealWithToken with the labels spelled out), so that it
// holds what that code stored, not what this code expects.
func TestWriteStoredGolden(t *testing.T) {
	if *writeGolden == "" {
		return
	}
	if filepath.Clean(*writeGolden) == filepath.Clean(storedV1) {
		t.Fatalf("refusing to overwrite %s: a format change needs a new version next to it", storedV1)
	}
	g := makeStoredGolden(t)
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*writeGolden, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixedB32 is the lowercase base32 of n bytes counting up from first.
func fixedB32(first byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b32.EncodeToString(b)
}

func makeStoredGolden(t *testing.T) storedGolden {
	t.Helper()
	var g storedGolden
	g.Comment = "Records as mcpgate stores them, written under a fixed secret with fixed tokens and data key (see tokens/golden_test.go). Never edit: a format change adds a new version."
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = 0xa0 + byte(i)
	}
	g.Secret = hex.EncodeToString(secret)
	k := mustKeyring(t, secret)
	g.GrantID = fixedB32(0x10, idBytes)
	var dk DataKey
	for i := range dk {
		dk[i] = 0xd0 ^ byte(i)
	}
	g.DataKey = hex.EncodeToString(dk[:])
	g.Code = Prefix + string(KindCode) + "_" + g.GrantID + "_" + fixedB32(0x20, secretBytes)
	g.Access = Prefix + string(KindAccess) + "_" + g.GrantID + "_" + fixedB32(0x40, secretBytes)
	g.Refresh = Prefix + string(KindRefresh) + "_" + g.GrantID + "_" + fixedB32(0x60, secretBytes)
	g.ClientSecret = Prefix + string(KindClientSecret) + "_" + fixedB32(0x80, secretBytes)
	g.UpstreamToken = `{"access_token":"ghu_golden0000000000000000000000000000","token_type":"bearer","refresh_token":"ghr_golden","expiry":"2026-01-02T11:04:05Z"}`
	// The grace response holds the pair that replaced the rotated refresh
	// token.
	next := func(kind Kind, first byte) string {
		return Prefix + string(kind) + "_" + g.GrantID + "_" + fixedB32(first, secretBytes)
	}
	g.GraceResponse = `{"access_token":"` + next(KindAccess, 0xc0) + `","token_type":"Bearer","expires_in":3600,"refresh_token":"` +
		next(KindRefresh, 0xe0) + `","scope":"mcp:read"}`
	g.Hashes = map[string]string{"code": k.Hash(g.Code), "access": k.Hash(g.Access), "refresh": k.Hash(g.Refresh), "client_secret": k.Hash(g.ClientSecret)}
	d := k.keys[0]
	g.Derived.KeyID = hex.EncodeToString(d.id[:])
	g.Derived.CookieHash = hex.EncodeToString(d.cookieHash)
	g.Derived.CookieBlock = hex.EncodeToString(d.cookieBlock)
	g.Derived.AccessWrapKey = hex.EncodeToString(tokenKey(d.wrap, g.Access))

	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	record := func(v any) json.RawMessage { return must(json.Marshal(v)) }
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const clientID = "golden-client"
	scopes := []string{"mcp:read", "mcp:write"}
	resource := "https://mcp.example.com/mcp"
	upstreamSealed := must(SealUpstream(dk, g.GrantID, []byte(g.UpstreamToken)))
	g.Records.Client = record(Client{ID: clientID, SecretHash: g.Hashes["client_secret"], Name: "Golden", RedirectURIs: []string{"https://client.example/cb"},
		TokenEndpointAuthMethod: "client_secret_basic", GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		CreatedAt: at, LastUsedAt: at.Add(time.Minute)})
	g.Records.Grant = record(Grant{ID: g.GrantID, ClientID: clientID, UserID: UserID("github", "4242"), Provider: "github", Subject: "4242",
		Login: "mona", Email: "mona@example.com", EmailVerified: true, Name: "Mona", Scopes: scopes, Resource: resource,
		Upstream: upstreamSealed, CreatedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour), LastUsedAt: at.Add(time.Hour)})
	g.Records.Code = record(AuthCode{GrantID: g.GrantID, ClientID: clientID, RedirectURI: "https://client.example/cb",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Resource: resource, Scopes: scopes,
		WrappedKey: must(k.WrapGrantKey(g.Code, g.GrantID, dk)), ExpiresAt: at.Add(10 * time.Minute)})
	g.Records.Access = record(AccessToken{GrantID: g.GrantID, ClientID: clientID, UserID: UserID("github", "4242"), Scopes: []string{"mcp:read"},
		Resource: resource, WrappedKey: must(k.WrapGrantKey(g.Access, g.GrantID, dk)), ExpiresAt: at.Add(time.Hour)})
	g.Records.Refresh = record(RefreshToken{GrantID: g.GrantID, ClientID: clientID, Scopes: scopes, Resource: resource,
		WrappedKey: must(k.WrapGrantKey(g.Refresh, g.GrantID, dk)), ExpiresAt: at.Add(30 * 24 * time.Hour),
		RotatedAt: at.Add(time.Hour), GraceResponse: must(k.SealGrace(g.Refresh, g.GrantID, []byte(g.GraceResponse)))})

	// Format v3: records with their MACs as the Redis store keeps them,
	// and a sealed pending sign-in. (stored-v2.json holds the v2 forms,
	// which today's code reads but no longer writes.)
	tag := "{g:" + g.GrantID + "}"
	g.StoredV3 = map[string][]byte{}
	for name, rec := range map[string]json.RawMessage{
		tag + ":grant":                     g.Records.Grant,
		tag + ":code:" + g.Hashes["code"]:  g.Records.Code,
		tag + ":at:" + g.Hashes["access"]:  g.Records.Access,
		tag + ":rt:" + g.Hashes["refresh"]: g.Records.Refresh,
	} {
		v := recordOfKind(recordKind(name))
		if err := json.Unmarshal(rec, v); err != nil {
			t.Fatal(err)
		}
		g.StoredV3[name] = k.MACRecord(name, must(EncodeRecord(v)))
	}
	g.PendingState = k.Hash("golden-upstream-state")
	g.Pending = record(Pending{ClientID: clientID, RedirectURI: "https://client.example/cb", CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		Resource: resource, Scopes: scopes, ClientState: "golden-client-state", Provider: "github",
		UpstreamVerifier: "golden-upstream-verifier-0000000000000000000", Nonce: "golden-nonce", Browser: "golden-browser-hash", CreatedAt: at})
	g.PendingSealed = must(k.SealPending(g.PendingState, g.Pending))
	return g
}
