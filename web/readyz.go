package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sinopay/sinopay/storage"
)

// Readiness: the database is pinged, and on SQLite its file checked, on
// every check; its schema version and a write at most every dbCheckEvery,
// and the bank at most every bankCheckEvery, since a load balancer or a
// scraper polling /readyz every second must cost little, and must not
// turn into a Nonce call a second against the bank.
const (
	readyTimeout   = 2 * time.Second
	dbCheckEvery   = time.Second
	bankCheckEvery = 5 * time.Second
)

// bankCheck caches the last bank check. Concurrent checks wait for one
// call rather than each making their own.
type bankCheck struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// dbCheck caches the last schema and write check of the database, with
// what readiness says of it, the same way.
type dbCheck struct {
	mu  sync.Mutex
	at  time.Time
	say string
	err error
}

// readyz answers 200 when the shop can take a payment (GET /readyz): the
// database answers, is at the schema version this binary needs (or a
// newer one, which a rolling deploy's migration makes before the new
// version starts), takes a write, and on SQLite is still the file at the
// configured path; and the bank answers a Nonce. Otherwise 503, with a
// line per dependency, for load balancers to stop sending traffic. The
// lines name the trouble without paths or driver errors, which go to
// the log. /healthz stays the cheap liveness check.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	dbSay, dbErr := s.checkDatabase(ctx)
	bankErr := s.checkBank(ctx)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusOK
	if dbErr != nil || bankErr != nil {
		status = http.StatusServiceUnavailable
	}
	bankSay := "ok"
	if bankErr != nil {
		bankSay = "unavailable"
	}
	body := "database: " + dbSay + "\nbank: " + bankSay + "\n"
	if status != http.StatusOK {
		s.log.WarnContext(r.Context(), "not ready", "database", errString(dbErr), "bank", errString(bankErr))
	}
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// checkDatabase says whether the database can take a payment: "ok", or
// what is wrong, with the error for the log.
func (s *Server) checkDatabase(ctx context.Context) (string, error) {
	if err := s.db.Ping(ctx); err != nil {
		return "unavailable", err
	}
	if err := s.db.CheckFile(); err != nil {
		switch {
		case errors.Is(err, storage.ErrFileGone):
			return "file removed", err
		case errors.Is(err, storage.ErrFileReplaced):
			return "file replaced", err
		}
		return "file cannot be checked", err
	}
	c := &s.dbCheck
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < dbCheckEvery {
		return c.say, c.err
	}
	c.say, c.err = s.probeDatabase(ctx)
	c.at = time.Now()
	return c.say, c.err
}

// probeDatabase checks the schema version, then writes the health row.
func (s *Server) probeDatabase(ctx context.Context) (string, error) {
	have, want, err := s.db.SchemaVersion(ctx)
	if err != nil {
		return "unavailable", err
	}
	if have < want {
		return fmt.Sprintf("schema version %d, this binary needs %d", have, want),
			fmt.Errorf("the schema of %s is at version %d, behind this binary's %d: the database is not the shop's, or was not migrated (sinopay migrate)", s.db.Where, have, want)
	}
	if err := s.db.ProbeWrite(ctx, s.now()); err != nil {
		return "not writable", err
	}
	return "ok", nil
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
