package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/shopclient"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// TestGracefulShutdown sends SIGTERM to the real binary in the middle of a
// stream of bank notifications, on SQLite and on PostgreSQL, and finds
// nothing lost:
//
//   - every notification answered {"Status":"S"} is in the PayToken log,
//     with its confirmation job completed or still queued (never failed,
//     never cut off while running);
//   - every notification in the PayToken log was answered: a request the
//     server had begun when the signal came was finished, not dropped;
//   - notifications whose bodies were still arriving when the signal came
//     are answered and recorded;
//   - after a restart on the same database, every queued confirmation runs.
//
// Notifications that never got a connection (the listener had closed) are
// the bank's to send again, as it would after any failure.
func TestGracefulShutdown(t *testing.T) {
	for _, db := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "shop.db") }},
		{"postgres", func(t *testing.T) string { return storagetest.PostgresURL(t) }},
	} {
		t.Run(db.name, func(t *testing.T) { shutdownMidStream(t, db.dsn(t)) })
	}
}

// notifyClient makes a new connection per request, so that each error
// tells about that request alone (a reused connection closed as idle by
// the shutdown would be a client-side race, not the server's doing). It
// posts from the bank's address (proctest.NotifyFrom), as the bank would:
// the shop gives the bank's notifications a job each.
var notifyClient = func() *http.Client {
	c := proctest.BankHTTP()
	c.Timeout = 40 * time.Second
	c.Transport.(*http.Transport).DisableKeepAlives = true
	return c
}()

