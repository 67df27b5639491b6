package protected

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// CacheToolList is a go-sdk receiving middleware (mcp.Server.
// AddReceivingMiddleware) that serves tools/list with every tool's input
// and output schema already encoded. The SDK keeps each tool's schemas as
// *jsonschema.Schema and encodes them again for every tools/list, which
// made a tools/list cost several pings (README "Speed"). The SDK offers no
// hook into its list, so the middleware lets the SDK build the list (its
// pagination, its current tools) and swaps each *mcp.Tool for a copy whose
// schemas are json.RawMessage, made once per *mcp.Tool: adding or
// replacing a tool gives the SDK a new *mcp.Tool, which misses the cache,
// so the answer always follows the server's tools (a removed tool's copy
// stays in the cache; tools are registered at start-up, so it stays small).
// Clients get the same JSON as without the middleware.
func CacheToolList(next mcp.MethodHandler) mcp.MethodHandler {
	var encoded sync.Map // *mcp.Tool → *mcp.Tool with encoded schemas
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		list, ok := res.(*mcp.ListToolsResult)
		if err != nil || !ok || list == nil || method != "tools/list" {
			return res, err
		}
		out := *list
		out.Tools = make([]*mcp.Tool, len(list.Tools))
		for i, t := range list.Tools {
			if c, ok := encoded.Load(t); ok {
				out.Tools[i] = c.(*mcp.Tool)
				continue
			}
			c, err := encodeToolSchemas(t)
			if err != nil {
				// Leave this tool to the SDK's own encoding.
				out.Tools[i] = t
				continue
			}
			encoded.Store(t, c)
			out.Tools[i] = c
		}
		return &out, nil
	}
}

var errNilTool = errors.New("protected: nil tool in tools/list")

// encodeToolSchemas returns a copy of t whose schemas are encoded JSON.
func encodeToolSchemas(t *mcp.Tool) (*mcp.Tool, error) {
	if t == nil {
		return nil, errNilTool
	}
	c := *t
	if c.InputSchema != nil {
		raw, err := json.Marshal(c.InputSchema)
		if err != nil {
			return nil, err
		}
		c.InputSchema = json.RawMessage(raw)
	}
	if c.OutputSchema != nil {
		raw, err := json.Marshal(c.OutputSchema)
		if err != nil {
			return nil, err
		}
		c.OutputSchema = json.RawMessage(raw)
	}
	return &c, nil
}
