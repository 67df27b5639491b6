package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		config  string
		verbose bool
	}{
		{nil, nil, "", false},
		{[]string{"revoke", "ID", "-config", "f.yaml"}, []string{"revoke", "ID"}, "f.yaml", false},
		{[]string{"-config", "f.yaml", "revoke", "ID"}, []string{"revoke", "ID"}, "f.yaml", false},
		{[]string{"revoke", "-config=f.yaml", "ID", "-v"}, []string{"revoke", "ID"}, "f.yaml", true},
		{[]string{"list", "--config", "f.yaml", "-v"}, []string{"list"}, "f.yaml", true},
		{[]string{"revoke", "--", "-config", "x"}, []string{"revoke", "-config", "x"}, "", false},
		{[]string{"-v", "--", "--"}, []string{"--"}, "", true},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		config := fs.String("config", "", "")
		verbose := fs.Bool("v", false, "")
		pos, err := parseArgs(fs, tt.args)
		if err != nil {
			t.Errorf("parseArgs(%q): %v", tt.args, err)
			continue
		}
		if !slices.Equal(pos, tt.pos) || *config != tt.config || *verbose != tt.verbose {
			t.Errorf("parseArgs(%q) = %q, config %q, v %v; want %q, %q, %v", tt.args, pos, *config, *verbose, tt.pos, tt.config, tt.verbose)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseArgs(fs, []string{"list", "-nope"}); err == nil {
		t.Error("an unknown flag after an argument was accepted")
	}
}

// TestHelp: mcpgate help, -h and --help list every command; each command's
// -h lists its flags and exits 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, io.Discard); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		for _, cmd := range []string{"[serve]", "demo", "check", "clients list", "grants revoke", "version", "help"} {
			if !strings.Contains(out.String(), "mcpgate "+cmd) {
				t.Errorf("%q does not list %q:\n%s", args, cmd, out.String())
			}
		}
	}
	for _, tt := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"serve", "-h"}, []string{"-config"}},
		{[]string{"-config", "x", "-h"}, []string{"-config"}},
		{[]string{"demo", "-h"}, []string{"-addr", "-log-level"}},
		{[]string{"check", "-h"}, []string{"-config", "-timeout"}},
		{[]string{"clients", "-h"}, []string{"-config", "-older-than"}},
		{[]string{"grants", "revoke", "-h"}, []string{"-config", "-user", "-client"}},
		{[]string{"version", "-h"}, nil},
	} {
		var errOut bytes.Buffer
		err := run(context.Background(), tt.args, io.Discard, &errOut)
		if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
			t.Errorf("%q: %v (exit %d), want flag.ErrHelp and exit 0", tt.args, err, exitCode(err))
		}
		if !strings.Contains(errOut.String(), "usage: mcpgate") {
			t.Errorf("%q: no synopsis:\n%s", tt.args, errOut.String())
		}
		for _, f := range tt.flags {
			if !strings.Contains(errOut.String(), "  "+f+" ") {
				t.Errorf("%q does not list %s:\n%s", tt.args, f, errOut.String())
			}
		}
	}
	err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard)
	if exitCode(err) != 2 {
		t.Errorf("unknown command: %v, exit %d, want 2", err, exitCode(err))
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, io.Discard); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		// A test binary has build information: the Go version at least.
		if !strings.HasPrefix(out.String(), "mcpgate ") || !strings.Contains(out.String(), "go:") {
			t.Errorf("%q printed %q", args, out.String())
		}
	}

	info := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/mcpgate/mcpgate", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	read := func() (*debug.BuildInfo, bool) { return info, true }
	tests := []struct {
		name, ldflags string
		main          string
		want          string
	}{
		{"module version", "dev", "v1.4.0", "mcpgate v1.4.0\n  module:      github.com/mcpgate/mcpgate v1.4.0\n  commit:      0123abcd-dirty\n  commit time: 2026-12-01T10:00:00Z\n  go:          go1.26.8\n"},
		{"ldflags win", "v2.0.0-rc1", "v1.4.0", "mcpgate v2.0.0-rc1\n"},
		{"devel build", "dev", "(devel)", "mcpgate dev\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := version
			version = tt.ldflags
			t.Cleanup(func() { version = old })
			info.Main.Version = tt.main
			got := readBuildInfo(read).String()
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got\n%s\nwant prefix\n%s", got, tt.want)
			}
		})
	}
	if got := readBuildInfo(func() (*debug.BuildInfo, bool) { return nil, false }).String(); got != "mcpgate "+version+"\n" {
		t.Errorf("without build information: %q", got)
	}
}

// TestOperatorFlagsAfterArguments: `grants revoke ID -config FILE` and
// `clients delete ID -config FILE` take the flag (they took "-config" for
// a second argument before).
func TestOperatorFlagsAfterArguments(t *testing.T) {
	srv := redistest.Start(t)
	clearConfigEnv(t)
	path := writeFile(t, "config.yaml", "secret: "+checkSecret+"\nredis: {url: \""+srv.URL+"\"}\ngithub: {client_id: a, client_secret: b}\n")
	ctx := context.Background()
	secret, err := hex.DecodeString(checkSecret)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := tokens.NewKeyring(secret)
	if err != nil {
		t.Fatal(err)
	}
	store := tokensredis.New(srv.Client(t), tokensredis.Options{Keys: keys})
	now := time.Now()
	if err := store.CreateClient(ctx, tokens.Client{ID: "c1", Name: "one", RedirectURIs: []string{"http://localhost/cb"}, TokenEndpointAuthMethod: "none", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateGrant(ctx, tokens.Grant{ID: "g1", ClientID: "c1", UserID: "github:1", Provider: "github", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"grants", "list", "-config", path, "--user", "github:1"}, "g1"},
		{[]string{"grants", "revoke", "g1", "-config", path}, "revoked grant g1"},
		{[]string{"clients", "delete", "c1", "-config", path}, "deleted client c1"},
	} {
		var out, errOut bytes.Buffer
		if err := run(ctx, tt.args, &out, &errOut); err != nil {
			t.Fatalf("%q: %v (%s)", tt.args, err, errOut.String())
		}
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("%q printed %q, want %q", tt.args, out.String(), tt.want)
		}
	}
	if _, err := store.GetClient(ctx, "c1"); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("client c1 still there: %v", err)
	}
	err = run(ctx, []string{"grants", "revoke", "g1", "extra", "-config", path}, io.Discard, io.Discard)
	if exitCode(err) != 2 {
		t.Errorf("two IDs: %v, want a usage error", err)
	}
}
