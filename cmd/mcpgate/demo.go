package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	"github.com/mcpgate/mcpgate/upstream/fakegithub"
)

// demoCommand runs the whole product with no credentials and no network: an
// in-memory store, a built-in demo GitHub (sign-in page, OAuth endpoints and
// demo repositories, issues and pull requests) served in-process on another
// loopback port, and mcpgate itself, bound to loopback only.
func demoCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "loopback `address` to listen on")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	setUsage(fs, stderr, "mcpgate demo [-addr 127.0.0.1:8080] [-log-level info]")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("demo takes no arguments, got %q", pos)}
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usageError{fmt.Sprintf("-addr %q: %v", *addr, err)}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{fmt.Sprintf("-addr %q: the demo binds to loopback only (127.0.0.1, [::1] or localhost)", *addr)}
	}
	logger, err := newLogger(stderr, *logLevel, "text")
	if err != nil {
		return usageError{err.Error()}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with -addr)", *addr, err)
	}
	defer ln.Close()
	ghln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return fmt.Errorf("listen for the demo GitHub: %w", err)
	}
	defer ghln.Close()

	port := ln.Addr().(*net.TCPAddr).Port
	publicURL := fmt.Sprintf("http://localhost:%d", port)
	fakeURL := "http://" + ghln.Addr().String()

	demoSecret := rand.Text()
	fake := fakegithub.New(fakegithub.Options{
		ClientID: "mcpgate-demo", ClientSecret: demoSecret, Enterprise: true, AppName: "mcpgate demo", SiteName: demoGitHubName,
	})
	fake.SetURL(fakeURL)
	ghSrv := newHTTPServer(fake, logger)
	go ghSrv.Serve(ghln)
	defer ghSrv.Close()

	cfg := demoConfig(publicURL, ln.Addr().String(), fakeURL, demoSecret)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	a, err := newApp(ctx, cfg, appOptions{Logger: logger, GitHubDisplayName: demoGitHubName, Demo: true})
	if err != nil {
		return err
	}
	defer a.Close()

	fmt.Fprint(stdout, renderDemoBanner(publicURL, fakeURL))
	return serveHTTP(ctx, ln, a.handler, logger)
}

// demoConfig is the embedded configuration of the demo.
func demoConfig(publicURL, addr, fakeGitHubURL, clientSecret string) *config.Config {
	cfg := config.Default()
	cfg.Addr = addr
	cfg.PublicURL = publicURL
	cfg.GitHub.ClientID = "mcpgate-demo"
	cfg.GitHub.ClientSecret = config.NewSecret(clientSecret)
	cfg.GitHub.BaseURL = fakeGitHubURL
	return cfg
}

// demoGitHubName is the demo GitHub's name everywhere the demo shows it:
// the banner, the consent page's button and the demo GitHub's sign-in page.
const demoGitHubName = "Demo GitHub"

// renderDemoBanner is what `mcpgate demo` prints at start-up.
func renderDemoBanner(publicURL, demoGitHubURL string) string {
	mcpURL := publicURL + "/mcp"
	return fmt.Sprintf(demoBanner, mcpURL, demoGitHubName, demoGitHubURL, mcpURL, mcpURL, publicURL)
}

// demoBanner's MCP Inspector steps are Inspector 2's (npx installs 2.x):
// servers are added in its sidebar, then connected with their toggle.
const demoBanner = `
  mcpgate DEMO ─ in-memory store, a built-in demo GitHub with demo data,
  loopback only. Nothing here reaches the real GitHub. Do not deploy this.

  MCP server URL:   %s
  %s:      %s (sign in as "mona" or "hubot"; no password)

  Try it:
    MCP Inspector:  npx @modelcontextprotocol/inspector
                    then Add Servers → Add manually → Transport: streamable-http
                    → URL: %s → Add, and switch the server's connection on
                    (a browser tab opens for consent and the demo sign-in)
    mcp-remote:     npx mcp-remote %s
    In a browser:   %s (what this server is), /connections (your connections)

  Press Ctrl-C to stop.

`
