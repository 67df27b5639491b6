package wire

import (
	"net/http"
	"slices"
	"strings"
)

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

// WithCORS adds CORS headers to every response of next, including errors
// such as a 401 from the bearer check, so that browser clients (MCP
// Inspector in "Direct" mode) can read WWW-Authenticate and start OAuth. A
// preflight (OPTIONS with Access-Control-Request-Method) is answered 204
// here, without calling next, so it never needs a token.
func WithCORS(next http.Handler) http.Handler {
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

// AllowMethods answers 405 with a JSON error and an Allow header to any
// method not listed (GET implies HEAD). Routes are mounted without a method
// in their pattern so that OPTIONS reaches WithCORS and every refusal is
// JSON, never the mux's plain text.
func AllowMethods(next http.Handler, methods ...string) http.Handler {
	allowed := append([]string(nil), methods...)
	if slices.Contains(allowed, http.MethodGet) && !slices.Contains(allowed, http.MethodHead) {
		allowed = append(allowed, http.MethodHead)
	}
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(allowed, r.Method) {
			w.Header().Set("Allow", allow)
			WriteError(w, http.StatusMethodNotAllowed, InvalidRequest, "method not allowed; use "+allow)
			return
		}
		next.ServeHTTP(w, r)
	})
}
