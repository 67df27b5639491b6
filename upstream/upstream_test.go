package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestTokenNeverPrintsItsValues(t *testing.T) {
	tok := Token{AccessToken: "ghu_secretaccess", RefreshToken: "ghr_secretrefresh", IDToken: "eyJsecretidtoken", Expiry: time.Unix(1e9, 0)}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "upstream", tok, "ptr", &tok)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "upstream", tok, "ptr", &tok)
	out := fmt.Sprintf("%v %+v %#v %s %v %+v %#v", tok, tok, tok, tok, &tok, &tok, []Token{tok}) + buf.String()
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, tok.IDToken} {
		if strings.Contains(out, secret) {
			t.Errorf("a token value appears in %q", out)
		}
	}
}

// TestTokenJSONWithoutIDToken: a token without an ID token seals to the
// same JSON as before the field existed (stored records keep their bytes).
func TestTokenJSONWithoutIDToken(t *testing.T) {
	b, err := json.Marshal(Token{AccessToken: "a", TokenType: "bearer"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"access_token":"a","token_type":"bearer"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	b, _ = json.Marshal(Token{AccessToken: "a", IDToken: "i"})
	var back Token
	if err := json.Unmarshal(b, &back); err != nil || back.IDToken != "i" {
		t.Errorf("ID token does not round-trip: %s %v", b, err)
	}
}
