package payment_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// mismatch is one way the bank's signed answers about the payment of an
// order (K1) disagree with the order the shop created, and what must come
// of it when a callback brings its PayToken. Each case has a second order
// of the same amount, paid the same way (K2), which the "ours" case's
// answers name.
type mismatch struct {
	name string
	rule sandbox.ChaosInput // armed on K1; Other is K2 for ours
	ours bool
	// The PayToken log: what confirming the token found, the order the
	// bank named, and words of the reason.
	kind   shop.OutcomeKind
	named  string // "K1", "K2" or an OrderNo the shop does not have
	detail string
	// What K1 and K2 become. An answer about another shop never touches
	// our order; one about another order of ours pays neither: the order
	// it names is held for a person (review), since the bank claims a
	// payment of it that is not its own.
	k1, k2 shop.Status
}

var mismatches = []mismatch{
	{name: "amount", rule: sandbox.ChaosInput{Mismatch: "amount"},
		kind: shop.OutcomeMismatch, named: "K1", detail: "Amount NT$1501, expected NT$1500",
		k1: shop.StatusReview, k2: shop.StatusWaiting},
	{name: "shop", rule: sandbox.ChaosInput{Mismatch: "shop"},
		kind: shop.OutcomeNotOurs, named: "K1", detail: `payment's ShopNo "NA0249_002" is not ours`,
		k1: shop.StatusWaiting, k2: shop.StatusWaiting},
	{name: "order we do not have", rule: sandbox.ChaosInput{Mismatch: "order", Other: "NOSUCH-1"},
		kind: shop.OutcomeNotOurs, named: "NOSUCH-1",
		k1: shop.StatusWaiting, k2: shop.StatusWaiting},
	{name: "another order of ours", rule: sandbox.ChaosInput{Mismatch: "order"}, ours: true,
		kind: shop.OutcomeMismatch, named: "K2", detail: "TSNo",
		k1: shop.StatusWaiting, k2: shop.StatusReview},
}

// orders checks out K2 then K1 of one case and arms its rule on K1,
// with notify ("drop" or "") armed too.
func (c mismatch) orders(r *testrig.Rig, key string, payType shop.PayType, notify string) (k1, k2 *shop.Order) {
	r.T.Helper()
	k2 = r.Checkout(key+"-k2", payType)
	k1 = r.Checkout(key+"-k1", payType)
	rule := c.rule
	rule.OrderNo, rule.Notify = k1.No, notify
	if c.ours {
		rule.Other = k2.No
	}
	r.Bank.Chaos(rule)
	return k1, k2
}

// want checks what came of the case, once it is done (the PayToken
// confirmed, the sweep returned): K1 and K2 as they should be, and never
// paid.
func (c mismatch) want(t *testing.T, r *testrig.Rig, k1, k2 *shop.Order, st1, st2 shop.Status) {
	t.Helper()
	for _, o := range []struct {
		*shop.Order
		want shop.Status
	}{{k1, st1}, {k2, st2}} {
		got := r.Order(o.No)
		if got.Status != o.want {
			t.Errorf("%s: %s is %s, want %s", c.name, o.No, got.Status, o.want)
		}
		evs, err := r.DB.Events(context.Background(), got.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Event == shop.EventPaid || e.To == shop.StatusPaid {
				t.Errorf("%s: %s was paid: %+v", c.name, o.No, e)
			}
		}
		if o.want == shop.StatusWaiting && len(evs) != 0 {
			t.Errorf("%s: %s changed: %+v", c.name, o.No, evs)
		}
	}
}

// logged checks the PayToken log's one delivery of tok.
func (c mismatch) logged(t *testing.T, r *testrig.Rig, tok string, source shop.Source, k1, k2 *shop.Order) {
	t.Helper()
	d := r.Processed(tok, 1)[0]
	named := map[string]string{"K1": k1.No, "K2": k2.No}[c.named]
	if named == "" {
		named = c.named
	}
	if d.Source != source || d.Outcome.Kind != c.kind || d.OrderNo != named || !strings.Contains(d.Outcome.Detail, c.detail) {
		t.Errorf("%s: PayToken log %+v (outcome %+v), want %s from %s naming %s, %q", c.name, d, d.Outcome, c.kind, source, named, c.detail)
	}
}

// sweepLeavesThem runs the sweep over every order the test made, and
// checks that no answer it gets pays any of them either.
func sweepLeavesThem(t *testing.T, r *testrig.Rig, check func()) {
	t.Helper()
	r.Clock.Advance(11 * time.Minute)
	if _, err := r.Pay.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	check()
}

