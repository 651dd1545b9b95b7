package sqlitestore_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/funbiz/sandbox/sqlitestore"
)

// The test lives here, not beside the sandbox, so that the sandbox's own
// tests import no database driver: a module that imports funbiztest then
// never downloads SQLite, not even when `go mod tidy` looks at the tests
// of its dependencies.

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, funbiz.Taipei)

// openBank starts a bank on the state file at path, with the bank's own
// notification schedule on clock.
func openBank(t *testing.T, path string, clock sandbox.Clock) *funbiztest.Bank {
	t.Helper()
	st, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return funbiztest.New(t, funbiztest.WithStore(st), funbiztest.WithClock(clock),
		funbiztest.WithNotify(sandbox.DefaultNotifyInterval, sandbox.DefaultNotifyAttempts))
}

// receiver is a BackendURL that refuses until told to acknowledge.
type receiver struct {
	*httptest.Server
	ack atomic.Bool
	got chan string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{got: make(chan string, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n funbiz.Notification
		json.NewDecoder(r.Body).Decode(&n)
		rc.got <- n.PayToken
		if !rc.ack.Load() {
			http.Error(w, "not yet", http.StatusBadGateway)
			return
		}
		funbiz.WriteAck(w)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// A delivery still pending when the sandbox stops goes out on schedule
// after a restart on the same database, and the rest of the state (orders,
// tokens, the clock offset, the TSNo sequence) is there too.
func TestRestartResumesPendingDelivery(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "sandbox.db")
	clock := sandbox.NewManualClock(start)
	rc := newReceiver(t)

	b1 := openBank(t, db, clock)
	if _, err := b1.Client().OrderCreate(ctx, &funbiz.OrderCreateParams{
		OrderNo: "P1", Amount: 100, PayType: funbiz.PayTypeCard, PrdtName: "狗糧",
		ReturnURL: rc.URL + "/return", BackendURL: rc.URL + "/notify", Card: &funbiz.CardParams{AutoBilling: true},
	}); err != nil {
		t.Fatal(err)
	}
	tok := b1.PayCard("P1", sandbox.OutcomeSuccess)
	<-rc.got
	b1.Advance(2 * time.Minute)
	if err := b1.Sandbox.Close(); err != nil {
		t.Fatal(err)
	}

	rc.ack.Store(true)
	b2 := openBank(t, db, clock)
	if got := b2.Sandbox.Now(); !got.Equal(start.Add(2 * time.Minute)) {
		t.Fatalf("clock after restart %s, want the offset kept", got)
	}
	d := b2.Deliveries("P1")
	if len(d) != 1 || d[0].State != "pending" || len(d[0].Attempts) != 1 {
		t.Fatalf("delivery after restart %+v", d)
	}
	b2.Advance(7 * time.Minute)
	if len(rc.got) != 0 {
		t.Fatal("retry came early after the restart")
	}
	b2.Advance(time.Minute)
	if got := <-rc.got; got != tok {
		t.Fatalf("resumed notification carries %q", got)
	}
	if d := b2.Deliveries("P1")[0]; d.State != "delivered" || len(d.Attempts) != 2 {
		t.Fatalf("delivery %+v", d)
	}

	c := b2.Client()
	conf, err := c.Confirm(ctx, tok, funbiz.Expected{OrderNo: "P1", Amount: 100})
	if err != nil || conf.Outcome != funbiz.OutcomePaid {
		t.Fatalf("token after restart: %+v %v", conf, err)
	}
	card := func(no string) *funbiz.OrderCreateParams {
		return &funbiz.OrderCreateParams{OrderNo: no, Amount: 100, PayType: funbiz.PayTypeCard, PrdtName: "狗糧",
			ReturnURL: rc.URL + "/return", Card: &funbiz.CardParams{AutoBilling: true}}
	}
	if _, err := c.OrderCreate(ctx, card("P1")); !errors.Is(err, funbiz.ErrDuplicateOrder) {
		t.Fatalf("repeat OrderNo after restart: %v", err)
	}
	r, err := c.OrderCreate(ctx, card("P2"))
	if err != nil || r.TSNo != "NA024900000002" {
		t.Fatalf("TSNo after restart: %+v %v", r, err)
	}

	// Reset empties the database too.
	if err := b2.Sandbox.Reset(); err != nil {
		t.Fatal(err)
	}
	b2.Sandbox.Close()
	b3 := openBank(t, db, clock)
	if n := len(b3.Sandbox.Orders(sandbox.Filter{}, "")); n != 0 || !b3.Sandbox.Now().Equal(start) {
		t.Fatalf("after reset and restart: %d orders, clock %s", n, b3.Sandbox.Now())
	}
}
