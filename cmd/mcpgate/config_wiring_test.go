package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/cmd/mcpgate/internal/config"

	"github.com/mcpgate/mcpgate/internal/redistest"
	"github.com/mcpgate/mcpgate/tokens"
	tokensredis "github.com/mcpgate/mcpgate/tokens/redis"
	"github.com/mcpgate/mcpgate/upstream/fakegithub"
	"github.com/mcpgate/mcpgate/upstream/fakegithub/fakegithubtest"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMCPTransportWiring checks that mcp.stateless reaches /mcp: a stateful
// gateway gives the go-sdk client a session at protocol 2025-11-25, the
// default gives none and negotiates 2026-07-28; a GitHub tool works either
// way.
func TestMCPTransportWiring(t *testing.T) {
	tests := []struct {
		name        string
		stateless   bool
		wantSession bool
		wantVersion string
	}{
		{"stateless", true, false, "2026-07-28"},
		{"stateful", false, true, "2025-11-25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			fake := fakegithubtest.NewServer(t, fakegithub.Options{ClientID: "gh-client", ClientSecret: "gh-client-secret", AutoApprove: true, Enterprise: true})
			gw := startGateway(t, gatewayOptions{fake: fake, configure: func(cfg *config.Config) { cfg.MCP.Stateless = tt.stateless }})
			c := registerClient(ctx, t, gw.URL, "")
			tok := c.signIn(ctx, t, gw.PublicURL, gw.URL)
			cs, err := connectWithToken(ctx, t, gw.URL+"/mcp", tok.AccessToken)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			defer cs.Close()
			if got := cs.ID() != ""; got != tt.wantSession {
				t.Errorf("session ID %q, want a session: %v", cs.ID(), tt.wantSession)
			}
			if v := cs.InitializeResult().ProtocolVersion; v != tt.wantVersion {
				t.Errorf("protocol version %q, want %s", v, tt.wantVersion)
			}
			// get_me reads the caller from the request's token and calls
			// the fake GitHub with that grant's upstream token.
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_me"})
			if err != nil || res.IsError || !strings.Contains(callText(t, res), "mona") {
				t.Errorf("get_me: %v %q, want the fake GitHub's user mona", err, callText(t, res))
			}
		})
	}
}

// TestRateLimitsSpanReplicas: two replicas on one Redis share the
// counters, so a client cannot double its budget by landing on both.
func TestRateLimitsSpanReplicas(t *testing.T) {
	rs := redistest.Start(t)
	secret := randomSecret(t)
	replica := func() http.Handler {
		t.Helper()
		cfg := validConfig()
		cfg.Redis.URL = config.NewSecret(rs.URL)
		cfg.Secret = config.NewSecret(secret)
		cfg.Limits = config.LimitsConfig{RegisterPerIP: config.RateConfig{Limit: 3, Window: time.Hour}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		a, err := newApp(t.Context(), cfg, appOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a.handler
	}
	replicas := []http.Handler{replica(), replica()}
	register := func(h http.Handler) int {
		r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(`{"redirect_uris":["http://localhost:7777/cb"]}`))
		r.RemoteAddr = "198.51.100.20:5555"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	for i := range 3 {
		if code := register(replicas[i%2]); code != http.StatusCreated {
			t.Fatalf("registration %d: %d", i+1, code)
		}
	}
	for i, h := range replicas {
		if code := register(h); code != http.StatusTooManyRequests {
			t.Errorf("replica %d after the shared limit: %d, want 429", i, code)
		}
	}
}

// TestClientsPrune runs `mcpgate clients prune` against Redis: it deletes
// the old never-used clients and keeps the rest.
func TestClientsPrune(t *testing.T) {
	srv := redistest.Start(t)
	t.Setenv("MCPGATE_REDIS_URL", srv.URL)
	t.Chdir(t.TempDir()) // no .env
	ctx := context.Background()
	// Registrations carry no MAC: any keyring reads them.
	keys, err := tokens.NewKeyring(bytes.Repeat([]byte{0x5e, 0xc7, 0x19, 0xa2}, 8))
	if err != nil {
		t.Fatal(err)
	}
	store := tokensredis.New(srv.Client(t), tokensredis.Options{Keys: keys})
	old := time.Now().Add(-48 * time.Hour)
	mk := func(id string, created time.Time) {
		t.Helper()
		c := tokens.Client{ID: id, RedirectURIs: []string{"http://localhost/cb"}, TokenEndpointAuthMethod: "none", CreatedAt: created}
		if err := store.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	mk("old-unused", old)
	mk("old-used", old)
	if err := store.TouchClient(ctx, "old-used", old.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	mk("recent-unused", time.Now().Add(-time.Hour))

	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"clients", "prune"}, &out, &errOut); err != nil {
		t.Fatalf("clients prune: %v (%s)", err, errOut.String())
	}
	if !strings.Contains(out.String(), "deleted 1 never-used client(s)") {
		t.Errorf("output %q", out.String())
	}
	clients, err := store.ListClients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range clients {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	if want := []string{"old-used", "recent-unused"}; !slices.Equal(ids, want) {
		t.Fatalf("clients after prune %v, want %v", ids, want)
	}

	out.Reset()
	if err := run(ctx, []string{"clients", "prune", "--older-than", "30m"}, &out, &errOut); err != nil {
		t.Fatalf("clients prune --older-than 30m: %v", err)
	}
	if _, err := store.GetClient(ctx, "recent-unused"); !errors.Is(err, tokens.ErrNotFound) {
		t.Errorf("--older-than 30m kept a client registered an hour ago (%v)", err)
	}

	err = run(ctx, []string{"clients", "prune", "--older-than", "0s"}, &out, &errOut)
	var usage usageError
	if !errors.As(err, &usage) {
		t.Errorf("--older-than 0s: %v, want a usage error", err)
	}
}

// validConfig is the defaults with GitHub credentials: valid as it is.
func validConfig() *config.Config {
	cfg := config.Default()
	cfg.GitHub.ClientID = "Iv1.0123456789abcdef"
	cfg.GitHub.ClientSecret = config.NewSecret("0123456789abcdef0123456789abcdef01234567")
	return cfg
}
