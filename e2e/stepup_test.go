package e2e

import (
	"slices"
	"strings"
	"testing"
)

// stepUpConfig is the YAML configuration of TestStepUp: clients that ask
// for no particular scope get read-only access.
const stepUpConfig = `# TestStepUp: clients start read-only and step up for the write tools.
scopes:
  supported: ["mcp:read", "mcp:write"]
  default: ["mcp:read"]
`

// TestStepUp runs the TypeScript SDK client against `mcpgate serve` (Redis,
// a YAML configuration file) whose clients start with mcp:read: the first
// sign-in is read-only, create_issue is refused with 403
// insufficient_scope naming "mcp:read mcp:write", and after a second
// authorization (the consent page is shown again for the broader scope)
// the call succeeds. It runs with both lines of the SDK: v1
// (@modelcontextprotocol/sdk 1.x, the one most clients embed), which gives
// up at the 403 after a refresh that cannot widen the grant, so the script
// steps up explicitly; and the v2 client (@modelcontextprotocol/client),
// which must step up by itself on mcpgate's challenge. See
// ts-sdk-stepup.mjs.
func TestStepUp(t *testing.T) {
	tc := needToolchain(t)
	tests := []struct {
		sdk string
		// wantAutomatic requires the SDK's own step-up (nil: either way).
		wantAutomatic *bool
	}{
		{sdk: "v1"},
		{sdk: "v2", wantAutomatic: new(true)},
	}
	for _, tt := range tests {
		t.Run("sdk-"+tt.sdk, func(t *testing.T) {
			out := outputDir(t, tc)
			gw := startServe(t, tc, out, func(*testing.T, int) serveOptions {
				return serveOptions{Config: stepUpConfig}
			})
			res := runScript(t, tc, gw, out, "ts-sdk-stepup.mjs", "--sdk", tt.sdk)
			mustSucceed(t, res, out)
			checkStepUp(t, gw, res)
			var got struct {
				SDK struct {
					Package string `json:"package"`
					Version string `json:"version"`
				} `json:"sdk"`
				SDKRefreshed       bool   `json:"sdkRefreshed"`
				SDKAutomaticStepUp bool   `json:"sdkAutomaticStepUp"`
				SDKOutcome         string `json:"sdkOutcome"`
				ReadOnlyGrant      struct {
					Status int    `json:"status"`
					Scope  string `json:"scope"`
					Error  string `json:"error"`
				} `json:"readOnlyGrantAfterStepUp"`
			}
			res.decode(t, &got)
			t.Logf("%s %s step-up: automatic=%v, refreshed first=%v: %s", got.SDK.Package, got.SDK.Version, got.SDKAutomaticStepUp, got.SDKRefreshed, got.SDKOutcome)
			t.Logf("the read-only grant's refresh token after the step-up: %d %s%s", got.ReadOnlyGrant.Status, got.ReadOnlyGrant.Scope, got.ReadOnlyGrant.Error)
			if tt.wantAutomatic != nil && got.SDKAutomaticStepUp != *tt.wantAutomatic {
				t.Errorf("%s %s: automatic step-up = %v, want %v (%s)", got.SDK.Package, got.SDK.Version, got.SDKAutomaticStepUp, *tt.wantAutomatic, got.SDKOutcome)
			}
		})
	}
}

// checkStepUp checks the result of ts-sdk-stepup.mjs: the scopes of the
// challenges, authorization requests and tokens, and the issue created.
func checkStepUp(t *testing.T, gw *gateway, res scriptResult) {
	t.Helper()
	var got struct {
		Challenge401Scope string   `json:"challenge401Scope"`
		InitialScope      string   `json:"initialScope"`
		RequestedScopes   []string `json:"requestedScopes"`
		Forbidden         struct {
			Status    int               `json:"status"`
			Challenge map[string]string `json:"challenge"`
		} `json:"forbidden"`
		GrantedScope string `json:"grantedScope"`
		Issue        struct {
			Number int    `json:"number"`
			User   string `json:"user"`
		} `json:"issue"`
	}
	res.decode(t, &got)
	if got.Challenge401Scope != "mcp:read" {
		t.Errorf("the 401 challenge's scope = %q, want the configured default mcp:read", got.Challenge401Scope)
	}
	if got.InitialScope != "mcp:read" {
		t.Errorf("first token scope = %q, want mcp:read", got.InitialScope)
	}
	if got.Forbidden.Status != 403 || got.Forbidden.Challenge["error"] != "insufficient_scope" ||
		got.Forbidden.Challenge["scope"] != "mcp:read mcp:write" ||
		!strings.HasPrefix(got.Forbidden.Challenge["resource_metadata"], gw.URL+"/.well-known/oauth-protected-resource") {
		t.Errorf("the refusal of create_issue = %+v, want 403 insufficient_scope, scope \"mcp:read mcp:write\" and resource_metadata under %s", got.Forbidden, gw.URL)
	}
	if len(got.RequestedScopes) != 2 || !slices.Contains(strings.Fields(got.RequestedScopes[1]), "mcp:write") {
		t.Errorf("authorization requests asked for %q, want a second one with mcp:write", got.RequestedScopes)
	}
	if !slices.Contains(strings.Fields(got.GrantedScope), "mcp:write") {
		t.Errorf("token scope after the step-up = %q, want mcp:write in it", got.GrantedScope)
	}
	if got.Issue.Number <= 0 || got.Issue.User != "mona" {
		t.Errorf("created issue = %+v, want a number and author mona", got.Issue)
	}
	if c := gw.Fake.Counts(); c.Exchanges != 2 {
		t.Errorf("the fake GitHub redeemed %d authorization codes, want 2 (the sign-in and the step-up)", c.Exchanges)
	}
}
