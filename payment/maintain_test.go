package payment_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/internal/testrig"
	"github.com/sinopay/sinopay/internal/waitfor"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/storage"
	"github.com/sinopay/sinopay/storage/storagetest"
)

// opsRig is the rig for the back office's tests: card orders of
// NT$4,900, charged as mode says, and a key for each form.
type opsRig struct {
	*testrig.Rig
	keys atomic.Int64
}

func newOpsRig(t *testing.T, db *storage.DB, mode shop.CaptureMode) *opsRig {
	t.Helper()
	return newOpsRigWith(t, db, mode, nil)
}

// newOpsRigWith is newOpsRig with the bank's HTTP transport wrapped.
func newOpsRigWith(t *testing.T, db *storage.DB, mode shop.CaptureMode, wrap func(http.RoundTripper) http.RoundTripper) *opsRig {
	t.Helper()
	return &opsRig{Rig: testrig.New(t, testrig.Options{DB: db, BankTimeout: 5 * time.Second, BankTransport: wrap,
		Pay: func(c *payment.Config) { c.CardCapture = mode }})}
}

// paidCard checks out a card order of NT$4,900 and pays it, confirmed
// through the return path.
func (r *opsRig) paidCard() *shop.Order {
	r.T.Helper()
	return r.PayCard(r.Checkout(fmt.Sprintf("co-%d", r.keys.Add(1)), shop.PayCard, shop.CartLine{ProductID: 2, Qty: 1}))
}

func (r *opsRig) key() string { return fmt.Sprintf("%032x", r.keys.Add(1)) }

func (r *opsRig) do(no string, op shop.Op, amount shop.Money, key string) (*shop.Operation, error) {
	return r.Pay.Maintain(context.Background(), payment.OpRequest{OrderNo: no, Op: op, Amount: amount, Reason: "test " + string(op), Key: key, Admin: r.Admin()})
}

func (r *opsRig) bankStatus(no string) funbiz.PayStatus {
	r.T.Helper()
	o, err := r.DB.OrderByNo(context.Background(), no)
	if err != nil {
		r.T.Fatal(err)
	}
	info, found, err := r.Pay.BankOrder(context.Background(), o)
	if err != nil || !found {
		r.T.Fatalf("bank view of %s: %v %v", no, found, err)
	}
	return info.PayStatus
}

// bankRefunds adds up the refunds of an order the bank lists today.
func (r *opsRig) bankRefunds(client *funbiz.Client, no string) shop.Money {
	r.T.Helper()
	bill, err := client.BillQuery(context.Background(), funbiz.FormatDate(time.Now()))
	if err != nil {
		r.T.Fatal(err)
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
		// The payment, the operations and the report of their day on one day.
		waitfor.DayLeft(t, funbiz.Taipei, time.Minute)
		r := newOpsRig(t, db, shop.CaptureManual)
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
		client := r.Bank.Client()
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

		rep, err := r.Recon.Reconcile(ctx, funbiz.FormatDate(time.Now()), shop.ReportByAdmin, r.Admin().Email)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 1 || rep.Rows[0].Verdict != shop.VerdictMatched || rep.Rows[0].OurCollected != 4900 ||
			rep.Rows[0].BankRefunded != 4900 || funbiz.PayStatus(rep.Rows[0].BankStatus) != funbiz.PayStatusCardCaptured || !rep.Unsettled {
			t.Fatalf("report: %+v", rep)
		}
		stored, err := r.Recon.ReportByID(ctx, rep.ID)
		if err != nil || stored.Rows[0].OrderNo != o.No || stored.AdminEmail != r.Admin().Email || stored.Counts[shop.VerdictMatched] != 1 {
			t.Fatalf("stored report: %+v %v", stored, err)
		}
	})
}

func TestCancelAuthorisation(t *testing.T) {
	r := newOpsRig(t, storagetest.SQLite(t), shop.CaptureManual)
	o := r.paidCard()
	op, err := r.do(o.No, shop.OpCancel, 0, r.key())
	if err != nil || op.State != shop.OpDone || r.bankStatus(o.No) != funbiz.PayStatusCardCanceled {
		t.Fatalf("cancel: %+v %v", op, err)
	}
	got, _ := r.DB.OrderByNo(context.Background(), o.No)
	if got.Status != shop.StatusRefunded || got.Collected() != 0 {
		t.Fatalf("cancelled order: %+v", got)
	}
	// The sweep's reading of the bank (1C351: a failed authorisation)
	// never moves it back.
	if changed, err := r.Pay.CheckOrder(context.Background(), got, shop.SourceReconcile); err != nil || changed {
		t.Fatalf("sweep of a cancelled order: %v %v", changed, err)
	}
	if _, err := r.do(o.No, shop.OpCapture, 0, r.key()); shop.ErrorKey(err) != "admin.op.not_uncaptured" {
		t.Fatalf("capture after cancel: %v", err)
	}
}

// Auto-capture orders are captured by the bank at once: refunds only.
func TestAutoCaptureOrderRefunds(t *testing.T) {
	r := newOpsRig(t, storagetest.SQLite(t), shop.CaptureAuto)
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
	r := newOpsRigWith(t, storagetest.SQLite(t), shop.CaptureManual,
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
	got, _ := r.DB.OrderByNo(context.Background(), o.No)
	if got.AwaitingCapture() || got.Captured != 4900 {
		t.Fatalf("order after the resolved capture: %+v", got)
	}

	l.mode.Store("after")
	op, err = r.do(o.No, shop.OpRefund, 700, r.key())
	if err != nil || op.State != shop.OpDone {
		t.Fatalf("refund whose answer was lost: %+v %v", op, err)
	}
	got, _ = r.DB.OrderByNo(context.Background(), o.No)
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
	op, err = r.Pay.SettleOp(context.Background(), op.ID, false, r.Admin())
	if err != nil || op.State != shop.OpRefused {
		t.Fatalf("settled by hand: %+v %v", op, err)
	}
	if _, err := r.Pay.SettleOp(context.Background(), op.ID, true, r.Admin()); shop.ErrorKey(err) != "admin.op.settled" {
		t.Fatalf("settled twice: %v", err)
	}
	got, _ = r.DB.OrderByNo(context.Background(), o.No)
	if got.Refunded != 700 || got.Refundable() != 4200 {
		t.Fatalf("order after the settled refund: %+v", got)
	}
}
