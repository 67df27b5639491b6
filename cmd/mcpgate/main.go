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

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `mcpgate: an OAuth 2.1 gateway that lets MCP clients use GitHub on a person's behalf.

Commands:
  mcpgate [serve] [-config FILE]       run the server (environment, .env, optional YAML file)
  mcpgate demo [-addr 127.0.0.1:8080]  run everything locally with a demo GitHub; no credentials
  mcpgate clients list                 list registered OAuth clients
  mcpgate clients delete ID            delete a client and revoke its grants
  mcpgate clients prune [--older-than 24h]
                                       delete clients that never completed a sign-in
  mcpgate grants list [--user U] [--client C]
  mcpgate grants revoke ID             revoke a grant and every token of it

Run 'mcpgate COMMAND -h' for the flags of a command.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, args, stderr)
	case "demo":
		return demoCommand(ctx, args, stdout, stderr)
	case "clients":
		return clientsCommand(ctx, args, stdout, stderr)
	case "grants":
		return grantsCommand(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}
