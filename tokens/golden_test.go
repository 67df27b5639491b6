package tokens

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The storage format is pinned here (issue 15): a release that changed a
// key-derivation label, an associated-data label, a format byte, the JSON
// of a record or the form of a user ID would make every token and grant in
// Redis unreadable. testdata/stored-v1.json holds records written under a
// fixed secret by the code as it was before the purpose-named seal
// functions (commit b4e4fe5), with fixed tokens and data key; the tests
// below check that today's code still finds, opens and re-encodes them
// byte for byte, and that the deterministic parts (hashes, derived keys)
// and the AEAD construction give exactly the stored bytes. A deliberate
// format change adds stored-v2.json and a migration; it never edits v1.

const (
	storedV1 = "testdata/stored-v1.json"
	storedV2 = "testdata/stored-v2.json"
	storedV3 = "testdata/stored-v3.json"
)

// storedGolden is the golden file: inputs, what the code derives from
// them, and the records as a store keeps them (JSON, sealed fields as
// base64).
type storedGolden struct {
	Comment string `json:"comment"`
	// Inputs.
	Secret        string `json:"secret_hex"`
	GrantID       string `json:"grant_id"`
	DataKey       string `json:"data_key_hex"`
	Code          string `json:"code"`
	Access        string `json:"access_token"`
	Refresh       string `json:"refresh_token"`
	ClientSecret  string `json:"client_secret"`
	UpstreamToken string `json:"upstream_token_json"`
	GraceResponse string `json:"grace_response"`
	// Deterministic outputs.
	Hashes  map[string]string `json:"hashes"`
	Derived struct {
		KeyID         string `json:"key_id_hex"`
		CookieHash    string `json:"cookie_hash_key_hex"`
		CookieBlock   string `json:"cookie_block_key_hex"`
		AccessWrapKey string `json:"access_token_wrap_key_hex"`
	} `json:"derived"`
	// Records as stored (sealed fields hold random nonces).
	Records struct {
		Client  json.RawMessage `json:"client"`
		Grant   json.RawMessage `json:"grant"`
		Code    json.RawMessage `json:"code"`
		Access  json.RawMessage `json:"access"`
		Refresh json.RawMessage `json:"refresh"`
	} `json:"records"`
	// Format v2 (records.go): the records as the Redis store keeps them,
	// by key without the prefix, each with its MAC; and a pending sign-in
	// with its sealed form.
	Stored map[string]string `json:"stored,omitempty"`
	// Format v3 (records.go): the same records as the Redis store keeps
	// them since, binary (so base64 here).
	StoredV3      map[string][]byte `json:"stored_v3,omitempty"`
	PendingState  string            `json:"pending_state_hash,omitempty"`
	Pending       json.RawMessage   `json:"pending,omitempty"`
	PendingSealed []byte            `json:"pending_sealed,omitempty"`
}

func loadStoredGolden(t *testing.T, path string) storedGolden {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	var g storedGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return g
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// decodeRecord decodes a stored record into v and checks that encoding v
// again gives the stored bytes: the JSON field names and forms are part of
// the format.
func decodeRecord(t *testing.T, name string, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s record: %v", name, err)
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := json.Compact(&want, raw); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, want.Bytes()) {
		t.Errorf("%s record re-encodes differently:\n got %s\nwant %s", name, again, want.Bytes())
	}
}

// TestStoredRecordsV1 opens what the v1 code stored: every token finds its
// record by its keyed hash, the data key unwraps with the code, the access
// token and the refresh token, and opens the upstream token; the rotated
// refresh token opens its grace response. The same holds after a secret
// rotation, with the golden secret as the previous one.
func TestStoredRecordsV1(t *testing.T) { testStoredRecords(t, storedV1) }

