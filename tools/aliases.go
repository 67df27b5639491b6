package tools

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// alias is a retired tool name: calls to it run tool with method set.
type alias struct {
	tool   string
	method string
}

// aliases maps retired names (mcpgate's own earlier names, which were
// github/github-mcp-server's, and the single-purpose tools GitHub folded
// into method-dispatch tools) to what replaced them. They are not listed
// in tools/list, so models see one tool per job, but prompts and skills
// written for the old names keep working.
var aliases = map[string]alias{
	"get_issue":                 {"issue_read", "get"},
	"get_issue_comments":        {"issue_read", "get_comments"},
	"create_issue":              {"issue_write", "create"},
	"update_issue":              {"issue_write", "update"},
	"get_pull_request":          {"pull_request_read", "get"},
	"get_pull_request_diff":     {"pull_request_read", "get_diff"},
	"get_pull_request_files":    {"pull_request_read", "get_files"},
	"get_pull_request_status":   {"pull_request_read", "get_status"},
	"get_pull_request_reviews":  {"pull_request_read", "get_reviews"},
	"get_pull_request_comments": {"pull_request_read", "get_review_comments"},
	"list_workflows":            {"actions_list", "list_workflows"},
	"list_workflow_runs":        {"actions_list", "list_workflow_runs"},
	"list_workflow_jobs":        {"actions_list", "list_workflow_jobs"},
	"get_workflow_run":          {"actions_get", "get_workflow_run"},
}

// Aliases returns the retired tool names and the tools that answer them.
func Aliases() map[string]string {
	out := make(map[string]string, len(aliases))
	for name, a := range aliases {
		out[name] = a.tool
	}
	return out
}

// canonicalName is the current name of a tool name that may be retired.
func canonicalName(name string) string {
	if a, ok := aliases[name]; ok {
		return a.tool
	}
	return name
}

// aliasNames are the retired names, sorted.
func aliasNames() []string { return slices.Sorted(maps.Keys(aliases)) }

// rewriteAliases is a receiving middleware that turns a tools/call of a
// retired name into a call of its replacement with the method argument
// set, when the replacement is served (otherwise the SDK answers that the
// tool does not exist, as for any tool the deployment does not offer).
func rewriteAliases(served []string) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			call, ok := req.(*mcp.CallToolRequest)
			if method != methodToolsCall || !ok || call.Params == nil {
				return next(ctx, method, req)
			}
			a, ok := aliases[call.Params.Name]
			if !ok || !slices.Contains(served, a.tool) {
				return next(ctx, method, req)
			}
			args := map[string]any{}
			if len(call.Params.Arguments) > 0 {
				if err := json.Unmarshal(call.Params.Arguments, &args); err != nil {
					return next(ctx, method, req) // the SDK reports the bad arguments
				}
			}
			args["method"] = a.method
			raw, err := json.Marshal(args)
			if err != nil {
				return next(ctx, method, req)
			}
			params := *call.Params
			params.Name, params.Arguments = a.tool, raw
			rewritten := *call
			rewritten.Params = &params
			return next(ctx, method, &rewritten)
		}
	}
}
