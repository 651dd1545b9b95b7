package payment_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/funbiz/funbiztest"
	"github.com/sinopay/sinopay/funbiz/sandbox"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/reconcile"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// opsRig is the payment service for the back office's tests: a sandbox
// bank over real HTTP (notifications reach a handler that records them as
// the web layer does), a customer and an admin.
type opsRig struct {
	t     *testing.T
	db    *storage.DB
	bank  *funbiztest.Bank
	pay   *payment.Service
	rec   *reconcile.Service
	cust  int64
	admin *shop.Customer
	keys  atomic.Int64
	// ahead moves the shop's clock forward, with the bank's (Advance).
	ahead atomic.Int64
}

func newOpsRig(t *testing.T, db *storage.DB, mode shop.CaptureMode, bankTimeout time.Duration) *opsRig {
	t.Helper()
	return newOpsRigWith(t, db, mode, bankTimeout, nil)
}

// newOpsRigWith is newOpsRig with the bank's HTTP transport wrapped.
func newOpsRigWith(t *testing.T, db *storage.DB, mode shop.CaptureMode, bankTimeout time.Duration, wrap func(http.RoundTripper) http.RoundTripper) *opsRig {
	t.Helper()
	ctx := context.Background()
	r := &opsRig{t: t, db: db, bank: funbiztest.New(t)}
	if err := db.SeedProducts(ctx, storage.SeedProducts); err != nil {
		t.Fatal(err)
	}
	var pay atomic.Pointer[payment.Service]
	shopSrv := httptest.NewServer(funbiz.NotificationHandler(sandbox.DemoShopNo, func(ctx context.Context, n funbiz.Notification) error {
		_, err := pay.Load().RecordCallback(ctx, n, shop.SourceNotify, 0)
		return err
	}))
	t.Cleanup(shopSrv.Close)
	hc := &http.Client{Timeout: bankTimeout}
	if wrap != nil {
		hc.Transport = wrap(http.DefaultTransport)
	}
	client, err := funbiz.NewClient(funbiz.Config{BaseURL: r.bank.URL, ShopNo: r.bank.ShopNo, Hash: r.bank.Hash,
		HTTPClient: hc, Retry: funbiz.RetryPolicy{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	now := func() time.Time { return time.Now().Add(time.Duration(r.ahead.Load())) }
	r.rec = reconcile.New(db, client, reconcile.Config{Now: now}, log)
	r.pay, err = payment.New(db, client, payment.Config{BaseURL: shopSrv.URL, PollInterval: 20 * time.Millisecond,
		SweepEvery: time.Hour, CardCapture: mode, Now: now, OtherJobs: r.rec.Jobs()}, log)
	if err != nil {
		t.Fatal(err)
	}
	pay.Store(r.pay)
	if err := r.pay.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		r.pay.Stop(ctx)
	})
	if r.cust, err = db.CreateCustomer(ctx, "buyer@example.com", "x", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MakeAdmin(ctx, "boss@example.com", "x", time.Now()); err != nil {
		t.Fatal(err)
	}
	if r.admin, err = db.CustomerByEmail(ctx, "boss@example.com"); err != nil {
		t.Fatal(err)
	}
	return r
}

// paidCard checks out a card order of NT$4,900 and pays it, confirmed
// through the return path.
func (r *opsRig) paidCard() *shop.Order {
	r.t.Helper()
	ctx := context.Background()
	o, err := r.pay.Checkout(ctx, r.cust, fmt.Sprintf("co-%d", r.keys.Add(1)), []shop.CartLine{{ProductID: 2, Qty: 1}}, shop.PayCard, "en")
	if err != nil {
		r.t.Fatal(err)
	}
	tok := r.bank.PayCard(o.No, sandbox.OutcomeSuccess)
	if _, err := r.pay.Return(ctx, funbiz.Notification{ShopNo: sandbox.DemoShopNo, PayToken: tok}); err != nil {
		r.t.Fatal(err)
	}
	o, err = r.db.OrderByNo(ctx, o.No)
	if err != nil || o.Status != shop.StatusPaid {
		r.t.Fatalf("card order after payment: %+v %v", o, err)
	}
	return o
}

func (r *opsRig) key() string { return fmt.Sprintf("%032x", r.keys.Add(1)) }

func (r *opsRig) do(no string, op shop.Op, amount shop.Money, key string) (*shop.Operation, error) {
	return r.pay.Maintain(context.Background(), payment.OpRequest{OrderNo: no, Op: op, Amount: amount, Reason: "test " + string(op), Key: key, Admin: r.admin})
}

func (r *opsRig) bankStatus(no string) funbiz.PayStatus {
	r.t.Helper()
	info, found, err := r.pay.BankOrder(context.Background(), no)
	if err != nil || !found {
		r.t.Fatalf("bank view of %s: %v %v", no, found, err)
	}
	return info.PayStatus
}

// bankRefunds adds up the refunds of an order the bank lists today.
func (r *opsRig) bankRefunds(client *funbiz.Client, no string) shop.Money {
	r.t.Helper()
	bill, err := client.BillQuery(context.Background(), funbiz.FormatDate(time.Now()))
	if err != nil {
		r.t.Fatal(err)
	}
	var n shop.Money
	for _, it := range bill.Items {
		if it.OrderNo == no && it.TSType == "R" {
			n += shop.Money(it.Amount)
		}
	}
	return n
}

// A manual-capture order: authorised, captured, refunded in part (a double
// click refunds once), refunded in full; the bank agrees at every step,
// and the day's report matches.
func TestCaptureAndRefunds(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := newOpsRig(t, db, shop.CaptureManual, 5*time.Second)
		ctx := context.Background()
		o := r.paidCard()
		if o.Capture != shop.CaptureManual || !o.AwaitingCapture() || r.bankStatus(o.No) != funbiz.PayStatusCardAuthed {
			t.Fatalf("authorised order: %+v at the bank %s", o, r.bankStatus(o.No))
		}
		if _, err := r.do(o.No, shop.OpRefund, 100, r.key()); shop.ErrorKey(err) != "admin.op.capture_first" {
			t.Fatalf("refund before capture: %v", err)
		}
		op, err := r.do(o.No, shop.OpCapture, 0, r.key())
		if err != nil || op.State != shop.OpDone || op.Amount != 4900 || r.bankStatus(o.No) != funbiz.PayStatusCardCaptured {
			t.Fatalf("capture: %+v %v", op, err)
		}

		// Ten clicks of one refund form.
		key := r.key()
		var wg sync.WaitGroup
		ids := make(chan int64, 10)
		for range 10 {
			wg.Go(func() {
				op, err := r.do(o.No, shop.OpRefund, 1000, key)
				if err != nil {
					t.Error(err)
					return
				}
				ids <- op.ID
			})
		}
		wg.Wait()
		close(ids)
		seen := map[int64]bool{}
		for id := range ids {
			seen[id] = true
		}
		client := r.bank.Client()
		if len(seen) != 1 || r.bankRefunds(client, o.No) != 1000 {
			t.Fatalf("ten clicks made %d operations and NT$%d of refunds at the bank", len(seen), r.bankRefunds(client, o.No))
		}
		got, _ := db.OrderByNo(ctx, o.No)
		if got.Status != shop.StatusPaid || got.Refunded != 1000 || got.Refundable() != 3900 {
			t.Fatalf("after a partial refund: %+v", got)
		}
		if _, err := r.do(o.No, shop.OpRefund, 3901, r.key()); shop.ErrorKey(err) != "admin.op.too_much" {
			t.Fatalf("refund over what is left: %v", err)
		}
		op, err = r.do(o.No, shop.OpRefund, 0, r.key())
		if err != nil || op.State != shop.OpDone || op.Amount != 3900 {
			t.Fatalf("refund of the rest: %+v %v", op, err)
		}
		got, _ = db.OrderByNo(ctx, o.No)
		if got.Status != shop.StatusRefunded || got.Refunded != 4900 || r.bankRefunds(client, o.No) != 4900 {
			t.Fatalf("after the whole refund: %+v, bank refunded %d", got, r.bankRefunds(client, o.No))
		}
		evs, _ := db.Events(ctx, o.ID)
		var tl []string
		for _, e := range evs {
			if e.Source == shop.SourceNotify {
				e.Source = shop.SourceReturn // the callbacks race to confirm the payment; either is right
			}
			tl = append(tl, fmt.Sprintf("%s:%s>%s:%s:%d", e.Event, e.From, e.To, e.Source, e.Amount))
		}
		want := []string{"paid:W>S:return:4900", "captured:S>S:admin:4900", "part_refunded:S>S:admin:1000", "refunded:S>R:admin:3900"}
		if fmt.Sprint(tl) != fmt.Sprint(want) {
			t.Fatalf("timeline %v, want %v", tl, want)
		}

		rep, err := r.rec.Reconcile(ctx, funbiz.FormatDate(time.Now()), shop.ReportByAdmin, r.admin.Email)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 1 || rep.Rows[0].Verdict != shop.VerdictMatched || rep.Rows[0].OurCollected != 4900 ||
			rep.Rows[0].BankRefunded != 4900 || funbiz.PayStatus(rep.Rows[0].BankStatus) != funbiz.PayStatusCardCaptured || !rep.Unsettled {
			t.Fatalf("report: %+v", rep)
		}
		stored, err := r.rec.ReportByID(ctx, rep.ID)
		if err != nil || stored.Rows[0].OrderNo != o.No || stored.AdminEmail != r.admin.Email || stored.Counts[shop.VerdictMatched] != 1 {
			t.Fatalf("stored report: %+v %v", stored, err)
		}
	})
}