// TestStoredRecordsV2 checks what format v2 added: every record as the
// store keeps it verifies under its name, also after a rotation, and fails
// under any other name, and its body is the JSON record (MACRecord writes
// v3 since: TestStoredRecordsV3 pins its bytes); the sealed pending
// sign-in opens under its state hash. The v1 checks apply to v2 as well.
func TestStoredRecordsV2(t *testing.T) {
	testStoredRecords(t, storedV2)
	g := loadStoredGolden(t, storedV2)
	secret := mustHex(t, g.Secret)
	current := mustKeyring(t, secret)
	rotated := mustKeyring(t, bytes.Repeat([]byte{0x5a}, 32), secret)
	if len(g.Stored) != 4 || len(g.PendingSealed) == 0 {
		t.Fatalf("%s holds %d stored records and %d bytes of sealed pending, want 4 and some", storedV2, len(g.Stored), len(g.PendingSealed))
	}
	records := goldenRecords(g)
	for name, stored := range g.Stored {
		body, format, err := current.VerifyRecord(name, []byte(stored))
		if err != nil || format != RecordV2 {
			t.Errorf("VerifyRecord(%s) = format %d, %v; want v2", name, format, err)
			continue
		}
		if want := records[recordKind(name)]; !bytes.Equal(body, compactJSON(t, want)) {
			t.Errorf("record %s holds %s, want %s", name, body, want)
		}
		if _, _, err := rotated.VerifyRecord(name, []byte(stored)); err != nil {
			t.Errorf("after rotation, VerifyRecord(%s): %v", name, err)
		}
		if _, _, err := current.VerifyRecord(name+"x", []byte(stored)); err == nil {
			t.Errorf("record %s verifies under another name", name)
		}
	}
	var pending bytes.Buffer
	if err := json.Compact(&pending, g.Pending); err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]*Keyring{"current secret": current, "after rotation": rotated} {
		body, err := k.OpenPending(g.PendingState, g.PendingSealed)
		if err != nil || !bytes.Equal(body, pending.Bytes()) {
			t.Errorf("%s: OpenPending = %s, %v; want the golden pending sign-in", name, body, err)
		}
	}
	var p Pending
	decodeRecord(t, "pending", g.Pending, &p)
}

// TestStoredRecordsV3 pins format v3 (issue 11): every record as the
// store keeps it verifies under its name (also after a rotation, and under
// no other name), re-MACs to the same bytes (HMAC is deterministic), and
// its MessagePack body decodes to the golden record and encodes back to
// the same bytes: the encoding is part of the format. A v3 record cut
// down to a v2 one (same MAC, "r2." framing) does not verify. The v1 and
// v2 checks apply to v3 as well.
func TestStoredRecordsV3(t *testing.T) {
	testStoredRecords(t, storedV3)
	g := loadStoredGolden(t, storedV3)
	secret := mustHex(t, g.Secret)
	current := mustKeyring(t, secret)
	rotated := mustKeyring(t, bytes.Repeat([]byte{0x5a}, 32), secret)
	if len(g.StoredV3) != 4 {
		t.Fatalf("%s holds %d v3 records, want 4", storedV3, len(g.StoredV3))
	}
	records := goldenRecords(g)
	for name, stored := range g.StoredV3 {
		body, format, err := current.VerifyRecord(name, stored)
		if err != nil || format != RecordV3 {
			t.Errorf("VerifyRecord(%s) = format %d, %v; want v3", name, format, err)
			continue
		}
		if again := current.MACRecord(name, body); !bytes.Equal(again, stored) {
			t.Errorf("MACRecord(%s) = %x, want the stored %x", name, again, stored)
		}
		if _, _, err := rotated.VerifyRecord(name, stored); err != nil {
			t.Errorf("after rotation, VerifyRecord(%s): %v", name, err)
		}
		if _, _, err := current.VerifyRecord(name+"x", stored); err == nil {
			t.Errorf("record %s verifies under another name", name)
		}
		asV2 := append([]byte(recordPrefix+macB64.EncodeToString(stored[1:1+keyIDLenV3+macLenV3])+"."), stored[1+keyIDLenV3+macLenV3:]...)
		if _, _, err := current.VerifyRecord(name, asV2); err == nil {
			t.Errorf("record %s verifies reframed as v2", name)
		}
		want := records[recordKind(name)]
		v := recordOfKind(recordKind(name))
		if err := DecodeRecord(format, body, v); err != nil {
			t.Errorf("DecodeRecord(%s): %v", name, err)
			continue
		}
		SetGrantID(v, g.GrantID)           // from the name, as the store does
		if a, ok := v.(*AccessToken); ok { // from the grant, as the store does
			var grant Grant
			decodeRecord(t, "grant", g.Records.Grant, &grant)
			a.ClientID, a.UserID = grant.ClientID, grant.UserID
		}
		if got, _ := json.Marshal(v); !bytes.Equal(got, compactJSON(t, want)) {
			t.Errorf("record %s decodes to %s, want %s", name, got, want)
		}
		if again, err := EncodeRecord(v); err != nil || !bytes.Equal(again, body) {
			t.Errorf("EncodeRecord(%s) = %x, %v; want the stored %x", name, again, err, body)
		}
	}
}

