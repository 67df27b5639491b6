package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

// Target keys (the -servers flag) and their names in the report.
const (
	keyFloor      = "floor"
	keyFloorRedis = "floor-redis"
	keyRedis      = "mcpgate-redis"
	keyMemory     = "mcpgate-memory"
	keyTS         = "ts"
)

var targetNames = map[string]string{
	keyFloor:      "go-sdk floor (no auth)",
	keyFloorRedis: "go-sdk floor + 1 Redis GET",
	keyRedis:      "mcpgate (Redis)",
	keyMemory:     "mcpgate (memory)",
	keyTS:         "TypeScript SDK server",
}

var allTargets = []string{keyFloor, keyFloorRedis, keyRedis, keyMemory, keyTS}

// target is one server under measurement.
type target struct {
	key, name        string
	mcpURL, tokenURL string
	paths            []string
	// server is the process that serves; redis and fake are the ones it
	// uses (nil when it does not), for the CPU split.
	server, redis, fake *child
	// Per connection: the grant of the MCP paths (nil for no auth) and
	// those of the refresh paths.
	mcpGrants, pubGrants, confGrants []*grant
}

// world is what every target shares: the run's directory, the binaries,
// the private Redis and the fake GitHub.
type world struct {
	o        *options
	dir      string
	self     string // this binary, for the floor and the fake
	selfEnv  []string
	redis    *redisServer
	fake     *child
	fakeURL  string
	ghSecret string
	children []*child
	hc       *http.Client
}

const githubClientID = "mcpgate-bench"

func (w *world) start(name, bin string, args, env []string) (*child, error) {
	c, err := startChild(name, w.dir, bin, args, env)
	if err != nil {
		return nil, err
	}
	w.children = append(w.children, c)
	return c, nil
}

// stop stops every child, the last started first.
func (w *world) stop() {
	for i := len(w.children) - 1; i >= 0; i-- {
		w.children[i].stop()
	}
	if w.redis != nil {
		w.redis.rdb.Close()
	}
}

// startSelf runs this binary in a child role.
func (w *world) startSelf(ctx context.Context, name, role string, env ...string) (*child, string, error) {
	c, err := w.start(name, w.self, nil, append(append(append(baseEnv(w.dir), w.selfEnv...), roleEnv+"="+role), env...))
	if err != nil {
		return nil, "", err
	}
	u, err := c.waitListening(ctx)
	return c, u, err
}

// needsRedis and needsFake say which shared parts the chosen targets use.
func needsRedis(keys []string) bool {
	for _, k := range keys {
		if k == keyFloorRedis || k == keyRedis {
			return true
		}
	}
	return false
}

func needsFake(keys []string) bool {
	for _, k := range keys {
		if k == keyRedis || k == keyMemory {
			return true
		}
	}
	return false
}

