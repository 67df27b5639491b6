package main

import (
	"context"
	"net/http"

	"github.com/mcpgate/mcpgate/internal/loadclient"
)

// Path names, as the report prints them.
const (
	pathPing        = "ping"
	pathList        = "tools/list"
	pathEcho        = "call echo"
	pathWhoami      = "call whoami"
	pathGetMe       = "call get_me"
	pathRefreshPub  = "refresh public"
	pathRefreshConf = "refresh confidential"
)

// rpcBodies are the JSON-RPC requests of the MCP paths. get_me reaches the
// fake GitHub (GET /api/v3/user with the person's upstream token).
var rpcBodies = map[string][]byte{
	pathPing:   []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`),
	pathList:   []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`),
	pathEcho:   []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}`),
	pathWhoami: []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`),
	pathGetMe:  []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_me","arguments":{}}}`),
}

// grant is one connection's client and its current tokens. Only its own
// connection uses it, so it needs no lock.
type grant struct {
	client loadclient.Client
	tokens loadclient.Tokens
}

// op runs path once as connection i of target t.
func (t *target) op(ctx context.Context, hc *http.Client, path string, i int) error {
	switch path {
	case pathRefreshPub, pathRefreshConf:
		g := t.pubGrants[i]
		if path == pathRefreshConf {
			g = t.confGrants[i]
		}
		ta, err := loadclient.Refresh(ctx, hc, t.tokenURL, g.client, g.tokens.RefreshToken)
		if err != nil {
			return err
		}
		g.tokens = ta
		return nil
	default:
		token := ""
		if t.mcpGrants != nil {
			token = t.mcpGrants[i].tokens.AccessToken
		}
		return mcpPost(ctx, hc, t.mcpURL, token, rpcBodies[path])
	}
}