// goldenRecords are the golden file's records by kind.
func goldenRecords(g storedGolden) map[string]json.RawMessage {
	return map[string]json.RawMessage{"grant": g.Records.Grant, "code": g.Records.Code, "at": g.Records.Access, "rt": g.Records.Refresh}
}

// recordKind is the kind of a stored record's name ("{g:id}:rt:hash").
func recordKind(name string) string {
	parts := strings.Split(name, ":")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// recordOfKind is a new record of kind to decode into.
func recordOfKind(kind string) any {
	switch kind {
	case "grant":
		return &Grant{}
	case "code":
		return &AuthCode{}
	case "at":
		return &AccessToken{}
	}
	return &RefreshToken{}
}

func compactJSON(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testStoredRecords(t *testing.T, path string) {
	g := loadStoredGolden(t, path)
	secret := mustHex(t, g.Secret)
	current := mustKeyring(t, secret)
	rotated := mustKeyring(t, bytes.Repeat([]byte{0x5a}, 32), secret)

	var (
		client  Client
		grant   Grant
		code    AuthCode
		access  AccessToken
		refresh RefreshToken
	)
	decodeRecord(t, "client", g.Records.Client, &client)
	decodeRecord(t, "grant", g.Records.Grant, &grant)
	decodeRecord(t, "code", g.Records.Code, &code)
	decodeRecord(t, "access", g.Records.Access, &access)
	decodeRecord(t, "refresh", g.Records.Refresh, &refresh)
	if grant.ID != g.GrantID || code.GrantID != g.GrantID || access.GrantID != g.GrantID || refresh.GrantID != g.GrantID {
		t.Fatalf("records name other grants than %s", g.GrantID)
	}
	if got := UserID(grant.Provider, grant.Subject); got != grant.UserID || access.UserID != grant.UserID {
		t.Errorf("UserID(%q, %q) = %q; stored grant %q, access %q", grant.Provider, grant.Subject, got, grant.UserID, access.UserID)
	}
	if p, s, ok := SplitUserID(grant.UserID); !ok || p != grant.Provider || s != grant.Subject {
		t.Errorf("SplitUserID(%q) = %q, %q, %v", grant.UserID, p, s, ok)
	}

	for _, tc := range []struct {
		name  string
		token string
		kind  Kind
	}{
		{"code", g.Code, KindCode},
		{"access", g.Access, KindAccess},
		{"refresh", g.Refresh, KindRefresh},
		{"client_secret", g.ClientSecret, KindClientSecret},
	} {
		kind, grantID, err := Parse(tc.token)
		if err != nil || kind != tc.kind || (kind != KindClientSecret && grantID != g.GrantID) {
			t.Errorf("Parse(%s) = %q, %q, %v", tc.name, kind, grantID, err)
		}
		want := g.Hashes[tc.name]
		if got := current.Hash(tc.token); got != want {
			t.Errorf("Hash(%s) = %s, want the stored %s", tc.name, got, want)
		}
		if got := rotated.Hashes(tc.token); len(got) != 2 || got[1] != want {
			t.Errorf("after rotation, Hashes(%s) = %v, want the stored hash second", tc.name, got)
		}
	}
	if !HashEqual(current.Hash(g.ClientSecret), client.SecretHash) {
		t.Error("the client secret does not match the stored client's SecretHash")
	}

	wantKey := mustHex(t, g.DataKey)
	for name, k := range map[string]*Keyring{"current secret": current, "after rotation": rotated} {
		t.Run(name, func(t *testing.T) {
			for _, w := range []struct {
				name, token string
				wrapped     []byte
			}{
				{"code", g.Code, code.WrappedKey},
				{"access", g.Access, access.WrappedKey},
				{"refresh", g.Refresh, refresh.WrappedKey},
			} {
				dk, err := k.UnwrapGrantKey(w.token, g.GrantID, w.wrapped)
				if err != nil || !bytes.Equal(dk[:], wantKey) {
					t.Errorf("UnwrapGrantKey(%s) = %v; want the golden data key", w.name, err)
					continue
				}
				up, err := OpenUpstream(dk, g.GrantID, grant.Upstream)
				if err != nil || string(up) != g.UpstreamToken {
					t.Errorf("OpenUpstream with the key from the %s = %q, %v", w.name, up, err)
				}
			}
			body, err := k.OpenGrace(g.Refresh, g.GrantID, refresh.GraceResponse)
			if err != nil || string(body) != g.GraceResponse {
				t.Errorf("OpenGrace = %q, %v; want the golden response", body, err)
			}
		})
	}
}

// TestKeyDerivationV1 pins the keys HKDF derives from the golden secret:
// the key ID every token-wrapped seal starts with, the cookie keys, and the
// per-token wrap key of the access token.
func TestKeyDerivationV1(t *testing.T) {
	g := loadStoredGolden(t, storedV1)
	k := mustKeyring(t, mustHex(t, g.Secret))
	d := k.keys[0]
	pairs := k.CookieKeyPairs()
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"key ID", d.id[:], g.Derived.KeyID},
		{"cookie hash key", pairs[0], g.Derived.CookieHash},
		{"cookie block key", pairs[1], g.Derived.CookieBlock},
		{"access token wrap key", tokenKey(d.wrap, g.Access), g.Derived.AccessWrapKey},
	} {
		if hex.EncodeToString(tc.got) != tc.want {
			t.Errorf("%s = %x, want %s", tc.name, tc.got, tc.want)
		}
	}
}

