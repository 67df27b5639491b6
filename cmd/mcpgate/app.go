package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	gh "github.com/google/go-github/v92/github"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/redis/go-redis/v9"

	"github.com/mcpgate/mcpgate/handlers"
	"github.com/mcpgate/mcpgate/handlers/protected"
	"github.com/mcpgate/mcpgate/internal/observe"
	"github.com/mcpgate/mcpgate/tokens"
	"github.com/mcpgate/mcpgate/tokens/memory"
	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/tools"
	"github.com/mcpgate/mcpgate/upstream"
	"github.com/mcpgate/mcpgate/upstream/allow"
	"github.com/mcpgate/mcpgate/upstream/github"
)

// app is one wired mcpgate: the store, the keys, the providers and the HTTP
// handler built from a validated config.Config. cmd/mcpgate is the only package that
// knows every other package; this is where they meet.
type app struct {
	cfg     *config.Config
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
	// Demo marks `mcpgate demo`: a random secret and the in-memory store are
	// its design, not a misconfiguration to warn about.
	Demo bool
	// wrapStore, when set, wraps the opened store (tests count its calls).
	wrapStore func(tokens.Store) tokens.Store
	// Observer gets audit events, metrics and traces (observe.go); nil
	// records nothing.
	Observer *observe.Observer
}