// setUp starts the shared parts and every chosen target, with the
// grants of conns connections each.
func (w *world) setUp(ctx context.Context, keys []string, conns int) ([]*target, error) {
	if needsRedis(keys) || w.o.ownMcpgate() {
		r, err := startRedis(ctx, w.dir, w.o.redisServer)
		if err != nil {
			return nil, err
		}
		w.redis = r
		w.children = append(w.children, r.child)
	}
	if needsFake(keys) || w.o.ownMcpgate() {
		w.ghSecret = randHex(20)
		c, u, err := w.startSelf(ctx, "fakegithub", roleFake,
			fakeUsersEnv+"="+strconv.Itoa(max(conns, 64)), fakeIDEnv+"="+githubClientID, fakeSecretEnv+"="+w.ghSecret)
		if err != nil {
			return nil, err
		}
		w.fake, w.fakeURL = c, u
	}
	var floor *child
	var floorURL string
	var targets []*target
	for _, k := range keys {
		t := &target{key: k, name: targetNames[k]}
		var err error
		switch k {
		case keyFloor, keyFloorRedis:
			if floor == nil {
				env := []string{}
				if w.redis != nil {
					env = append(env, floorRedisEnv+"="+w.redis.Addr)
				}
				if floor, floorURL, err = w.startSelf(ctx, "floor", roleFloor, env...); err != nil {
					return nil, err
				}
			}
			t.server = floor
			err = w.setUpFloor(ctx, t, floorURL, conns)
		case keyRedis, keyMemory:
			err = w.setUpMcpgate(ctx, t, conns)
		case keyTS:
			err = w.setUpTS(ctx, t, conns)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		targets = append(targets, t)
	}
	return targets, nil
}

func (w *world) setUpFloor(ctx context.Context, t *target, base string, conns int) error {
	if t.key == keyFloor {
		t.mcpURL = base + "/mcp"
		t.paths = []string{pathPing, pathList, pathEcho}
		return nil
	}
	t.redis = w.redis.child
	t.mcpURL, t.tokenURL = base+"/redis/mcp", base+"/redis/token"
	t.paths = []string{pathPing, pathList, pathEcho, pathRefreshPub}
	seed := func() (*grant, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/redis/seed", nil)
		if err != nil {
			return nil, err
		}
		var ta loadclient.Tokens
		if err := loadclient.DoJSON(w.hc, req, http.StatusOK, &ta); err != nil {
			return nil, err
		}
		return &grant{client: loadclient.Client{ID: ta.ClientID}, tokens: ta}, nil
	}
	for range conns {
		m, err := seed()
		if err != nil {
			return err
		}
		p, err := seed()
		if err != nil {
			return err
		}
		t.mcpGrants, t.pubGrants = append(t.mcpGrants, m), append(t.pubGrants, p)
	}
	return nil
}

// mcpgateLimits is the YAML for mcpgate's rate limits: "off" turns every
// rule off (as the TypeScript server's are); "counted" keeps them counting
// in the store at limits no run reaches, which is what production pays.
func mcpgateLimits(mode string) string {
	rate := "{limit: 0}"
	if mode == "counted" {
		rate = "{limit: 1000000000, window: 1m}"
	}
	var b strings.Builder
	b.WriteString("limits:\n")
	for _, k := range []string{"register_per_ip", "register_global", "authorize_per_client_ip", "authorize_per_ip", "token_per_client", "token_per_ip"} {
		fmt.Fprintf(&b, "  %s: %s\n", k, rate)
	}
	return b.String()
}

// startMcpgate runs `mcpgate serve` on redisAddr ("" for the memory store)
// and waits for /readyz; extraYAML is appended to its configuration file.
func (w *world) startMcpgate(ctx context.Context, name, redisAddr, limits string, extraYAML ...string) (*child, string, error) {
	cfg := filepath.Join(w.dir, name+".yaml")
	if err := os.WriteFile(cfg, []byte(mcpgateLimits(limits)+strings.Join(extraYAML, "")), 0o600); err != nil {
		return nil, "", err
	}
	secret := make([]byte, 32)
	rand.Read(secret) // never returns an error
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		origin := "http://127.0.0.1:" + strconv.Itoa(port)
		env := append(baseEnv(w.dir),
			"MCPGATE_ADDR=127.0.0.1:"+strconv.Itoa(port),
			"MCPGATE_PUBLIC_URL="+origin,
			"MCPGATE_SECRET="+hex.EncodeToString(secret),
			"GITHUB_CLIENT_ID="+githubClientID,
			"GITHUB_CLIENT_SECRET="+w.ghSecret,
			"GITHUB_BASE_URL="+w.fakeURL,
			"MCPGATE_LOG_LEVEL="+w.o.logLevel,
			"MCPGATE_LOG_FORMAT=json",
		)
		if redisAddr != "" {
			env = append(env, "MCPGATE_REDIS_URL=redis://"+redisAddr+"/0")
		}
		c, err := w.start(name, w.o.mcpgate, []string{"serve", "-config", cfg}, env)
		if err != nil {
			return nil, "", err
		}
		if lastErr = c.waitReady(ctx, origin+"/readyz"); lastErr == nil {
			return c, origin, nil
		}
		c.stop() // the port may have been taken meanwhile: try another
	}
	return nil, "", lastErr
}

func (w *world) setUpMcpgate(ctx context.Context, t *target, conns int) error {
	redisAddr := ""
	if t.key == keyRedis {
		redisAddr = w.redis.Addr
		t.redis = w.redis.child
	}
	c, origin, err := w.startMcpgate(ctx, t.key, redisAddr, w.o.limits)
	if err != nil {
		return err
	}
	t.server, t.fake = c, w.fake
	t.mcpURL, t.tokenURL = origin+"/mcp", origin+"/token"
	t.paths = []string{pathPing, pathList, pathWhoami, pathGetMe, pathRefreshPub, pathRefreshConf}
	signIn := func(ctx context.Context, i int, confidential bool) (*grant, error) {
		return signInMcpgate(ctx, w.hc, origin, benchUser(i), confidential, i)
	}
	return t.grants(ctx, conns, signIn)
}