// TestSealConstructionV1 rebuilds the stored ciphertexts from their parts
// with crypto/aes directly, taking only the nonce from the stored value:
// format byte, key ID, nonce, then AES-256-GCM of the plaintext with the
// header followed by the purpose label and grant ID as associated data.
// This pins each seal's bytes, not just that today's code can open them.
func TestSealConstructionV1(t *testing.T) {
	g := loadStoredGolden(t, storedV1)
	k := mustKeyring(t, mustHex(t, g.Secret))
	d := k.keys[0]
	var grant Grant
	var access AccessToken
	var refresh RefreshToken
	decodeRecord(t, "grant", g.Records.Grant, &grant)
	decodeRecord(t, "access", g.Records.Access, &access)
	decodeRecord(t, "refresh", g.Records.Refresh, &refresh)
	dataKey := mustHex(t, g.DataKey)
	tokenHeader := append([]byte{0x01}, d.id[:]...)

	tests := []struct {
		name      string
		stored    []byte
		header    []byte
		key       []byte
		label     string
		plaintext []byte
	}{
		{"data key under the access token", access.WrappedKey, tokenHeader, tokenKey(d.wrap, g.Access), "datakey:", dataKey},
		{"data key under the refresh token", refresh.WrappedKey, tokenHeader, tokenKey(d.wrap, g.Refresh), "datakey:", dataKey},
		{"grace response", refresh.GraceResponse, tokenHeader, tokenKey(d.wrap, g.Refresh), "grace:", []byte(g.GraceResponse)},
		{"upstream token", grant.Upstream, []byte{0x02}, dataKey, "upstream:", []byte(g.UpstreamToken)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.header)
			if len(tc.stored) < n+12 || !bytes.Equal(tc.stored[:n], tc.header) {
				t.Fatalf("stored value does not start with the header %x: %x", tc.header, tc.stored)
			}
			block, err := aes.NewCipher(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			aead, err := cipher.NewGCM(block)
			if err != nil {
				t.Fatal(err)
			}
			nonce := tc.stored[n : n+12]
			aad := append(bytes.Clone(tc.header), tc.label+g.GrantID...)
			want := aead.Seal(append(bytes.Clone(tc.stored[:n]), nonce...), nonce, tc.plaintext, aad)
			if !bytes.Equal(tc.stored, want) {
				t.Fatalf("stored %x\nrebuilt %x", tc.stored, want)
			}
		})
	}
}