type sent struct {
	token string
	acked bool
	err   error
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// notify posts one notification, with body as its reader.
func notify(ctx context.Context, shopURL, token string, body io.Reader, size int64) sent {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, shopURL+"/funbiz/notify", body)
	if err != nil {
		return sent{token: token, err: err}
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/json")
	resp, err := notifyClient.Do(req)
	if err != nil {
		return sent{token: token, err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return sent{token: token, err: err, acked: resp.StatusCode == http.StatusOK && strings.TrimSpace(string(raw)) == shopclient.Ack}
}

func notification(token string) string {
	return shopclient.NotificationBody(proctest.DemoShopNo, token)
}

// refused reports a request that never reached the server: the listener
// was closed (or its queue of unaccepted connections was dropped).
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)
}

// streamBeforeStop is how many of the stream's notifications the shop
// acknowledges before it is sent SIGTERM.
const streamBeforeStop = 50

func shutdownMidStream(t *testing.T, dsn string) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	// No rate limit on confirmations: the test sends hundreds of forged
	// PayTokens, and the restart should confirm them all quickly.
	shopProc := proctest.StartShop(t, proctest.ShopOptions{DB: dsn, Env: []string{"SINOPAY_CONFIRM_RATE=off"}})

	// Slow notifications: their headers arrive before the signal, their
	// bodies after it. The server is inside these requests when it is told
	// to stop.
	const slowN = 4
	slow := make(chan sent, slowN)
	wrote := make(chan error, slowN)
	var writers []*io.PipeWriter
	var rests []string
	for range slowN {
		token := randomToken()
		body := notification(token)
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		rests = append(rests, body[10:])
		go func() { slow <- notify(ctx, shopProc.URL, token, pr, int64(len(body))) }()
		go func() {
			_, err := pw.Write([]byte(body[:10]))
			wrote <- err
		}()
	}
	// The client has read the beginning of a body once its headers are on
	// the wire (it sends them first when the body is not at hand): their
	// connections are in the shop's queue before any of the stream's.
	for range slowN {
		select {
		case err := <-wrote:
			if err != nil {
				t.Fatalf("slow notification: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("the slow notifications never started")
		}
	}

	// A stream of notifications from 4 senders until the shop is gone.
	results := make(chan sent, 100000)
	var wg sync.WaitGroup
	var streamAcked atomic.Int64
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				token := randomToken()
				body := notification(token)
				r := notify(ctx, shopProc.URL, token, strings.NewReader(body), int64(len(body)))
				if r.acked {
					streamAcked.Add(1)
				}
				results <- r
				if r.err != nil && refused(r.err) {
					// Once nothing answers, the shop has closed its door.
					if _, err := net.DialTimeout("tcp", shopProc.Addr, time.Second); err != nil {
						return
					}
				}
			}
		})
	}

	// Let the stream run until the shop has acknowledged a good part of
	// it (and so accepted the slow notifications' connections, which came
	// first), then SIGTERM.
	waitfor.Event(t, time.Minute, "the stream under way", func(context.Context) error {
		if n := streamAcked.Load(); n < streamBeforeStop {
			return fmt.Errorf("%d notifications acknowledged, waiting for %d", n, streamBeforeStop)
		}
		return nil
	})
	stopped := make(chan error, 1)
	go func() { stopped <- shopProc.Stop() }()
	// The listener closes as the shutdown starts; only then do the slow
	// notifications send the rest of their bodies.
	closing, cancelClosing := context.WithTimeout(ctx, 10*time.Second)
	err := waitfor.Until(closing, 10*time.Millisecond, func(context.Context) error {
		c, err := net.DialTimeout("tcp", shopProc.Addr, time.Second)
		if err != nil {
			return nil
		}
		c.Close()
		return errors.New("a connection accepted")
	})
	cancelClosing()
	if err != nil {
		t.Fatalf("the shop still accepts connections after SIGTERM: %v", err)
	}
	for i, pw := range writers {
		if _, err := pw.Write([]byte(rests[i])); err != nil {
			t.Errorf("slow notification %d: the rest of its body could not be sent: %v", i, err)
		}
		pw.Close()
	}
	var stopErr error
	select {
	case stopErr = <-stopped:
	case <-ctx.Done():
		t.Fatal("the shop did not stop")
	}
	if stopErr != nil {
		t.Fatalf("the shop's exit after SIGTERM: %v\n%s", stopErr, shopProc.Output())
	}
	wg.Wait()
	close(results)

	acked := map[string]bool{}
	all := map[string]bool{}
	var unanswered, other int
	for r := range results {
		all[r.token] = true
		switch {
		case r.acked:
			acked[r.token] = true
		case r.err != nil && refused(r.err):
			unanswered++
		default:
			other++
			t.Logf("notification answered without an acknowledgement: %v", r.err)
		}
	}
	for range slowN {
		r := <-slow
		all[r.token] = true
		if !r.acked {
			t.Errorf("a notification in flight at SIGTERM was not acknowledged: %v", r.err)
			continue
		}
		acked[r.token] = true
	}
	t.Logf("%d notifications acknowledged, %d not let in after SIGTERM, %d otherwise answered", len(acked), unanswered, other)
	if len(acked) < 20 || unanswered == 0 {
		t.Fatalf("the stream did not span the shutdown: %d acknowledged, %d refused", len(acked), unanswered)
	}

	// The shop's database, as it was left.
	sdb, err := storage.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	rows, err := sdb.SQL.QueryContext(ctx, `SELECT id, pay_token FROM pay_tokens`)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]int64{}
	for rows.Next() {
		var id int64
		var tok string
		if err := rows.Scan(&id, &tok); err != nil {
			t.Fatal(err)
		}
		recorded[tok] = id
	}
	rows.Close()
	// The row is the confirmation's work item: recorded is enough, and
	// the restart below proves each one is worked.
	for tok := range acked {
		if _, ok := recorded[tok]; !ok {
			t.Errorf("acknowledged notification %s… is not in the PayToken log", tok[:12])
		}
	}
	for tok := range recorded {
		if all[tok] && !acked[tok] {
			t.Errorf("notification %s… was recorded but never answered: a request cut off in flight", tok[:12])
		}
	}

	// Started again on the same database, the shop confirms everything
	// left in the queue (the bank refuses the forged tokens, which is a
	// confirmation too).
	proctest.StartShop(t, proctest.ShopOptions{DB: dsn, Env: []string{"SINOPAY_CONFIRM_RATE=off"}})
	err = waitfor.Until(ctx, waitfor.Poll, func(ctx context.Context) error {
		var left int
		if err := sdb.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM pay_tokens WHERE processed_at = 0`).Scan(&left); err != nil {
			return err
		}
		if left > 0 {
			return fmt.Errorf("%d PayTokens unconfirmed", left)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
}
