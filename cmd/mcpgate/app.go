package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	gh "github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/github"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// app is one wired mcpgate: the store, the keys, the providers and the HTTP
// handler built from a validated Config. cmd/mcpgate is the only package that
// knows every other package; this is where they meet.
type app struct {
	cfg     *Config
	store   tokens.Store
	keys    *tokens.Keyring
	handler http.Handler
	logger  *slog.Logger
}

// appOptions carries what differs between serve, demo and tests.
type appOptions struct {
	Logger *slog.Logger
	Now    func() time.Time
	// HTTPClient is used for upstream calls (tests and the demo point it at
	// their fake GitHub). Nil means a client with a 15 s timeout.
	HTTPClient *http.Client
	// GitHubDisplayName overrides the provider's name on pages (the demo).
	GitHubDisplayName string
}

// newApp builds the application. The caller owns a.Close.
func newApp(ctx context.Context, cfg *Config, opts appOptions) (*app, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	keys, err := newKeyring(cfg, logger)
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg, now, logger)
	if err != nil {
		return nil, err
	}

	ghp, err := github.New(github.Config{
		ClientID:     cfg.GitHub.ClientID,
		ClientSecret: cfg.GitHub.ClientSecret.Reveal(),
		BaseURL:      cfg.GitHub.BaseURL,
		RedirectURL:  cfg.CallbackURL("github"),
		Scopes:       cfg.GitHub.Scopes,
		HTTPClient:   opts.HTTPClient,
		DisplayName:  opts.GitHubDisplayName,
		Now:          now,
	})
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("github provider: %w", err)
	}
	providers := []upstream.Provider{ghp}

	upstreamTokens := &tokens.UpstreamTokens{
		Store:     store,
		Providers: map[string]upstream.Provider{ghp.Name(): ghp},
		Now:       now,
		Logger:    logger,
	}

	server := mcp.NewServer(&mcp.Implementation{
		Name:    "mcpgate",
		Title:   "GitHub (via mcpgate)",
		Version: version,
	}, &mcp.ServerOptions{
		Instructions: "Tools that act on the signed-in person's GitHub account: repositories, files, issues and pull requests.",
		Logger:       logger,
	})
	tools.Register(server, tools.Deps{
		GitHub: githubClientFunc(upstreamTokens, ghp),
		Now:    now,
	})

	handler, err := handlers.New(handlers.Config{
		Issuer:          cfg.PublicURL,
		Store:           store,
		Keys:            keys,
		Providers:       providers,
		MCPServer:       server,
		ScopesSupported: cfg.Scopes.Supported,
		DefaultScopes:   cfg.Scopes.Default,
		AllowedOrigins:  cfg.AllowedOrigins,
		AccessTTL:       cfg.Tokens.AccessTTL,
		RefreshTTL:      cfg.Tokens.RefreshTTL,
		CodeTTL:         cfg.Tokens.CodeTTL,
		RefreshGrace:    cfg.Tokens.RefreshGrace,
		Logger:          logger,
		Now:             now,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	return &app{cfg: cfg, store: store, keys: keys, handler: handler, logger: logger}, nil
}

func (a *app) Close() error { return a.store.Close() }

// newKeyring derives every key from MCPGATE_SECRET. Without Redis an empty
// secret is allowed: a random one per process (tokens die with the process
// anyway).
func newKeyring(cfg *Config, logger *slog.Logger) (*tokens.Keyring, error) {
	current := cfg.Secret.Bytes()
	if len(current) == 0 {
		current = make([]byte, 32)
		rand.Read(current)
		logger.Warn("MCPGATE_SECRET is not set: using a random secret for this process; cookies and tokens will not survive a restart")
	}
	var previous [][]byte
	for _, s := range cfg.PreviousSecrets {
		previous = append(previous, s.Bytes())
	}
	return tokens.NewKeyring(current, previous...)
}

// openStore opens Redis when configured, else the in-memory store.
func openStore(ctx context.Context, cfg *Config, now func() time.Time, logger *slog.Logger) (tokens.Store, error) {
	if !cfg.UsesRedis() {
		logger.Warn("MCPGATE_REDIS_URL is not set: using the in-memory store; registrations and tokens are lost on restart and replicas cannot share them")
		return memory.New(now), nil
	}
	client, err := cfg.RedisClient()
	if err != nil {
		return nil, err
	}
	store := tokensredis.New(client, tokensredis.Options{Now: now})
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := store.Ping(pingCtx); err != nil {
		// Start anyway: /readyz reports the outage and requests answer 503
		// until Redis is reachable; the store reconnects by itself.
		logger.Error("redis is not reachable at start-up; serving 503 until it is", "error", err)
	}
	return store, nil
}

// githubClientFunc gives each tool call a GitHub client authenticated as its
// caller, with the upstream token of the caller's grant (refreshed by the
// server when it has expired).
func githubClientFunc(up *tokens.UpstreamTokens, p *github.Provider) tools.ClientFunc {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*gh.Client, error) {
		caller, ok := handlers.CallerFromRequest(req)
		if !ok {
			return nil, errors.New("this request carries no signed-in user")
		}
		tok, err := up.Token(ctx, caller)
		if err != nil {
			return nil, err
		}
		return p.NewClient(tok.AccessToken)
	}
}
