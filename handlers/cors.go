package handlers

import "net/http"

// CORS header values (Fetch standard, "CORS protocol"). Tokens travel in the
// Authorization header, never in cookies, so any origin may call the
// endpoints and credentials are never allowed: a page from another origin
// can do nothing a non-browser client could not do already.
const (
	corsAllowMethods  = "GET, POST, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID"
	corsExposeHeaders = "WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version"
	corsMaxAge        = "86400"
)

// withCORS adds CORS headers to every response of next, including errors
// such as a 401 from the bearer check, so that browser clients (MCP
// Inspector in "Direct" mode) can read WWW-Authenticate and start OAuth. A
// preflight (OPTIONS with Access-Control-Request-Method) is answered 204
// here, without calling next, so it never needs a token.
func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