func TestCancelAuthorisation(t *testing.T) {
	r := newOpsRig(t, storagetest.SQLite(t), shop.CaptureManual, 5*time.Second)
	o := r.paidCard()
	op, err := r.do(o.No, shop.OpCancel, 0, r.key())
	if err != nil || op.State != shop.OpDone || r.bankStatus(o.No) != funbiz.PayStatusCardCanceled {
		t.Fatalf("cancel: %+v %v", op, err)
	}
	got, _ := r.db.OrderByNo(context.Background(), o.No)
	if got.Status != shop.StatusRefunded || got.Collected() != 0 {
		t.Fatalf("cancelled order: %+v", got)
	}
	// The sweep's reading of the bank (1C351: a failed authorisation)
	// never moves it back.
	if changed, err := r.pay.CheckOrder(context.Background(), got, shop.SourceReconcile); err != nil || changed {
		t.Fatalf("sweep of a cancelled order: %v %v", changed, err)
	}
	if _, err := r.do(o.No, shop.OpCapture, 0, r.key()); shop.ErrorKey(err) != "admin.op.not_uncaptured" {
		t.Fatalf("capture after cancel: %v", err)
	}
}

// Auto-capture orders are captured by the bank at once: refunds only.
func TestAutoCaptureOrderRefunds(t *testing.T) {
	r := newOpsRig(t, storagetest.SQLite(t), shop.CaptureAuto, 5*time.Second)
	o := r.paidCard()
	if o.AwaitingCapture() || r.bankStatus(o.No) != funbiz.PayStatusCardCaptured {
		t.Fatalf("auto order: %+v", o)
	}
	if _, err := r.do(o.No, shop.OpCapture, 0, r.key()); shop.ErrorKey(err) != "admin.op.not_uncaptured" {
		t.Fatalf("capture of an auto order: %v", err)
	}
	if op, err := r.do(o.No, shop.OpRefund, 4900, r.key()); err != nil || op.State != shop.OpDone {
		t.Fatalf("whole refund: %+v %v", op, err)
	}
}

