package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
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
	writeHealth(w, http.StatusOK, healthStatus{Status: "ok"})
}

func (h *Health) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := h.Store.Ping(ctx); err != nil {
		h.logger().LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed: store unreachable", slog.String("error", err.Error()))
		writeHealth(w, http.StatusServiceUnavailable, healthStatus{Status: "unavailable", Error: "store unreachable"})
		return
	}
	writeHealth(w, http.StatusOK, healthStatus{Status: "ready"})
}

func (h *Health) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func writeHealth(w http.ResponseWriter, status int, body healthStatus) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body) // a write error means the prober went away
}
