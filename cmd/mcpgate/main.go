package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mcpgate:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks errors in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode is 0 for a help request (-h), 2 for a usage error and 1 for
// everything else, such as a failed `mcpgate check`.
func exitCode(err error) int {
	var u usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

const usage = `mcpgate: an OAuth 2.1 gateway that lets MCP clients use GitHub on a person's behalf.

Commands:
  mcpgate [serve] [-config FILE]       run the server (environment, .env, optional YAML file)
  mcpgate demo [-addr 127.0.0.1:8080]  run everything locally with a demo GitHub; no credentials
  mcpgate check [-config FILE]         validate the configuration, reach the store and every
                                       identity provider, print what would be served
  mcpgate clients list                 list registered OAuth clients
  mcpgate clients delete ID            delete a client and revoke its grants
  mcpgate clients prune [--older-than 24h]
                                       delete clients that never completed a sign-in
  mcpgate grants list [--user U] [--client C]
  mcpgate grants revoke ID             revoke a grant and every token of it
  mcpgate version                      print the version, commit and Go version (also --version)
  mcpgate help                         print this help (also -h, --help)

Flags may come before or after the arguments (mcpgate grants revoke ID -config FILE).
Run 'mcpgate COMMAND -h' for the flags of a command.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "-h" || a == "-help" || a == "--help":
			cmd, args = "help", args[1:]
		case a == "-version" || a == "--version":
			cmd, args = "version", args[1:]
		case a != "" && a[0] != '-':
			cmd, args = a, args[1:]
		}
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, args, stderr)
	case "demo":
		return demoCommand(ctx, args, stdout, stderr)
	case "check":
		return checkCommand(ctx, args, stdout, stderr)
	case "clients":
		return clientsCommand(ctx, args, stdout, stderr)
	case "grants":
		return grantsCommand(ctx, args, stdout, stderr)
	case "version":
		return versionCommand(args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}

// parseArgs parses fs's flags wherever they appear among args and returns
// the positional arguments in order. The standard flag package stops at the
// first positional argument, so `grants revoke ID -config FILE` would take
// "-config" for an argument; this parses again after each one. "--" ends
// the flags: everything after it is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