// lossy loses the next OrderMaintain call its mode says: "before" the
// bank (an HTML 500, as from a proxy, and the bank never sees it) or
// "after" (the bank acts, and its answer never arrives). Other calls go
// through, so background jobs asking the bank cannot take the fault.
type lossy struct {
	next http.RoundTripper
	mode atomic.Value // string: "", "before" or "after"
}

func (l *lossy) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.GetBody != nil {
		body, _ := req.GetBody()
		raw, _ := io.ReadAll(body)
		if strings.Contains(string(raw), `"APIService":"OrderMaintain"`) {
			switch l.mode.Swap("") {
			case "before":
				return &http.Response{StatusCode: 500, Status: "500 Internal Server Error", Body: io.NopCloser(strings.NewReader("<html>500</html>")),
					Header: http.Header{}, Request: req}, nil
			case "after":
				if resp, err := l.next.RoundTrip(req); err == nil {
					resp.Body.Close()
				}
				return nil, errors.New("connection reset: the answer was lost")
			}
		}
	}
	return l.next.RoundTrip(req)
}

// When the bank's answer is lost, the operation is unknown until the bank
// is asked: a capture the bank did is found done; one it never received
// is found refused; a refund is found in BillQuery.
func TestLostAnswersAreResolved(t *testing.T) {
	l := &lossy{}
	r := newOpsRigWith(t, storagetest.SQLite(t), shop.CaptureManual, 5*time.Second,
		func(next http.RoundTripper) http.RoundTripper { l.next = next; return l })
	o := r.paidCard()

	l.mode.Store("before")
	op, err := r.do(o.No, shop.OpCapture, 0, r.key())
	if err != nil || op.State != shop.OpRefused || r.bankStatus(o.No) != funbiz.PayStatusCardAuthed {
		t.Fatalf("capture lost before the bank: %+v %v", op, err)
	}

	l.mode.Store("after")
	op, err = r.do(o.No, shop.OpCapture, 0, r.key())
	if err != nil || op.State != shop.OpDone {
		t.Fatalf("capture whose answer was lost: %+v %v", op, err)
	}
	got, _ := r.db.OrderByNo(context.Background(), o.No)
	if got.AwaitingCapture() || got.Captured != 4900 {
		t.Fatalf("order after the resolved capture: %+v", got)
	}

	l.mode.Store("after")
	op, err = r.do(o.No, shop.OpRefund, 700, r.key())
	if err != nil || op.State != shop.OpDone {
		t.Fatalf("refund whose answer was lost: %+v %v", op, err)
	}
	got, _ = r.db.OrderByNo(context.Background(), o.No)
	if got.Refunded != 700 {
		t.Fatalf("order after the resolved refund: %+v", got)
	}

	// A refund the bank never received, after one it did: BillQuery shows
	// no more than ours, which proves nothing (it may lag), so it stays
	// unknown, its amount reserved, until an admin settles it.
	l.mode.Store("before")
	op, err = r.do(o.No, shop.OpRefund, 100, r.key())
	if err != nil || op.State != shop.OpUnknown {
		t.Fatalf("refund lost before the bank: %+v %v", op, err)
	}
	if _, err := r.do(o.No, shop.OpRefund, 100, r.key()); shop.ErrorKey(err) != "admin.op.busy" {
		t.Fatalf("another refund while one is unknown: %v", err)
	}
	op, err = r.pay.SettleOp(context.Background(), op.ID, false, r.admin)
	if err != nil || op.State != shop.OpRefused {
		t.Fatalf("settled by hand: %+v %v", op, err)
	}
	if _, err := r.pay.SettleOp(context.Background(), op.ID, true, r.admin); shop.ErrorKey(err) != "admin.op.settled" {
		t.Fatalf("settled twice: %v", err)
	}
	got, _ = r.db.OrderByNo(context.Background(), o.No)
	if got.Refunded != 700 || got.Refundable() != 4200 {
		t.Fatalf("order after the settled refund: %+v", got)
	}
}

