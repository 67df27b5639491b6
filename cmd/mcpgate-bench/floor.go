package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	goredis "github.com/redis/go-redis/v9"
)

// The floor: what a Go MCP server costs with nothing of mcpgate's work.
//
//	/mcp          the bare go-sdk server (stateless, SDK defaults), no auth
//	/redis/mcp    the same behind a bearer check that is one Redis GET
//	/redis/token  a refresh_token grant in exactly two Redis round trips
//	/redis/seed   creates a client and a grant, answers its tokens
//
// The Redis records are of the size of mcpgate's (a grant of about 1 KB),
// so that the floor moves as many bytes as a real check would.
type floor struct {
	mux *http.ServeMux
	rdb *goredis.Client // nil without Redis
}

// floorTTL is how long the floor's records live: longer than any run.
const floorTTL = time.Hour

// echoInput is the echo tool's argument.
type echoInput struct {
	Text string `json:"text" jsonschema:"the text to echo"`
}

func newFloor(redisAddr string) (*floor, error) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcpgate-bench-floor", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "Echoes its input."},
		func(_ context.Context, _ *mcp.CallToolRequest, in echoInput) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
		})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{Stateless: true})
	f := &floor{mux: http.NewServeMux()}
	f.mux.Handle("/mcp", h)
	if redisAddr != "" {
		f.rdb = goredis.NewClient(&goredis.Options{Addr: redisAddr, PoolSize: 128})
		if err := f.rdb.Ping(context.Background()).Err(); err != nil {
			return nil, err
		}
		f.mux.Handle("/redis/mcp", f.bearer(h))
		f.mux.HandleFunc("POST /redis/token", f.refresh)
		f.mux.HandleFunc("POST /redis/seed", f.seed)
	}
	return f, nil
}

func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

// Keys: every key of grant g carries the hash tag {g}, as mcpgate's do.
func clientKey(id string) string        { return "bf:c:" + id }
func grantKey(g string) string          { return "bf:{" + g + "}:grant" }
func tokenKey(g, kind, t string) string { return "bf:{" + g + "}:" + kind + ":" + hashHex(t) }

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never returns an error
	return hex.EncodeToString(b)
}

// grantOf reads the grant ID out of a floor token, "at_G_R" or "rt_G_R".
func grantOf(tok string) string {
	parts := strings.Split(tok, "_")
	if len(parts) != 3 {
		return ""
	}
	return parts[1]
}

// bearer is the one-GET bearer check: the access token's key holds the
// grant record, as a store that keeps the grant with the token would.
func (f *floor) bearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		g := grantOf(tok)
		if !ok || g == "" {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		v, err := f.rdb.Get(r.Context(), tokenKey(g, "at", tok)).Bytes()
		if err == goredis.Nil || (err == nil && len(v) == 0) {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		if err != nil {
			http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// grantRecord is about the size of a grant as mcpgate stores it.
func grantRecord(g, client string) string {
	b, _ := json.Marshal(map[string]any{
		"id": g, "client_id": client, "user": "github:1001", "scopes": []string{"mcp:read", "mcp:write"},
		"created": time.Now().Unix(), "upstream": randHex(384), "wrapped_key": randHex(48),
	})
	return string(b)
}

type floorTokens struct {
	ClientID     string `json:"client_id"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

// seed creates a client and a grant with its first pair of tokens.
func (f *floor) seed(w http.ResponseWriter, r *http.Request) {
	g, client := randHex(16), "bfc_"+randHex(16)
	at, rt := "at_"+g+"_"+randHex(32), "rt_"+g+"_"+randHex(32)
	rec := grantRecord(g, client)
	_, err := f.rdb.TxPipelined(r.Context(), func(p goredis.Pipeliner) error {
		p.Set(r.Context(), clientKey(client), `{"client_id":"`+client+`","token_endpoint_auth_method":"none"}`, floorTTL)
		p.Set(r.Context(), grantKey(g), rec, floorTTL)
		p.Set(r.Context(), tokenKey(g, "at", at), rec, floorTTL)
		p.Set(r.Context(), tokenKey(g, "rt", rt), client, floorTTL)
		return nil
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusOK, floorTokens{ClientID: client, AccessToken: at, RefreshToken: rt, TokenType: "Bearer", ExpiresIn: 3600})
}

// rotate is the second round trip of the floor's refresh: it checks that
// the refresh token is still the grant's (a compare) and rotates it.
var rotate = goredis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
redis.call('SET', KEYS[4], ARGV[2], 'EX', ARGV[3])
return 1`)

// refresh is the two-round-trip refresh_token grant: one MGET of client,
// grant and token, one script that checks and rotates.
func (f *floor) refresh(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	rt, client := r.PostForm.Get("refresh_token"), r.PostForm.Get("client_id")
	g := grantOf(rt)
	ctx := r.Context()
	vals, err := f.rdb.MGet(ctx, clientKey(client), grantKey(g), tokenKey(g, "rt", rt)).Result()
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
		return
	}
	if vals[0] == nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	if g == "" || vals[1] == nil || vals[2] != client {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	at, nrt := "at_"+g+"_"+randHex(32), "rt_"+g+"_"+randHex(32)
	ok, err := rotate.Run(ctx, f.rdb,
		[]string{tokenKey(g, "rt", rt), tokenKey(g, "rt", nrt), tokenKey(g, "at", at), grantKey(g)},
		client, vals[1], int(floorTTL.Seconds())).Int()
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
		return
	}
	if ok != 1 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, floorTokens{AccessToken: at, RefreshToken: nrt, TokenType: "Bearer", ExpiresIn: 3600})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
