package sandbox_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/funbiz/sandbox/sqlitestore"
)

// openStore opens the state file at path for one sandbox; the sandbox
// closes it.
func openStore(t *testing.T, path string) sandbox.Store {
	t.Helper()
	st, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// A delivery still pending when the sandbox stops goes out on schedule
// after a restart on the same database, and the rest of the state (orders,
// tokens, the clock offset, the TSNo sequence) is there too.
func TestRestartResumesPendingDelivery(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sandbox.db")
	clock := sandbox.NewManualClock(start)
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "not yet", http.StatusBadGateway) })

	r1 := newRig(t, sandbox.Options{Store: openStore(t, db), Clock: clock})
	r1.createCard("P1", rc.URL)
	tok := r1.pay("P1", sandbox.OutcomeSuccess)
	r1.sb.RunDue()
	<-rc.got
	if err := r1.sb.Advance(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := r1.sb.Close(); err != nil {
		t.Fatal(err)
	}

	rc.setAnswer(ack)
	r2 := newRig(t, sandbox.Options{Store: openStore(t, db), Clock: clock})
	if got := r2.sb.Now(); !got.Equal(start.Add(2 * time.Minute)) {
		t.Fatalf("clock after restart %s, want the offset kept", got)
	}
	d := r2.deliveries("P1")
	if len(d) != 1 || d[0].State != "pending" || len(d[0].Attempts) != 1 {
		t.Fatalf("delivery after restart %+v", d)
	}
	r2.sb.Advance(7 * time.Minute)
	if rc.count() != 0 {
		t.Fatal("retry came early after the restart")
	}
	r2.sb.Advance(time.Minute)
	if n := <-rc.got; n.PayToken != tok {
		t.Fatalf("resumed notification carries %q", n.PayToken)
	}
	if d := r2.deliveries("P1")[0]; d.State != "delivered" || len(d.Attempts) != 2 {
		t.Fatalf("delivery %+v", d)
	}

	c := r2.client()
	conf, err := c.Confirm(context.Background(), tok, funbiz.Expected{OrderNo: "P1", Amount: 100})
	if err != nil || conf.Outcome != funbiz.OutcomePaid {
		t.Fatalf("token after restart: %+v %v", conf, err)
	}
	if a := r2.send(sandbox.DemoShopNo, r2.keys, "OrderCreate", cardMsg("P1", `{}`)); a.code() != "E0301" {
		t.Fatalf("repeat OrderNo after restart: %s", a.Description)
	}
	a := r2.send(sandbox.DemoShopNo, r2.keys, "OrderCreate", cardMsg("P2", `{}`))
	if a.Fields["TSNo"] != "NA024900000002" {
		t.Fatalf("TSNo after restart %v", a.Fields["TSNo"])
	}

	// Reset empties the database too.
	r2.sb.Reset()
	r2.sb.Close()
	r3 := newRig(t, sandbox.Options{Store: openStore(t, db), Clock: clock})
	if n := len(r3.sb.Orders(sandbox.Filter{}, "")); n != 0 || !r3.sb.Now().Equal(start) {
		t.Fatalf("after reset and restart: %d orders, clock %s", n, r3.sb.Now())
	}
}
