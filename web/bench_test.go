//go:build unix

package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// BenchmarkNotifyAck is the shop's side of one notification from the
// bank's address, acknowledged: parsed, recorded durably (its row
// committed, with others in one transaction on SQLite) and answered
// {"Status":"S"}, from as many senders at once as GOMAXPROCS×8. The
// confirmations are not worked (the service only records), so that the
// figure is the acknowledgement's alone. cpu-µs/op is the process's CPU
// time (user and system) over the notifications: the measure that holds
// on a shared machine, where ns/op is wall time. On PostgreSQL,
// db-cpu-µs/op is the CPU of the machine's postgres processes over the
// same notifications (read from /proc: the database runs on this
// machine), which the shop's figure does not include.
//
//	go test -run '^$' -bench NotifyAck -benchtime 20000x ./web
func BenchmarkNotifyAck(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *storage.DB
	}{{"sqlite", storagetest.SQLite}, {"postgres", storagetest.Postgres}} {
		b.Run(db.name, func(b *testing.B) {
			tr := testrig.New(b, testrig.Options{DB: db.open(b), Pay: func(c *payment.Config) { c.InsertOnly = true }})
			srv, err := New(Config{DB: tr.DB, Pay: tr.Pay, Jobs: tr.Pay.Queue(), Recon: tr.Recon, BaseURL: tr.URL,
				NotifyFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
			if err != nil {
				b.Fatal(err)
			}
			h := srv.Handler()
			b.SetParallelism(8)
			b.ReportAllocs()
			cpu, dbCPU := processCPU(), postgresCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var tok [32]byte
				for pb.Next() {
					rand.Read(tok[:])
					body := `{"ShopNo":"` + sandbox.DemoShopNo + `","PayToken":"` + hex.EncodeToString(tok[:]) + `"}`
					req := httptest.NewRequest(http.MethodPost, "/funbiz/notify", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.RemoteAddr = "127.0.0.2:40000"
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK || rec.Body.String() != `{"Status":"S"}` {
						b.Errorf("answer %d %q", rec.Code, rec.Body.String())
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
			if db.name == "postgres" && dbCPU > 0 {
				b.ReportMetric(float64((postgresCPU()-dbCPU).Microseconds())/float64(b.N), "db-cpu-µs/op")
			}
		})
	}
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU is the CPU time used so far by the processes of this
// machine named postgres (the server and its backends, those alive now),
// or 0 when /proc cannot tell. A backend that ended meanwhile takes its
// time with it; the benchmark's connections stay open throughout.
func postgresCPU() time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime stime: fields 14 and 15.
		open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || close < open || !bytes.HasPrefix(b[open+1:close], []byte("postgres")) {
			continue
		}
		f := strings.Fields(string(b[close+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
