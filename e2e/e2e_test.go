package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// expectedTools are tools every client must see in tools/list.
var expectedTools = []string{"get_me", "search_repositories", "get_file_contents", "list_issues", "issue_read", "issue_write", "pull_request_read", "list_pull_requests"}

func checkTools(t *testing.T, client string, tools []string) {
	t.Helper()
	for _, name := range expectedTools {
		if !slices.Contains(tools, name) {
			t.Errorf("%s: tools/list lacks %s (got %v)", client, name, tools)
		}
	}
}

// readmeURI is the repo:// resource the clients read: README.md of the
// fake GitHub's mona/hello-world, whose first line is readmeHeading.
const (
	readmeURI     = "repo://mona/hello-world/contents/README.md"
	readmeHeading = "# hello-world"
)

// contentTemplates are the repo:// resource templates every client must see
// in resources/templates/list.
var contentTemplates = []string{
	"repo://{owner}/{repo}/contents{/path*}",
	"repo://{owner}/{repo}/refs/heads/{branch}/contents{/path*}",
	"repo://{owner}/{repo}/refs/tags/{tag}/contents{/path*}",
	"repo://{owner}/{repo}/sha/{sha}/contents{/path*}",
	"repo://{owner}/{repo}/refs/pull/{prNumber}/head/contents{/path*}",
}

// resourceContents is one entry of a resources/read result, as MCP sends it.
type resourceContents struct {
	URI  string `json:"uri"`
	Text string `json:"text"`
	Blob string `json:"blob"`
}

