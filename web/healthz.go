package web

import (
	"context"
	"net/http"
	"time"
)

// healthz is liveness (GET /healthz), for the process supervisor: 200
// "ok" when the process answers and so does its database connection, 503
// otherwise. It is cheap and checks no more: load balancers use /readyz,
// which also checks that a payment can be recorded. In particular a
// SQLite file removed under the shop fails readiness but not liveness,
// since restarting would close the last copy of the removed file and
// start on an empty database.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.db.Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "health check failed", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("unavailable"))
		return
	}
	w.Write([]byte("ok"))
}
