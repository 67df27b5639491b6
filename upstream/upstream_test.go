package upstream

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestTokenNeverPrintsItsValues(t *testing.T) {
	tok := Token{AccessToken: "ghu_secretaccess", RefreshToken: "ghr_secretrefresh", Expiry: time.Unix(1e9, 0)}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "upstream", tok)
	out := fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok) + buf.String()
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
		if strings.Contains(out, secret) {
			t.Errorf("a token value appears in %q", out)
		}
	}
}