// promptResult is a prompts/get result, as MCP sends it.
type promptResult struct {
	Messages []struct {
		Role    string `json:"role"`
		Content struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"messages"`
}

// checkReadme checks a client's resources/read of readmeURI: the file's
// text, under the URI that was asked for.
func checkReadme(t *testing.T, client string, got resourceContents) {
	t.Helper()
	if first, _, _ := strings.Cut(got.Text, "\n"); got.URI != readmeURI || first != readmeHeading || got.Blob != "" {
		t.Errorf("%s: resources/read %s = %+v, want text starting with the line %q under that URI", client, readmeURI, got, readmeHeading)
	}
}

// checkSummarizeIssue checks a client's prompts/get summarize_issue with
// owner mona, repo hello-world and issue_number "1": one user message, in
// text, that names the issue and says to read it with issue_read.
func checkSummarizeIssue(t *testing.T, client string, got promptResult) {
	t.Helper()
	const want = "Summarise issue #1 in mona/hello-world.\n"
	if len(got.Messages) != 1 {
		t.Errorf("%s: prompts/get summarize_issue returned %d messages, want 1: %+v", client, len(got.Messages), got)
		return
	}
	m := got.Messages[0]
	if m.Role != "user" || m.Content.Type != "text" || !strings.HasPrefix(m.Content.Text, want) || !strings.Contains(m.Content.Text, "issue_read (method get)") {
		t.Errorf("%s: prompts/get summarize_issue message = %+v, want a user text starting %q that says to use issue_read (method get)", client, m, want)
	}
}

// TestMCPRemote runs mcp-remote (stdio ↔ remote proxy) against mcpgate:
// OAuth through $BROWSER, then initialize, tools/list, tools/call get_me,
// resources/templates/list, resources/read of README.md, prompts/list and
// prompts/get summarize_issue over its stdio. "http-first" is its default (streamable HTTP at /mcp);
// "sse-only" uses the legacy HTTP+SSE transport at /sse. Each runs against
// the demo and against `mcpgate serve` on Redis.
func TestMCPRemote(t *testing.T) {
	tc := needToolchain(t)
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			for _, transport := range []string{"http-first", "sse-only"} {
				t.Run(transport, func(t *testing.T) {
					out := outputDir(t, tc)
					gw := startGateway(t, tc, out, m)
					res := runScript(t, tc, gw, out, "mcp-remote.mjs", "--transport", transport)
					mustSucceed(t, res, out)
					var got struct {
						Transport  string   `json:"transport"`
						Tools      []string `json:"tools"`
						Login      string   `json:"login"`
						ServerInfo struct {
							Name string `json:"name"`
						} `json:"serverInfo"`
						BrowserHops       int              `json:"browserHops"`
						ResourceTemplates []string         `json:"resourceTemplates"`
						Readme            resourceContents `json:"readme"`
						Prompts           []string         `json:"prompts"`
						Prompt            promptResult     `json:"prompt"`
					}
					res.decode(t, &got)
					if got.Transport != transport {
						t.Errorf("transport = %q, want %q", got.Transport, transport)
					}
					checkTools(t, "mcp-remote", got.Tools)
					if got.Login != "mona" {
						t.Errorf("get_me login = %q, want mona", got.Login)
					}
					if got.ServerInfo.Name != "mcpgate" {
						t.Errorf("serverInfo.name = %q, want mcpgate", got.ServerInfo.Name)
					}
					if got.BrowserHops < 4 {
						t.Errorf("the browser took %d hops; consent, sign-in and callback take at least 4", got.BrowserHops)
					}
					for _, want := range contentTemplates {
						if !slices.Contains(got.ResourceTemplates, want) {
							t.Errorf("resources/templates/list lacks %s (got %v)", want, got.ResourceTemplates)
						}
					}
					checkReadme(t, "mcp-remote", got.Readme)
					for _, want := range []string{"summarize_issue", "review_pull_request"} {
						if !slices.Contains(got.Prompts, want) {
							t.Errorf("prompts/list lacks %s (got %v)", want, got.Prompts)
						}
					}
					checkSummarizeIssue(t, "mcp-remote", got.Prompt)
				})
			}
		})
	}
}

// TestTypeScriptSDK runs the TypeScript SDK client with an
// OAuthClientProvider: first authorization, refresh on demand with
// rotation, refresh after a 401, and re-registration after the server
// answers 401 invalid_client for a client it does not know; against the
// demo and against `mcpgate serve` on Redis.
func TestTypeScriptSDK(t *testing.T) {
	tc := needToolchain(t)
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			out := outputDir(t, tc)
			gw := startGateway(t, tc, out, m)
			res := runScript(t, tc, gw, out, "ts-sdk.mjs")
			mustSucceed(t, res, out)
			var got struct {
				Steps struct {
					Connect struct {
						Tools int    `json:"tools"`
						Login string `json:"login"`
					} `json:"connect"`
					Resources struct {
						Readme     resourceContents `json:"readme"`
						Prompts    []string         `json:"prompts"`
						Prompt     promptResult     `json:"prompt"`
						IssueTitle string           `json:"issueTitle"`
					} `json:"resources"`
					RefreshOnDemand struct {
						Rotated bool `json:"rotated"`
					} `json:"refreshOnDemand"`
					RefreshOn401 struct {
						RefreshGrants int `json:"refreshGrants"`
					} `json:"refreshOn401"`
					Reregister struct {
						ClientIDChanged bool `json:"clientIDChanged"`
						Authorizations  int  `json:"authorizations"`
					} `json:"reregister"`
				} `json:"steps"`
				Requests []string `json:"requests"`
			}
			res.decode(t, &got)
			if got.Steps.Connect.Login != "mona" || got.Steps.Connect.Tools < len(expectedTools) {
				t.Errorf("connect step = %+v, want login mona and at least %d tools", got.Steps.Connect, len(expectedTools))
			}
			r := got.Steps.Resources
			checkReadme(t, "typescript sdk", r.Readme)
			checkSummarizeIssue(t, "typescript sdk", r.Prompt)
			if !slices.Contains(r.Prompts, "review_pull_request") || r.IssueTitle == "" {
				t.Errorf("resources step = %+v, want the prompts and issue #1's title", r)
			}
			if !got.Steps.RefreshOnDemand.Rotated {
				t.Error("the refresh token was not rotated")
			}
			if got.Steps.RefreshOn401.RefreshGrants < 2 {
				t.Errorf("refresh_token grants = %d, want at least 2 (on demand and after the 401)", got.Steps.RefreshOn401.RefreshGrants)
			}
			if !got.Steps.Reregister.ClientIDChanged || got.Steps.Reregister.Authorizations != 2 {
				t.Errorf("re-registration step = %+v, want a new client ID and a second authorization", got.Steps.Reregister)
			}
			for _, want := range []string{"POST /mcp 401", "POST /register 201", "POST /token(authorization_code) 200", "POST /token(refresh_token) 200", "POST /token(refresh_token) 401 invalid_client"} {
				if !slices.Contains(got.Requests, want) {
					t.Errorf("no %q among the client's requests:\n%s", want, strings.Join(got.Requests, "\n"))
				}
			}
		})
	}
}

// TestInspectorCLI runs the MCP Inspector CLI with its own OAuth: tools/list
// through the browser, then tools/call get_me, resources/read of README.md
// and prompts/get summarize_issue with the stored token only;
// against the demo and against `mcpgate serve` on Redis, which is
// restarted between the two calls: the stored token must still work.
func TestInspectorCLI(t *testing.T) {
	tc := needToolchain(t)
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			out := outputDir(t, tc)
			gw := startGateway(t, tc, out, m)
			var got struct {
				Tools  []string         `json:"tools"`
				Login  string           `json:"login"`
				Readme resourceContents `json:"readme"`
				Prompt promptResult     `json:"prompt"`
			}
			if m == modeServe {
				res := runScript(t, tc, gw, out, "inspector.mjs", "--phase", "login")
				mustSucceed(t, res, out)
				res.decode(t, &got)
				gw.Restart(t)
				res = runScript(t, tc, gw, out, "inspector.mjs", "--phase", "stored")
				mustSucceed(t, res, out)
				res.decode(t, &got)
			} else {
				res := runScript(t, tc, gw, out, "inspector.mjs")
				mustSucceed(t, res, out)
				res.decode(t, &got)
			}
			checkTools(t, "inspector", got.Tools)
			if got.Login != "mona" {
				t.Errorf("get_me login = %q, want mona", got.Login)
			}
			checkReadme(t, "inspector", got.Readme)
			checkSummarizeIssue(t, "inspector", got.Prompt)
		})
	}
}

// conformanceScenarios are the MCP conformance suite's server scenarios that
// a tools-only server can pass (the others need the suite's own test tools,
// resources and prompts). See conformance.mjs.
var conformanceScenarios = []string{"server-initialize", "ping", "logging-set-level", "tools-list", "dns-rebinding-protection"}

// TestConformance runs the official MCP conformance suite's applicable
// server scenarios with a real access token, plus protocol version
// negotiation checks, against `mcpgate serve` on Redis; each is a subtest.
func TestConformance(t *testing.T) {
	tc := needToolchain(t)
	out := outputDir(t, tc)
	gw := startGateway(t, tc, out, modeServe)
	var args []string
	for _, s := range conformanceScenarios {
		args = append(args, "--scenario", s)
	}
	res := runScript(t, tc, gw, out, "conformance.mjs", args...)
	var got struct {
		Scenarios map[string]struct {
			OK       bool     `json:"ok"`
			Exit     int      `json:"exit"`
			Passed   int      `json:"passed"`
			Failed   []string `json:"failed"`
			Warnings []string `json:"warnings"`
		} `json:"scenarios"`
		Negotiation struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		} `json:"negotiation"`
	}
	res.decode(t, &got)
	if got.Scenarios == nil {
		mustSucceed(t, res, out)
		t.Fatalf("the conformance script reported no scenarios: %s", res.raw)
	}
	for _, name := range conformanceScenarios {
		t.Run(name, func(t *testing.T) {
			s, ok := got.Scenarios[name]
			switch {
			case !ok:
				t.Fatalf("scenario %s was not run", name)
			case !s.OK:
				t.Errorf("exit %d, %d checks passed, failed: %s (details in %s)", s.Exit, s.Passed, strings.Join(s.Failed, "; "), filepath.Join(out, name+".out.txt"))
			}
			for _, w := range s.Warnings {
				t.Logf("warning: %s", w)
			}
		})
	}
	t.Run("protocol-version-negotiation", func(t *testing.T) {
		if !got.Negotiation.OK {
			t.Error(got.Negotiation.Error)
		}
	})
}

// TestChromiumConsent walks the consent page in headless Chromium: what it
// shows, Approve, the demo GitHub's Authorize, the callback with a code
// that works at /token, and that the page refuses to be framed.
func TestChromiumConsent(t *testing.T) {
	tc := needToolchain(t)
	chromium := needChromium(t)
	out := outputDir(t, tc)
	gw := startDemo(t, tc, out)
	res := runScript(t, tc, gw, out, "playwright.mjs", "--chromium", chromium)
	mustSucceed(t, res, out)
	var got struct {
		Login          string `json:"login"`
		ConsentHeaders struct {
			XFrameOptions string `json:"xFrameOptions"`
			CSP           string `json:"csp"`
		} `json:"consentHeaders"`
		Framing struct {
			BlockedBy             []string `json:"blockedBy"`
			ConsentVisibleInFrame bool     `json:"consentVisibleInFrame"`
		} `json:"framing"`
	}
	res.decode(t, &got)
	if got.Login != "mona" {
		t.Errorf("get_me login = %q, want mona", got.Login)
	}
	if got.Framing.ConsentVisibleInFrame || len(got.Framing.BlockedBy) == 0 {
		t.Errorf("framing = %+v, want the frame blocked", got.Framing)
	}
	if !strings.Contains(got.ConsentHeaders.CSP, "frame-ancestors 'none'") {
		t.Errorf("consent page CSP = %q, want frame-ancestors 'none'", got.ConsentHeaders.CSP)
	}
	for _, shot := range []string{"consent.png", "framed.png"} {
		if fi, err := os.Stat(filepath.Join(out, shot)); err != nil || fi.Size() == 0 {
			t.Errorf("screenshot %s missing or empty: %v", shot, err)
		}
	}
}
