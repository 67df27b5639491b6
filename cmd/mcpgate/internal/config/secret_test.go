package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// leakyConfigs are configurations full of distinctive secret values, valid
// and invalid, for TestSecretsNeverLeak.
func leakyConfigs() (map[string]*Config, []string) {
	secrets := []string{
		"5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2", // server secret (valid)
		"0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0", // previous secret (valid)
		"tooshort-serversecret",    // invalid server secret
		"gh-client-secret-LEAK1",   // GitHub
		"google-client-secret-LK2", // Google
		"oidc-client-secret-LEAK3", // OIDC
		"redis-url-password-LEAK4", // in MCPGATE_REDIS_URL
		"sentinel-password-LEAK5",
		"sentinel-sentinelpw-LEAK6",
		"cluster-password-LEAK7",
	}
	full := Default()
	full.Secret = NewSecret(secrets[0])
	full.PreviousSecrets = []Secret{NewSecret(secrets[1])}
	full.GitHub.ClientID = "gh-id"
	full.GitHub.ClientSecret = NewSecret(secrets[3])
	full.Google = GoogleConfig{ClientID: "g-id", ClientSecret: NewSecret(secrets[4])}
	full.OIDC = OIDCConfig{IssuerURL: "https://issuer.example.com", ClientID: "o-id", ClientSecret: NewSecret(secrets[5])}
	full.Redis.URL = NewSecret("rediss://mcpgate:" + secrets[6] + "@redis.example.com:6380/0?dial_timeout=2s")

	invalid := Default()
	invalid.Secret = NewSecret(secrets[2])
	invalid.PreviousSecrets = []Secret{NewSecret(secrets[2]), NewSecret(secrets[3])}
	invalid.GitHub.ClientSecret = NewSecret(secrets[3]) // without ID
	invalid.Google.ClientSecret = NewSecret(secrets[4]) // without ID
	invalid.OIDC.ClientSecret = NewSecret(secrets[5])   // without the rest
	invalid.Redis.URL = NewSecret("redis://u:" + secrets[6] + "@localhost:6379/notadb")
	invalid.Redis.Sentinel = SentinelConfig{Password: NewSecret(secrets[7]), SentinelPassword: NewSecret(secrets[8])}
	invalid.Redis.Cluster = ClusterConfig{Password: NewSecret(secrets[9])}

	unparsable := validConfig()
	unparsable.Secret = NewSecret(testSecret)
	unparsable.Redis.URL = NewSecret("redis://u:" + secrets[6] + "%zz@localhost:6379")

	return map[string]*Config{"full": full, "invalid": invalid, "unparsable redis url": unparsable}, secrets
}

func TestSecretsNeverLeak(t *testing.T) {
	configs, secrets := leakyConfigs()
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			outputs := map[string]string{
				"fmt": fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg) +
					fmt.Sprintf("%v %+v %#v %+v %#v", *cfg, *cfg, *cfg, cfg.Redis, cfg.GitHub) +
					fmt.Sprintf("%s %q %x %X %d %v %#v", cfg.Secret, cfg.Secret, cfg.Secret, cfg.Redis.URL, cfg.GitHub.ClientSecret, cfg.PreviousSecrets, cfg.PreviousSecrets),
				"String":   cfg.Secret.String() + cfg.Secret.GoString() + cfg.Redis.URL.String(),
				"slog":     slogOutput(cfg),
				"json":     mustJSON(t, cfg),
				"yaml":     mustYAML(t, cfg),
				"Validate": fmt.Sprint(cfg.Validate()),
			}
			if opts, err := cfg.RedisUniversalOptions(); err != nil {
				outputs["RedisUniversalOptions error"] = err.Error()
			} else if opts == nil {
				t.Error("RedisUniversalOptions returned nil options and no error")
			}
			for what, out := range outputs {
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("%s output reveals secret %q:\n%s", what, s, out)
					}
				}
			}
			// The checks above are not vacuous: the outputs show the
			// configuration, with its secrets redacted.
			for what, out := range outputs {
				if what == "Validate" || strings.HasPrefix(what, "Redis") {
					continue
				}
				if !strings.Contains(out, "[redacted]") {
					t.Errorf("%s output has no [redacted] marker:\n%s", what, out)
				}
			}
			if !strings.Contains(outputs["slog"], `"public_url":"http://localhost:8080"`) {
				t.Errorf("slog JSON output lacks the public URL:\n%s", outputs["slog"])
			}
		})
	}
	if (Secret{}).String() != "" || fmt.Sprint(Secret{}) != "" {
		t.Error("an empty secret does not print as empty")
	}
}

// slogOutput logs cfg and parts of it through the JSON and text handlers.
func slogOutput(cfg *Config) string {
	var buf bytes.Buffer
	attrs := []any{
		slog.Any("config", cfg),
		slog.Any("config_value", *cfg),
		slog.Any("github", cfg.GitHub),
		slog.Any("redis", cfg.Redis),
		slog.Any("secret", cfg.Secret),
		slog.Any("previous", cfg.PreviousSecrets),
	}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("configuration", attrs...)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configuration", attrs...)
	return buf.String()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSecretBytes(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  int // decoded length; 0 means nil
	}{
		{"hex", testSecret, 32},
		{"hex with surrounding space", " " + testSecret + "\n", 32},
		{"base64", "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=", 32},
		{"base64url unpadded", "ABEiM0RVZneImaq7zN3u_wARIjNEVWZ3iJmqu8zd7v8", 32},
		{"empty", "", 0},
		{"too short", "abcd", 0},
		{"garbage", "not a secret at all, not at all, no", 0},
	}
	for _, tt := range tests {
		if got := NewSecret(tt.value).Bytes(); len(got) != tt.want {
			t.Errorf("%s: Bytes() has %d bytes, want %d", tt.name, len(got), tt.want)
		}
	}
}