// The report sorts out every kind of difference.
func TestReconcileVerdicts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		r := newOpsRig(t, db, shop.CaptureAuto, 5*time.Second)
		ctx := context.Background()
		now := time.Now()
		matched := r.paidCard()

		// Money at the bank for an order we never had.
		client := r.bank.Client()
		stranger, err := client.OrderCreate(ctx, &funbiz.OrderCreateParams{OrderNo: "X" + fmt.Sprint(now.UnixNano()%1e9), Amount: 500,
			PayType: funbiz.PayTypeATM, PrdtName: "stranger", ATM: &funbiz.ATMParams{ExpireDate: funbiz.FormatDate(now.AddDate(0, 0, 3))}})
		if err != nil {
			t.Fatal(err)
		}
		r.bank.Transfer(stranger.ATM.AtmPayNo, 500)

		// Our books say paid; the bank never saw the money.
		ghost, err := r.pay.Checkout(ctx, r.cust, "ghost", []shop.CartLine{{ProductID: 1, Qty: 1}}, shop.PayATM, "en")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ApplyEvent(ctx, ghost.ID, shop.EventPaid, storage.EventMeta{Source: "test"}, now); err != nil {
			t.Fatal(err)
		}

		// A refund our books have and the bank does not.
		differs := r.paidCard()
		rec, _, _, err := db.BeginOp(ctx, differs.No, shop.Operation{Key: "k", Op: shop.OpRefund, Amount: 100, Reason: "r", AdminID: r.admin.ID, AdminEmail: r.admin.Email}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.FinishOp(ctx, rec.ID, storage.OpOutcome{State: shop.OpDone}, now); err != nil {
			t.Fatal(err)
		}

		rep, err := r.rec.Reconcile(ctx, funbiz.FormatDate(now), shop.ReportBySchedule, "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, row := range rep.Rows {
			got[row.OrderNo] = string(row.Verdict) + " " + row.Reason
		}
		want := map[string]string{
			matched.No:       "matched ",
			stranger.OrderNo: "missing_shop " + shop.ReasonNoOrder,
			ghost.No:         "missing_bank " + shop.ReasonNotAtBank,
			differs.No:       "differs " + shop.ReasonAmount,
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("verdicts\n%v\nwant\n%v", got, want)
		}
		if rep.Rows[0].Verdict != shop.VerdictMissingShop || rep.Counts[shop.VerdictMatched] != 1 {
			t.Fatalf("order of rows or counts: %+v", rep)
		}

		// A day later the money is settled, and the report of the day says
		// by which settlement.
		r.bank.Advance(24 * time.Hour)
		r.ahead.Store(int64(24 * time.Hour))
		if _, err := r.rec.Reconcile(ctx, funbiz.FormatDate(now.AddDate(0, 0, 2)), shop.ReportBySchedule, ""); !shop.IsCode(err, shop.Invalid) {
			t.Fatalf("a day in the future: %v", err)
		}
		rep, err = r.rec.Reconcile(ctx, funbiz.FormatDate(now), shop.ReportBySchedule, "")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Unsettled || len(rep.Settlements) != 2 {
			t.Fatalf("settlements: %+v", rep.Settlements)
		}
		for _, row := range rep.Rows {
			if (row.OrderNo == matched.No || row.OrderNo == stranger.OrderNo) && (row.AllotNo == "" || row.FeeCents == 0) {
				t.Errorf("%s: settlement %q fee %d", row.OrderNo, row.AllotNo, row.FeeCents)
			}
		}
		list, err := r.rec.Reports(ctx)
		if err != nil || len(list) != 2 || list[0].ID != rep.ID {
			t.Fatalf("reports: %v %v", list, err)
		}
	})
}
