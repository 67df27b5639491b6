package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestOIDCFederation signs in to `mcpgate serve` (Redis, GitHub and an
// OpenID Connect issuer configured through the environment) through a
// real, independent OpenID Provider: oidc-provider (oidc-op.mjs) with its
// own sign-in and consent pages, PKCE required and rotating refresh
// tokens. The TypeScript SDK client registers, the browser picks the
// OpenID Connect button among the identity providers on mcpgate's consent
// page, signs in at the provider with a login and password and approves
// there; whoami then answers with the provider's account, the GitHub
// tools are not offered, and mcpgate's refresh works for the grant.
func TestOIDCFederation(t *testing.T) {
	tc := needToolchain(t)
	out := outputDir(t, tc)
	var op *openIDProvider
	gw := startServe(t, tc, out, func(t *testing.T, port int) serveOptions {
		op = startOpenIDProvider(t, tc, out, oidcCallback(port))
		return serveOptions{
			Env: []string{
				"OIDC_ISSUER_URL=" + op.Issuer,
				"OIDC_CLIENT_ID=" + op.ClientID,
				"OIDC_CLIENT_SECRET=" + op.ClientSecret,
			},
			Secrets: []string{op.ClientSecret, op.Password},
		}
	})
	res := runScriptEnv(t, tc, gw, out, []string{"E2E_OP_PASSWORD=" + op.Password},
		"ts-sdk-oidc.mjs", "--op-login", opAccount.Sub, "--provider", "oidc")
	if !res.OK && strings.Contains(res.Error, `no sign-in with identity provider "oidc"`) {
		t.Fatalf("mcpgate serve does not offer the OpenID Connect provider configured with OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: "+
			"its consent page has no \"oidc\" button (is the provider wired from the environment?): %s\n(logs in %s)", res.Error, out)
	}
	mustSucceed(t, res, out)
	var got struct {
		Consent struct {
			Button  string   `json:"button"`
			Choices []string `json:"choices"`
		} `json:"consent"`
		OPConsentShown bool     `json:"opConsentShown"`
		Tools          []string `json:"tools"`
		Whoami         struct {
			Provider      string   `json:"provider"`
			UserID        string   `json:"user_id"`
			Subject       string   `json:"subject"`
			Login         string   `json:"login"`
			Email         string   `json:"email"`
			EmailVerified bool     `json:"email_verified"`
			Name          string   `json:"name"`
			Scopes        []string `json:"scopes"`
			GitHubTools   bool     `json:"github_tools"`
		} `json:"whoami"`
		GetMe struct {
			IsError bool   `json:"isError"`
			Text    string `json:"text"`
		} `json:"getMe"`
		Refresh struct {
			Rotated      bool   `json:"rotated"`
			SubjectAfter string `json:"subjectAfter"`
		} `json:"refresh"`
	}
	res.decode(t, &got)

	t.Run("chooser", func(t *testing.T) {
		if !slices.Contains(got.Consent.Choices, "github") || !slices.Contains(got.Consent.Choices, "oidc") {
			t.Errorf("the consent page offered identity providers %q, want github and oidc", got.Consent.Choices)
		}
		if !got.OPConsentShown {
			t.Error("the OpenID Provider's consent form was not shown on the first sign-in")
		}
	})
	t.Run("whoami", func(t *testing.T) {
		w := got.Whoami
		for _, c := range []struct{ field, got, want string }{
			{"provider", w.Provider, "oidc"},
			{"subject", w.Subject, opAccount.Sub},
			{"user_id", w.UserID, "oidc:" + opAccount.Sub},
			{"email", w.Email, opAccount.Email},
			{"name", w.Name, opAccount.Name},
			{"login", w.Login, opAccount.PreferredUsername},
		} {
			if c.got != c.want {
				t.Errorf("whoami %s = %q, want %q", c.field, c.got, c.want)
			}
		}
		if !w.EmailVerified {
			t.Error("whoami email_verified = false, want true (the provider verified it)")
		}
		if w.GitHubTools {
			t.Error("whoami github_tools = true for an OpenID Connect sign-in")
		}
		if len(w.Scopes) == 0 {
			t.Error("whoami reports no scopes")
		}
	})
	t.Run("tools", func(t *testing.T) {
		if !slices.Contains(got.Tools, "whoami") {
			t.Errorf("tools/list lacks whoami: %v", got.Tools)
		}
		for _, name := range expectedTools {
			if slices.Contains(got.Tools, name) {
				t.Errorf("tools/list offers the GitHub tool %s to a sign-in without GitHub: %v", name, got.Tools)
			}
		}
		if !got.GetMe.IsError || !strings.Contains(got.GetMe.Text, "GitHub") {
			t.Errorf("get_me without a GitHub sign-in = %+v, want a tool error that says to sign in with GitHub", got.GetMe)
		}
	})
	t.Run("refresh", func(t *testing.T) {
		if !got.Refresh.Rotated || got.Refresh.SubjectAfter != opAccount.Sub {
			t.Errorf("refresh = %+v, want a rotated refresh token and whoami still %s", got.Refresh, opAccount.Sub)
		}
	})
	t.Run("provider-log", func(t *testing.T) {
		events, requests := op.activity(t)
		var authorized, exchanged, signedIn bool
		for _, e := range events {
			switch e.Event {
			case "authorization.success":
				authorized = true
				if e.ClientID != op.ClientID || e.CodeChallengeMethod != "S256" || !e.Nonce || e.RedirectURI != oidcCallback(portOfURL(t, gw.URL)) {
					t.Errorf("authorization request at the provider = %+v, want client %s, PKCE S256, a nonce and redirect URI %s", e, op.ClientID, oidcCallback(portOfURL(t, gw.URL)))
				}
				if scopes := strings.Fields(e.Scope); !slices.Contains(scopes, "openid") || !slices.Contains(scopes, "email") {
					t.Errorf("mcpgate asked the provider for scope %q, want openid and email in it", e.Scope)
				}
			case "grant.success":
				if e.GrantType == "authorization_code" {
					exchanged = true
				}
			case "login":
				signedIn = signedIn || e.OK
			case "authorization.error", "grant.error", "userinfo.error", "server_error":
				t.Errorf("the provider logged %s: %s %s", e.Event, e.Error, e.Description)
			}
		}
		if !authorized || !exchanged || !signedIn {
			t.Errorf("provider events: authorization %v, code exchange %v, sign-in %v; want all three\nrequests: %s", authorized, exchanged, signedIn, strings.Join(requests, "; "))
		}
		t.Logf("requests at the provider: %s", strings.Join(requests, "; "))
	})
}
