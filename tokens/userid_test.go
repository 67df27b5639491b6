package tokens

import "testing"

func TestUserID(t *testing.T) {
	tests := []struct {
		provider, subject string
		want              string
	}{
		{"github", "1001", "github:1001"},
		{"google", "110248495921238986420", "google:110248495921238986420"},
		// OIDC subjects are any string, ":" included; provider names never
		// contain one, so the split is still unambiguous.
		{"okta", "a:b", "okta:a:b"},
		{"okta", "", "okta:"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			got := UserID(tc.provider, tc.subject)
			if got != tc.want {
				t.Fatalf("UserID(%q, %q) = %q, want %q", tc.provider, tc.subject, got, tc.want)
			}
			p, s, ok := SplitUserID(got)
			if !ok || p != tc.provider || s != tc.subject {
				t.Fatalf("SplitUserID(%q) = %q, %q, %v; want %q, %q, true", got, p, s, ok, tc.provider, tc.subject)
			}
		})
	}
}

func TestSplitUserIDWithoutSeparator(t *testing.T) {
	for _, id := range []string{"nocolon", ""} {
		if p, s, ok := SplitUserID(id); ok || p != id || s != "" {
			t.Errorf("SplitUserID(%q) = %q, %q, %v; want %q, \"\", false", id, p, s, ok, id)
		}
	}
}
