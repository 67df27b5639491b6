package protected

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// checkOrigin answers 403 to a browser request whose Origin is not in
// AllowedOrigins (DNS rebinding and cross-site request defence). Origins
// compare case-insensitively (scheme and host are case-insensitive).
func (h *ResourceServer) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && !h.originAllowed(origin) {
			h.logger().LogAttrs(r.Context(), slog.LevelInfo, "mcp request from a disallowed origin", slog.String("origin", origin))
			wire.WriteError(w, http.StatusForbidden, wire.Forbidden, "this Origin may not call the MCP endpoint")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *ResourceServer) originAllowed(origin string) bool {
	for _, o := range h.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}