// The bank's notification of a payment it describes with another
// amount, shop or order never pays an order.
func TestMismatchByNotification(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := testrig.New(t, testrig.Options{DB: db})
		k1s, k2s := make([]*shop.Order, len(mismatches)), make([]*shop.Order, len(mismatches))
		for i, c := range mismatches {
			k1, k2 := c.orders(r, fmt.Sprintf("n%d", i), shop.PayATM, "")
			tok := r.Bank.Transfer(k1.Bank.AtmPayNo, int64(k1.Amount))
			if ds := r.Settled(k1.No, 1); ds[0].State != "delivered" {
				t.Fatalf("%s: notification %+v", c.name, ds[0])
			}
			c.logged(t, r, tok, shop.SourceNotify, k1, k2)
			c.want(t, r, k1, k2, c.k1, c.k2)
			k1s[i], k2s[i] = k1, k2
		}
		sweepLeavesThem(t, r, func() {
			for i, c := range mismatches {
				c.want(t, r, k1s[i], k2s[i], c.k1, c.k2)
			}
		})
	})
}

// The browser's return from the card page with the PayToken of such a
// payment never pays an order either (its notification is lost, so the
// return is all the shop hears).
func TestMismatchByReturn(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := testrig.New(t, testrig.Options{DB: db})
		k1s, k2s := make([]*shop.Order, len(mismatches)), make([]*shop.Order, len(mismatches))
		for i, c := range mismatches {
			k1, k2 := c.orders(r, fmt.Sprintf("r%d", i), shop.PayCard, "drop")
			tok := r.Bank.PayCard(k1.No, sandbox.OutcomeSuccess)
			if _, err := r.Pay.Return(context.Background(), funbiz.Notification{ShopNo: r.Bank.ShopNo, PayToken: tok}); err != nil {
				t.Fatalf("%s: return: %v", c.name, err)
			}
			if ds := r.Settled(k1.No, 1); ds[0].State != "dropped" {
				t.Fatalf("%s: notification %+v, want it dropped", c.name, ds[0])
			}
			c.logged(t, r, tok, shop.SourceReturn, k1, k2)
			c.want(t, r, k1, k2, c.k1, c.k2)
			k1s[i], k2s[i] = k1, k2
		}
		sweepLeavesThem(t, r, func() {
			for i, c := range mismatches {
				c.want(t, r, k1s[i], k2s[i], c.k1, c.k2)
			}
		})
	})
}

// lockedBuffer collects log lines from the service's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// When no callback comes, the sweep asks the bank (OrderQuery) about the
// orders, and what it is told about such a payment pays no order: another
// amount puts the order on review; an answer for another shop, or a row
// about the order that names another, is no answer about it, and the
// order waits, with the reason in the log.
func TestMismatchBySweep(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		logs := &lockedBuffer{}
		r := testrig.New(t, testrig.Options{DB: db, Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		want := map[string][2]shop.Status{
			"amount":                {shop.StatusReview, shop.StatusWaiting},
			"shop":                  {shop.StatusWaiting, shop.StatusWaiting},
			"order we do not have":  {shop.StatusWaiting, shop.StatusWaiting},
			"another order of ours": {shop.StatusWaiting, shop.StatusWaiting},
		}
		why := map[string][]string{
			"shop":                  {"answer is for ShopNo", "NA0249_002"},
			"order we do not have":  {"does not know"},
			"another order of ours": {"does not know"},
		}
		k1s, k2s := make([]*shop.Order, len(mismatches)), make([]*shop.Order, len(mismatches))
		for i, c := range mismatches {
			k1s[i], k2s[i] = c.orders(r, fmt.Sprintf("s%d", i), shop.PayCard, "drop")
			r.Bank.PayCard(k1s[i].No, sandbox.OutcomeSuccess)
			if ds := r.Settled(k1s[i].No, 1); ds[0].State != "dropped" {
				t.Fatalf("%s: notification %+v, want it dropped", c.name, ds[0])
			}
			if got := r.Order(k1s[i].No); got.Status != shop.StatusWaiting {
				t.Fatalf("%s: %s before the sweep", c.name, got.Status)
			}
		}
		r.Clock.Advance(11 * time.Minute)
		res, err := r.Pay.Sweep(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Checked != 2*len(mismatches) || res.Changed != 1 || res.Failed != 3 {
			t.Errorf("sweep: %+v %v, want %d checked, 1 changed (the amount), 3 failed", res, err, 2*len(mismatches))
		}
		for i, c := range mismatches {
			w := want[c.name]
			c.want(t, r, k1s[i], k2s[i], w[0], w[1])
			line := ""
			for l := range strings.Lines(logs.String()) {
				if strings.Contains(l, "order="+k1s[i].No) {
					line = l
				}
			}
			for _, w := range why[c.name] {
				if !strings.Contains(line, w) {
					t.Errorf("%s: log of %s %q, want %q", c.name, k1s[i].No, line, w)
				}
			}
		}
		evs, _ := r.DB.Events(context.Background(), k1s[0].ID)
		if len(evs) != 1 || evs[0].Event != shop.EventMismatch || evs[0].Source != shop.SourceReconcile || evs[0].Amount != 1501 || !strings.Contains(evs[0].Note, "another amount") {
			t.Fatalf("amount: events %+v, want one mismatch of NT$1501 from the sweep", evs)
		}
	})
}
