package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDotEnv(t *testing.T) {
	const (
		preset = "MCPGATE_TEST_PRESET"
		empty  = "MCPGATE_TEST_PRESET_EMPTY"
		fresh  = "MCPGATE_TEST_FRESH"
		quoted = "MCPGATE_TEST_QUOTED"
	)
	t.Setenv(preset, "from-environment")
	t.Setenv(empty, "")
	for _, name := range []string{fresh, quoted} {
		t.Setenv(name, "") // registers the restore
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
	path := writeFile(t, ".env", strings.Join([]string{
		"# comment",
		preset + "=from-file",
		empty + "=from-file",
		"",
		"export " + fresh + "=fresh-value",
		quoted + "='pa$word # not a comment'",
	}, "\n"))
	if err := LoadDotEnv(path); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, want string }{
		{preset, "from-environment"},
		{empty, ""},
		{fresh, "fresh-value"},
		{quoted, "pa$word # not a comment"},
	}
	for _, tt := range tests {
		if got := os.Getenv(tt.name); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, got, tt.want)
		}
	}

	if err := LoadDotEnv(filepath.Join(t.TempDir(), ".env")); err != nil {
		t.Errorf("missing .env: %v, want nil", err)
	}
}

func TestLoadDotEnvErrors(t *testing.T) {
	const leaked = "ghp_do-not-print-me"
	tests := []struct {
		name string
		file string
		want string
	}{
		{"bad character in a name", "A=1\n# c\n\nMY-VAR=" + leaked + "\nB=2\n", ".env line 4: cannot parse"},
		{"unterminated quote", "A=1\nB='" + leaked + "\nC=3\n", ".env line 2: cannot parse"},
		{"multi-line quote then a bad line", "A=\"one\ntwo\"\nB=" + leaked + "\nC D-E=1\n", ".env line 4: cannot parse"},
		{"line without =", "A=" + leaked + "\nJUSTANAME", `"" is not a valid variable name`},
		{"name with a dot", "a.b=" + leaked + "\n", `"a.b" is not a valid variable name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := LoadDotEnv(writeFile(t, ".env", tt.file))
			if err == nil {
				t.Fatal("LoadDotEnv succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), leaked) {
				t.Errorf("error reveals the file's content: %q", err)
			}
		})
	}
}
