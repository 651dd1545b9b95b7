package web

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Readiness: the database is pinged on every check; the bank at most
// every bankCheckEvery, since a scraper polling /readyz every second must
// not turn into a Nonce call a second against the bank.
const (
	readyTimeout   = 2 * time.Second
	bankCheckEvery = 5 * time.Second
)

// bankCheck caches the last bank check. Concurrent checks wait for one
// call rather than each making their own.
type bankCheck struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// readyz answers 200 when the shop can serve: the database answers and
// the bank answers a Nonce (GET /readyz); 503 otherwise, with a line per
// dependency, for load balancers to stop sending traffic. /healthz stays
// the cheap liveness check.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	dbErr := s.db.Ping(ctx)
	bankErr := s.checkBank(ctx)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusOK
	line := func(name string, err error) string {
		if err != nil {
			status = http.StatusServiceUnavailable
			return name + ": unavailable\n"
		}
		return name + ": ok\n"
	}
	body := line("database", dbErr) + line("bank", bankErr)
	if status != http.StatusOK {
		s.log.Warn("not ready", "database", errString(dbErr), "bank", errString(bankErr))
	}
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// checkBank returns the bank check of the last bankCheckEvery, or makes
// a new one.
func (s *Server) checkBank(ctx context.Context) error {
	c := &s.bankCheck
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < bankCheckEvery {
		return c.err
	}
	c.err = s.pay.PingBank(ctx)
	c.at = time.Now()
	return c.err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
