package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDemoBanner: the banner names the demo GitHub as its pages do and
// gives Inspector 2's steps with the MCP URL.
func TestDemoBanner(t *testing.T) {
	got := renderDemoBanner("http://localhost:8080", "http://127.0.0.1:40001")
	for _, want := range []string{
		"MCP server URL:   http://localhost:8080/mcp",
		"Demo GitHub:      http://127.0.0.1:40001",
		"npx @modelcontextprotocol/inspector",
		"Add Servers → Add manually → Transport: streamable-http",
		"URL: http://localhost:8080/mcp → Add",
		"connection on",
		"npx mcp-remote http://localhost:8080/mcp",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("banner lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "%!") || strings.Contains(got, "Fake GitHub") {
		t.Errorf("banner:\n%s", got)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in two
// goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDemoNamesItsGitHubConsistently runs `mcpgate demo` and reads its
// pages: the demo GitHub's sign-in page says "Demo GitHub" like the
// banner, and GET / names the MCP URL.
func TestDemoNamesItsGitHubConsistently(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-addr", "127.0.0.1:0", "-log-level", "error"}, out, io.Discard)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("demo did not stop within 30s")
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("no banner within 30s: %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	urls := regexp.MustCompile(`MCP server URL:\s+(\S+)/mcp\n\s+Demo GitHub:\s+(\S+)`).FindStringSubmatch(out.String())
	if urls == nil {
		t.Fatalf("banner without the URLs:\n%s", out.String())
	}
	publicURL, gitHubURL := urls[1], urls[2]
	get := func(u string) string {
		t.Helper()
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	signIn := get(gitHubURL + "/login/oauth/authorize?client_id=mcpgate-demo&redirect_uri=" +
		url.QueryEscape(publicURL+"/oauth/callback/github") + "&state=s&code_challenge=" + strings.Repeat("a", 43) + "&code_challenge_method=S256")
	if !strings.Contains(signIn, "<title>Sign in to Demo GitHub</title>") || strings.Contains(signIn, "Fake GitHub") {
		t.Errorf("the demo GitHub's sign-in page does not call itself Demo GitHub:\n%s", signIn)
	}
	if home := get(publicURL + "/"); !strings.Contains(home, publicURL+"/mcp") {
		t.Errorf("GET / lacks the MCP URL:\n%s", home)
	}
}