// newApp builds the application. The caller owns a.Close.
func newApp(ctx context.Context, cfg *config.Config, opts appOptions) (*app, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	// The demo's banner already says that it keeps nothing; its start-up
	// should not warn about the variables it does not read.
	setupLog := logger
	if opts.Demo {
		setupLog = slog.New(slog.DiscardHandler)
	}
	keys, err := newKeyring(cfg, setupLog)
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg, keys, now, setupLog, opts.Observer.RedisHook())
	if err != nil {
		return nil, err
	}
	if opts.wrapStore != nil {
		store = opts.wrapStore(store)
	}

	policy, err := allow.New(cfg.Allow.Rules())
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("allowlist: %w", err)
	}
	// With Redis, the GitHub providers share their conditional-request
	// answers (sealed) between replicas; the in-memory store serves one
	// process, whose own cache already holds them.
	var shared github.SharedCache
	if sc, ok := store.(github.SharedCache); ok && cfg.UsesRedis() {
		shared = sc
	}
	providers, err := buildProviders(ctx, cfg, policy, opts, now, shared)
	if err != nil {
		store.Close()
		return nil, err
	}

	upstreamTokens := &protected.UpstreamTokens{
		Store:     store,
		Providers: providers.byName,
		Now:       now,
		Logger:    logger,
		Events:    opts.Observer,
	}

	// The MCP servers (toolservers.go): the tools of the caller's tool
	// group for GitHub sign-ins, whoami only for the others, chosen per
	// request by the caller.
	choices, err := toolChoices(cfg)
	if err != nil {
		store.Close()
		return nil, err
	}
	callLimit, err := toolCallLimit(cfg, store, logger, now)
	if err != nil {
		store.Close()
		return nil, err
	}
	servers, err := newMCPServers(tools.Deps{
		GitHub: githubClientFunc(upstreamTokens, providers.gitHub, logger),
		Whoami: whoamiFunc(store, providers),
		Now:    now,
	}, providers, &mcp.ServerOptions{Logger: observe.Quiet(logger)}, choices, callLimit)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("tools: %w", err)
	}
	servers.observeTools(opts.Observer)

	stateful, sessionTimeout := cfg.MCP.HandlerSessions()
	if stateful && cfg.UsesRedis() {
		setupLog.Info("mcp.stateless is false: /mcp sessions live in this process; route /mcp on the Mcp-Session-Id header when running several replicas")
	}
	gateway := gatewayConfig(cfg, upstreamTokens, store, opts.Observer)
	handler, err := handlers.New(handlers.Config{
		Issuer:          cfg.PublicURL,
		Store:           store,
		Keys:            keys,
		Providers:       providers.list,
		MCPServerFor:    servers.serverFor,
		Gateway:         gateway,
		Allow:           policy,
		UpstreamTokens:  upstreamTokens,
		ScopesSupported: cfg.Scopes.Supported,
		DefaultScopes:   cfg.Scopes.Default,
		ToolScopes:      tools.ScopeRules{},
		ConsentTools:    consentTools(providers, choices),
		ToolGroups:      handlerToolGroups(choices),
		// Upstream sign-ins are read-only when no built-in tool writes
		// and no gateway backend may use the upstream token to write.
		ToolsReadOnly:  choicesReadOnly(choices) && gateway == nil,
		AllowedOrigins: cfg.AllowedOrigins,
		Stateful:       stateful,
		SessionTimeout: sessionTimeout,
		Limits:         cfg.Limits.HandlerLimits(),
		AccessTTL:      cfg.Tokens.AccessTTL,
		RefreshTTL:     cfg.Tokens.RefreshTTL,
		CodeTTL:        cfg.Tokens.CodeTTL,
		RefreshGrace:   cfg.Tokens.HandlerRefreshGrace(),
		TokenPolicies:  cfg.Tokens.TokenRules(),
		Logger:         logger,
		Observer:       opts.Observer,
		Now:            now,
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
func newKeyring(cfg *config.Config, logger *slog.Logger) (*tokens.Keyring, error) {
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
func openStore(ctx context.Context, cfg *config.Config, keys *tokens.Keyring, now func() time.Time, logger *slog.Logger, hooks ...redis.Hook) (tokens.Store, error) {
	if !cfg.UsesRedis() {
		logger.Warn("MCPGATE_REDIS_URL is not set: using the in-memory store; registrations and tokens are lost on restart and replicas cannot share them")
		m := memory.New(now)
		m.SetSlidingBucket(cfg.Tokens.Bucket())
		return m, nil
	}
	client, err := cfg.RedisClient()
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		if h != nil {
			client.AddHook(h)
		}
	}
	store := tokensredis.New(client, tokensredis.Options{Now: now, Keys: keys, Logger: logger, SlidingBucket: cfg.Tokens.Bucket()})
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
// server when it has expired), on the GitHub provider the caller signed in
// with. A caller who signed in with another provider gets
// tools.ErrNotGitHub: the GitHub tools are not even listed for them (see
// mcpServers), and this keeps a misrouted call from going anywhere. The
// client's transport (github.Provider.NewUserClient) sends the token to the
// API only and reports GitHub refusing it to the broker, which retries with
// a refreshed token or revokes the grant.
func githubClientFunc(up *protected.UpstreamTokens, gitHub map[string]*github.Provider, logger *slog.Logger) tools.ClientFunc {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*gh.Client, error) {
		caller, ok := protected.CallerFromRequest(req)
		if !ok {
			return nil, errors.New("this request carries no signed-in user")
		}
		p, ok := gitHub[caller.Provider]
		if !ok {
			return nil, fmt.Errorf("grant of provider %q: %w", caller.Provider, tools.ErrNotGitHub)
		}
		log := logger.With(slog.String("grant_id", caller.GrantID), slog.String("client_id", caller.ClientID),
			slog.String("user_id", caller.UserID))
		return p.NewUserClient(ctx, callerTokens{up: up, caller: caller}, log)
	}
}

// callerTokens is the upstream token of one caller's grant, as the GitHub
// client's github.TokenSource.
type callerTokens struct {
	up     *protected.UpstreamTokens
	caller *tokens.Caller
}

func (c callerTokens) Token(ctx context.Context) (upstream.Token, error) {
	return c.up.Token(ctx, c.caller)
}

func (c callerTokens) Rejected(ctx context.Context, rejected string) (upstream.Token, error) {
	return c.up.Rejected(ctx, c.caller, rejected)
}
