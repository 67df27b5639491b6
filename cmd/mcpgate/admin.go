package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/tokens"
)

// adminStore opens the configured store for an operator command. The
// in-memory store would be empty and private to this process, so operator
// commands need Redis.
func adminStore(ctx context.Context, configPath string) (tokens.Store, error) {
	if err := config.LoadDotEnv(".env"); err != nil {
		return nil, err
	}
	cfg, err := config.Load(configPath, os.Getenv)
	if err != nil {
		return nil, err
	}
	if !cfg.UsesRedis() {
		return nil, errors.New("operator commands work on the shared store: set MCPGATE_REDIS_URL (or redis in -config) as the server has it")
	}
	quiet := slog.New(slog.DiscardHandler)
	keys, err := newKeyring(cfg, quiet)
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg, keys, time.Now, quiet)
	if err != nil {
		return nil, err
	}
	return withOperatorAudit(cfg, store)
}

// clientsCommand runs `mcpgate clients list|delete|prune`. Its branches are
// the argument checks of three subcommands and their outputs; each is a few
// lines, so they stay side by side.
func clientsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("clients", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration `file`")
	olderThan := fs.Duration("older-than", handlers.DefaultUnusedClientAge, "prune: only clients registered longer ago than this")
	setUsage(fs, stderr, "mcpgate clients list | delete ID | prune [--older-than 24h] [-config FILE]")
	sub, pos, err := subcommand(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "list" && len(pos) == 0:
	case sub == "delete" && len(pos) == 1:
	case sub == "prune" && len(pos) == 0:
		if *olderThan <= 0 {
			return usageError{"clients prune: --older-than must be positive, such as 24h (a younger client may be in the middle of signing in)"}
		}
	default:
		fs.Usage()
		return usageError{"clients: expected 'list', 'delete ID' or 'prune'"}
	}
	store, err := adminStore(ctx, *configPath)
	if err != nil {
		return err
	}
	defer store.Close()
	if sub == "prune" {
		// Never used: no authorization code was ever exchanged and no live
		// grant names the client (see tokens.PruneUnusedClients).
		n, err := tokens.PruneUnusedClients(ctx, store, time.Now().Add(-*olderThan))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted %d never-used client(s) registered more than %s ago\n", n, *olderThan)
		return nil
	}
	if sub == "list" {
		clients, err := store.ListClients(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT ID\tNAME\tAUTH\tREDIRECT URIS\tCREATED")
		for _, c := range clients {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.TokenEndpointAuthMethod,
				strings.Join(c.RedirectURIs, " "), c.CreatedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	}
	id := pos[0]
	if _, err := store.GetClient(ctx, id); errors.Is(err, tokens.ErrNotFound) {
		return fmt.Errorf("no client %q", id)
	} else if err != nil {
		return err
	}
	n, err := revokeGrants(ctx, store, "", id)
	if err != nil {
		return err
	}
	if err := store.DeleteClient(ctx, id); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted client %s and revoked %d grant(s)\n", id, n)
	return nil
}

func grantsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("grants", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration `file`")
	user := fs.String("user", "", "only grants of this user ID (provider:subject, e.g. github:1001)")
	client := fs.String("client", "", "only grants of this client ID")
	setUsage(fs, stderr, "mcpgate grants list [--user U] [--client C] | revoke ID [-config FILE]")
	sub, pos, err := subcommand(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "list" && len(pos) == 0:
	case sub == "revoke" && len(pos) == 1:
	default:
		fs.Usage()
		return usageError{"grants: expected 'list' or 'revoke ID'"}
	}
	store, err := adminStore(ctx, *configPath)
	if err != nil {
		return err
	}
	defer store.Close()
	if sub == "revoke" {
		id := pos[0]
		if _, err := store.GetGrant(ctx, id); errors.Is(err, tokens.ErrNotFound) {
			return fmt.Errorf("no grant %q", id)
		} else if err != nil {
			return err
		}
		if err := store.RevokeGrant(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked grant %s\n", id)
		return nil
	}
	grants, err := store.ListGrants(ctx, *user, *client)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GRANT ID\tUSER\tLOGIN\tCLIENT ID\tSCOPES\tCREATED\tEXPIRES")
	for _, g := range grants {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.ID, g.UserID, g.Login, g.ClientID,
			strings.Join(g.Scopes, " "), g.CreatedAt.UTC().Format(time.RFC3339), g.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

// subcommand parses fs's flags anywhere in args ("list --user x",
// "--user x list", "revoke ID -config FILE") and splits the positional
// arguments into the subcommand and its arguments.
func subcommand(fs *flag.FlagSet, args []string) (string, []string, error) {
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) == 0 {
		return "", nil, err
	}
	return pos[0], pos[1:], nil
}

// setUsage makes `mcpgate COMMAND -h` print the command's synopsis and
// every flag with its default.
func setUsage(fs *flag.FlagSet, w io.Writer, synopsis string) {
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "usage: %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
}

// revokeGrants revokes every grant of a user and/or client.
func revokeGrants(ctx context.Context, store tokens.Store, userID, clientID string) (int, error) {
	grants, err := store.ListGrants(ctx, userID, clientID)
	if err != nil {
		return 0, err
	}
	for _, g := range grants {
		if err := store.RevokeGrant(ctx, g.ID); err != nil {
			return 0, err
		}
	}
	return len(grants), nil
}
