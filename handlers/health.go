package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/mcpgate/mcpgate/handlers/internal/wire"
)

// readyTimeout bounds the store ping of a readiness probe, so that a probe
// against an unreachable store answers instead of hanging.
const readyTimeout = 2 * time.Second

// Health serves the liveness and readiness probes:
//
//	GET /healthz  200 {"status":"ok"} while the process serves HTTP at all
//	GET /readyz   200 {"status":"ready"} when the store answers a ping,
//	              503 {"status":"unavailable","error":"store unreachable"} otherwise
//
// The answers never carry internal details; the reason a ping failed goes to
// the log.
type Health struct {
	// Store is pinged by /readyz.
	Store interface{ Ping(context.Context) error }
	// Logger receives failed pings.
	Logger *slog.Logger
}

// healthStatus is the body of both probes.
type healthStatus struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Mount registers GET /healthz and GET /readyz on mux.
func (h *Health) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", h.live)
	mux.HandleFunc("GET /readyz", h.ready)
}

func (h *Health) live(w http.ResponseWriter, _ *http.Request) {
	wire.WriteJSON(w, http.StatusOK, healthStatus{Status: "ok"})
}

func (h *Health) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := h.Store.Ping(ctx); err != nil {
		h.logger().LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed: store unreachable", slog.String("error", err.Error()))
		wire.WriteJSON(w, http.StatusServiceUnavailable, healthStatus{Status: "unavailable", Error: "store unreachable"})
		return
	}
	wire.WriteJSON(w, http.StatusOK, healthStatus{Status: "ready"})
}

func (h *Health) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}