func (w *world) setUpTS(ctx context.Context, t *target, conns int) error {
	script := filepath.Join(w.o.e2eDir, "bench-ts-server.mjs")
	c, err := w.start("ts-server", w.o.node, []string{script}, append(baseEnv(w.dir), "NODE_ENV=production"))
	if err != nil {
		return err
	}
	// The script path is absolute: its imports resolve from e2e/node_modules
	// whatever the working directory.
	base, err := c.waitListening(ctx)
	if err != nil {
		return err
	}
	t.server = c
	t.mcpURL, t.tokenURL = base+"/mcp", base+"/token"
	t.paths = []string{pathPing, pathList, pathEcho, pathRefreshPub, pathRefreshConf}
	return t.grants(ctx, conns, func(ctx context.Context, i int, confidential bool) (*grant, error) {
		return signInTS(ctx, w.hc, base, confidential, i)
	})
}

// grants obtains the grants of conns connections, a few sign-ins at a time.
func (t *target) grants(ctx context.Context, conns int, signIn func(context.Context, int, bool) (*grant, error)) error {
	t.mcpGrants = make([]*grant, conns)
	t.pubGrants = make([]*grant, conns)
	t.confGrants = make([]*grant, conns)
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range conns {
		for _, slot := range []struct {
			dst          []*grant
			confidential bool
		}{{t.mcpGrants, false}, {t.pubGrants, false}, {t.confGrants, true}} {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				g, err := signIn(ctx, i, slot.confidential)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, fmt.Errorf("sign-in of connection %d: %w", i, err))
					return
				}
				slot.dst[i] = g
			})
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs[:min(len(errs), 3)]...)
	}
	return nil
}

// signInMcpgate registers a client, signs login in through mcpgate's
// consent page and the fake GitHub's sign-in page, and redeems the code.
func signInMcpgate(ctx context.Context, hc *http.Client, origin, login string, confidential bool, n int) (*grant, error) {
	creds, err := register(ctx, hc, origin+"/register", confidential, n)
	if err != nil {
		return nil, err
	}
	return authorizeMcpgate(ctx, hc, origin, login, creds)
}

// authorizeMcpgate runs one authorization of a registered client for login
// and redeems the code: a new grant.
func authorizeMcpgate(ctx context.Context, hc *http.Client, origin, login string, creds loadclient.Client) (*grant, error) {
	b, err := loadclient.NewBrowser(hc.Transport, redirectURI, login)
	if err != nil {
		return nil, err
	}
	verifier, challenge := loadclient.NewPKCE()
	ar := loadclient.AuthorizationRequest{
		ClientID: creds.ID, RedirectURI: redirectURI, Challenge: challenge,
		State: loadclient.RandomString(), Resource: origin + "/mcp",
	}
	code, state, err := loadclient.Authorize(ctx, b, ar.URL(origin+"/authorize"))
	if err != nil {
		return nil, fmt.Errorf("authorization: %w", err)
	}
	if state != ar.State {
		return nil, errors.New("authorization: the redirect carries another state")
	}
	return redeem(ctx, hc, origin+"/token", creds, ar, code, verifier)
}

// signInTS registers a client at the TypeScript server; its demo provider
// answers /authorize with the redirect at once.
func signInTS(ctx context.Context, hc *http.Client, base string, confidential bool, n int) (*grant, error) {
	creds, err := register(ctx, hc, base+"/register", confidential, n)
	if err != nil {
		return nil, err
	}
	verifier, challenge := loadclient.NewPKCE()
	ar := loadclient.AuthorizationRequest{
		ClientID: creds.ID, RedirectURI: redirectURI, Challenge: challenge, State: "s", Resource: base + "/mcp",
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ar.URL(base+"/authorize"), nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		return nil, fmt.Errorf("authorization: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return redeem(ctx, hc, base+"/token", creds, ar, loc.Query().Get("code"), verifier)
}

// redeem exchanges the code that answered ar: a new grant.
func redeem(ctx context.Context, hc *http.Client, tokenURL string, creds loadclient.Client, ar loadclient.AuthorizationRequest, code, verifier string) (*grant, error) {
	ta, err := loadclient.Redeem(ctx, hc, tokenURL, creds, ar, code, verifier)
	if err != nil {
		return nil, fmt.Errorf("code exchange: %w", err)
	}
	return &grant{client: creds, tokens: ta}, nil
}
